"""The citizen's reports: file one, check for similar ones, follow, read, rate, reopen."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal

import msgspec
from litestar import Controller, Request, Response, delete, get, post
from litestar.di import NamedDependency
from litestar.params import FromPath, FromQuery, JSONBody, QueryParameter

from api.auth import client_ip
from api.citizen.report_views import (
    ReportOut,
    ReportPage,
    SimilarOut,
    build_report,
    build_similar,
    build_summaries,
)
from api.geo import CoordSysQuery, Latitude, Location, Longitude
from api.idempotent import run_idempotent
from api.params import PageLimit
from api.types import UtcDateTime
from cases import feedback, queries, reporting
from cases.access import case_for_citizen
from core import ratelimit
from core.actors import Actor
from core.settings import get_settings
from org.geo import to_wgs84

CaseId = Annotated[str, msgspec.Meta(min_length=3, max_length=24, pattern=r"^k_[0-9a-z]+$")]
REPORTS_PER_HOUR = 20
ReportScope = Literal["mine", "following", "all"]


class ReportIn(msgspec.Struct, frozen=True, rename="camel"):
    category: Annotated[str, msgspec.Meta(min_length=3, max_length=8)]
    location: Location
    media_ids: Annotated[
        list[Annotated[str, msgspec.Meta(max_length=40)]], msgspec.Meta(max_length=20)
    ]
    description: Annotated[str, msgspec.Meta(max_length=1000)] = ""
    address: Annotated[str, msgspec.Meta(max_length=200)] = ""
    anonymous: bool = False
    occurred_at: UtcDateTime | None = None


class RatingIn(msgspec.Struct, frozen=True):
    score: Annotated[int, msgspec.Meta(ge=1, le=5)]
    comment: Annotated[str, msgspec.Meta(max_length=500)] = ""


class WithdrawIn(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    reason: Annotated[str, msgspec.Meta(max_length=500)] = ""


class ReopenIn(msgspec.Struct, frozen=True):
    reason: Annotated[str, msgspec.Meta(min_length=1, max_length=500)]


class CitizenReportController(Controller):
    path = "/reports"
    tags = ["citizen reports"]

    @post(
        "/",
        summary="File a report (snap, pin, send); Idempotency-Key recommended",
        opt={"rate_limited": True},
    )
    async def create(
        self, request: Request, actor: NamedDependency[Actor], data: JSONBody[ReportIn]
    ) -> Response[ReportOut]:
        lat, lon = data.location.wgs84()
        report = reporting.NewCase(
            category_code=data.category,
            lat=lat,
            lon=lon,
            description=data.description,
            address=data.address,
            anonymous=data.anonymous,
            media_ids=data.media_ids,
            occurred_at=data.occurred_at,
        )

        async def action() -> ReportOut:
            await ratelimit.hit(
                f"report:{actor.id}", limit=REPORTS_PER_HOUR, window=dt.timedelta(hours=1)
            )
            case = await reporting.file_citizen_report(
                actor=actor, report=report, ip=client_ip(request)
            )
            return await build_report(case, actor, data.location.coord_sys)

        return await run_idempotent(request, actor, action)

    @get(
        "/",
        summary="My reports, the cases I follow, or both; newest first",
        description="scope=mine (default), following (public cases I follow, as the public "
        "sees them) or all (both).",
    )
    async def mine(
        self,
        actor: NamedDependency[Actor],
        # "scope" is a name Litestar reserves for the ASGI scope: read it under an alias.
        listed: Annotated[ReportScope, QueryParameter(name="scope")] = "mine",
        cursor: FromQuery[str | None] = None,
        limit: PageLimit = 20,
        coord_sys: CoordSysQuery = "wgs84",
    ) -> ReportPage:
        page = await queries.citizen_reports(
            citizen_id=actor.id, scope=listed, cursor=cursor, limit=limit
        )
        return ReportPage(
            items=await build_summaries(page.items, actor, coord_sys),
            next_cursor=page.next_cursor,
        )

    @get(
        "/similar",
        summary="Open cases of this category within 200 m (already reported?)",
        description="Public cases (accepted by staff) and my own, as the visibility policy "
        "shows them; rate limited per citizen (CITYOPS_SIMILAR_RATE_LIMIT a minute).",
        opt={"rate_limited": True},
    )
    async def similar(
        self,
        actor: NamedDependency[Actor],
        lat: FromQuery[Latitude],
        lon: FromQuery[Longitude],
        category: FromQuery[str],
        coord_sys: CoordSysQuery = "wgs84",
    ) -> list[SimilarOut]:
        # Each answer says where cases are; a limit keeps anyone from mapping the city.
        await ratelimit.hit(
            f"similar:{actor.id}",
            limit=get_settings().similar_rate_limit,
            window=dt.timedelta(minutes=1),
        )
        wgs_lat, wgs_lon = to_wgs84(lat, lon, coord_sys)
        near = await queries.similar_open_cases(
            viewer=actor, lat=wgs_lat, lon=wgs_lon, category_code=category
        )
        return await build_similar(near, actor, coord_sys)

    @get("/{case_id:str}", summary="One of my reports (or one I follow) with its timeline")
    async def one(
        self,
        actor: NamedDependency[Actor],
        case_id: FromPath[CaseId],
        coord_sys: CoordSysQuery = "wgs84",
    ) -> ReportOut:
        case = await case_for_citizen(actor, case_id)
        return await build_report(case, actor, coord_sys)

    @post(
        "/{case_id:str}/follow",
        status_code=200,
        summary="Me too: follow a public open case instead of filing",
    )
    async def follow(
        self, request: Request, actor: NamedDependency[Actor], case_id: FromPath[CaseId]
    ) -> Response[ReportOut]:
        async def action() -> ReportOut:
            case = await feedback.follow(actor=actor, case_id=case_id)
            return await build_report(case, actor, "wgs84")

        return await run_idempotent(request, actor, action, status_code=200)

    @delete(
        "/{case_id:str}/follow",
        summary="Stop following a case; idempotent (204 whether or not I followed it)",
    )
    async def unfollow(self, actor: NamedDependency[Actor], case_id: FromPath[CaseId]) -> None:
        await feedback.unfollow(actor=actor, case_id=case_id)

    @post(
        "/{case_id:str}/withdraw",
        status_code=200,
        summary="Take back my report before it is accepted (optional reason)",
    )
    async def withdraw(
        self,
        request: Request,
        actor: NamedDependency[Actor],
        case_id: FromPath[CaseId],
        data: JSONBody[WithdrawIn | None] = None,
    ) -> Response[ReportOut]:
        reason = data.reason if data is not None else ""

        async def action() -> ReportOut:
            case = await feedback.withdraw(actor=actor, case_id=case_id, reason=reason)
            return await build_report(case, actor, "wgs84")

        return await run_idempotent(request, actor, action, status_code=200)

    @post("/{case_id:str}/rating", status_code=200, summary="Rate a closed case once (1-5)")
    async def rating(
        self,
        request: Request,
        actor: NamedDependency[Actor],
        case_id: FromPath[CaseId],
        data: JSONBody[RatingIn],
    ) -> Response[ReportOut]:
        async def action() -> ReportOut:
            case = await feedback.rate(
                actor=actor, case_id=case_id, score=data.score, comment=data.comment
            )
            return await build_report(case, actor, "wgs84")

        return await run_idempotent(request, actor, action, status_code=200)

    @post(
        "/{case_id:str}/reopen",
        status_code=200,
        summary="Not fixed: reopen within 7 days of closing",
    )
    async def reopen(
        self,
        request: Request,
        actor: NamedDependency[Actor],
        case_id: FromPath[CaseId],
        data: JSONBody[ReopenIn],
    ) -> Response[ReportOut]:
        async def action() -> ReportOut:
            case = await feedback.reopen(actor=actor, case_id=case_id, reason=data.reason)
            return await build_report(case, actor, "wgs84")

        return await run_idempotent(request, actor, action, status_code=200)
