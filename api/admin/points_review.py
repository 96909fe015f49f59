"""Admin: awards held for a person's look (points.holds): release a report's held points;
accounts flagged for farming (points.review): list them, decide."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

import msgspec
from litestar import Controller, get, post
from litestar.di import NamedDependency
from litestar.params import FromPath, FromQuery, JSONBody

from api.admin.rewards import ADMIN_ONLY, CitizenPublicId
from api.citizen.reports import CaseId
from api.params import PageLimit
from cases.access import case_for_staff
from core.actors import Actor
from core.db import transaction
from points import decisions, earning
from points.decisions import Decision


class ReleaseOut(msgspec.Struct, frozen=True, rename="camel"):
    case_id: str
    released_points: int


class AdminPointsHoldController(Controller):
    path = "/points/holds"
    tags = ["rewards admin"]

    @post(
        "/{case_id:str}/release",
        status_code=200,
        summary="Accept a report's photos: pay the points held for them; audited",
    )
    async def release(self, actor: NamedDependency[Actor], case_id: FromPath[CaseId]) -> ReleaseOut:
        async with transaction():
            case = await case_for_staff(actor, case_id)  # out of scope: 404
            paid = await earning.release_case(case=case, actor=actor)
        return ReleaseOut(case_id=case_id, released_points=paid)


Note = Annotated[str, msgspec.Meta(max_length=500)]


class ReviewItemOut(msgspec.Struct, frozen=True, rename="camel"):
    citizen_id: str
    signals: list[dict[str, Any]]
    opened_at: dt.datetime
    held_points: int


class ReviewPageOut(msgspec.Struct, frozen=True, rename="camel"):
    items: list[ReviewItemOut]
    next_cursor: str | None


class DecisionIn(msgspec.Struct, frozen=True, rename="camel", forbid_unknown_fields=True):
    decision: Decision
    disable: bool = False
    note: Note = ""


class DecisionOut(msgspec.Struct, frozen=True, rename="camel"):
    citizen_id: str
    decision: str
    points: int  # paid (clear) or forfeited (confirm)
    disabled: bool


class AdminPointsReviewController(Controller):
    path = "/points/review"
    tags = ["rewards admin"]

    @get("/", summary="Accounts flagged for farming, oldest first; keyset pages", opt=ADMIN_ONLY)
    async def list_reviews(
        self, cursor: FromQuery[str | None] = None, limit: PageLimit = 50
    ) -> ReviewPageOut:
        items, next_cursor = await decisions.review_page(cursor=cursor, limit=limit)
        return ReviewPageOut(
            items=[ReviewItemOut(**item) for item in items], next_cursor=next_cursor
        )

    @post(
        "/{citizen_id:str}/decision",
        status_code=200,
        summary="Clear (pay the held points) or confirm (forfeit them, maybe disable); audited",
        opt=ADMIN_ONLY,
    )
    async def decide(
        self,
        actor: NamedDependency[Actor],
        citizen_id: FromPath[CitizenPublicId],
        data: JSONBody[DecisionIn],
    ) -> DecisionOut:
        async with transaction():
            outcome = await decisions.decide(
                actor=actor,
                citizen_id=citizen_id,
                decision=data.decision,
                disable=data.disable,
                note=data.note,
            )
        return DecisionOut(
            citizen_id=citizen_id,
            decision=outcome["decision"],
            points=outcome["points"],
            disabled=outcome["disabled"],
        )
