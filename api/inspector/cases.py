"""The inspector app's cases: the staff view, patrol reports and the field actions."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Annotated, Any

import msgspec
from litestar import Controller, Request, Response, get, post
from litestar.di import NamedDependency
from litestar.params import FromPath, JSONBody

from api.case_views import CaseStaffDetail, case_staff_detail
from api.citizen.reports import CaseId
from api.geo import CoordSysQuery, Location
from api.idempotent import run_idempotent
from api.types import UtcDateTime
from cases import field
from cases.access import case_for_staff
from cases.reporting import NewCase
from cases.tables import Case
from core.actors import Actor

MEDIA_BASE = "/api/inspector/media"
MediaIds = Annotated[list[Annotated[str, msgspec.Meta(max_length=40)]], msgspec.Meta(max_length=20)]
Note = Annotated[str, msgspec.Meta(max_length=1000)]
Reason = Annotated[str, msgspec.Meta(max_length=500)]


class CaseReportIn(msgspec.Struct, frozen=True, rename="camel", forbid_unknown_fields=True):
    category: Annotated[str, msgspec.Meta(min_length=3, max_length=8)]
    location: Location
    media_ids: MediaIds
    description: Note = ""
    address: Annotated[str, msgspec.Meta(max_length=200)] = ""
    priority: Annotated[int, msgspec.Meta(ge=1, le=4)] | None = None
    occurred_at: UtcDateTime | None = None

    def new_case(self) -> NewCase:
        return new_case_of(self, priority=self.priority)


def new_case_of(body: Any, **extra: Any) -> NewCase:
    """A staff body's report (a patrol report, a hotline call): the fields they share."""
    lat, lon = body.location.wgs84()
    return NewCase(
        category_code=body.category,
        lat=lat,
        lon=lon,
        description=body.description,
        address=body.address,
        media_ids=body.media_ids,
        occurred_at=body.occurred_at,
        **extra,
    )


class QuickIn(CaseReportIn, frozen=True, rename="camel", forbid_unknown_fields=True):
    after_media_ids: MediaIds = []
    note: Note = ""


class CaseVerifyIn(msgspec.Struct, frozen=True, rename="camel", forbid_unknown_fields=True):
    valid: bool
    reason: Reason | None = None
    note: Note = ""
    media_ids: MediaIds = []
    occurred_at: UtcDateTime | None = None


class ResolveIn(msgspec.Struct, frozen=True, rename="camel", forbid_unknown_fields=True):
    media_ids: MediaIds
    note: Note = ""
    occurred_at: UtcDateTime | None = None


class ChangeRequestIn(msgspec.Struct, frozen=True, rename="camel", forbid_unknown_fields=True):
    reason: Reason
    hours: Annotated[int, msgspec.Meta(ge=1, le=720)] | None = None
    occurred_at: UtcDateTime | None = None


class CheckIn(msgspec.Struct, frozen=True, rename="camel", forbid_unknown_fields=True):
    passed: bool
    note: Note = ""
    reason: Reason | None = None
    media_ids: MediaIds = []
    occurred_at: UtcDateTime | None = None


class CloseIn(msgspec.Struct, frozen=True, rename="camel", forbid_unknown_fields=True):
    media_ids: MediaIds
    note: Note = ""
    occurred_at: UtcDateTime | None = None


class ReporterPhoneOut(msgspec.Struct, frozen=True, rename="camel"):
    phone: str | None


async def field_detail(actor: Actor, case: Case, coord_sys="wgs84") -> CaseStaffDetail:
    return await case_staff_detail(
        case,
        coord_sys,
        media_base=MEDIA_BASE,
        actions=await field.available_actions(actor, case),
        locale=actor.locale,
    )


class InspectorCaseController(Controller):
    path = "/cases"
    tags = ["inspector cases"]

    async def _act(
        self,
        request: Request,
        actor: Actor,
        step: Callable[[], Awaitable[Case]],
        status_code: int = 200,
    ) -> Response:
        async def action() -> CaseStaffDetail:
            return await field_detail(actor, await step())

        return await run_idempotent(request, actor, action, status_code=status_code)

    @get("/{case_id:str}", summary="The staff view of a case (reporter's phone masked)")
    async def one(
        self,
        actor: NamedDependency[Actor],
        case_id: FromPath[CaseId],
        coord_sys: CoordSysQuery = "wgs84",
    ) -> CaseStaffDetail:
        return await field_detail(actor, await case_for_staff(actor, case_id), coord_sys)

    @post(
        "/",
        summary="Patrol report (巡查上报): accepted at once and dispatched",
        opt={"roles": ("inspector",)},
    )
    async def report(
        self, request: Request, actor: NamedDependency[Actor], data: JSONBody[CaseReportIn]
    ) -> Response[CaseStaffDetail]:
        report = data.new_case()
        return await self._act(
            request, actor, lambda: field.patrol_report(actor=actor, report=report), 201
        )

    @post(
        "/quick",
        summary="Found and fixed on the spot (自处理): filed, resolved, closed",
        opt={"roles": ("inspector",)},
    )
    async def quick(
        self, request: Request, actor: NamedDependency[Actor], data: JSONBody[QuickIn]
    ) -> Response[CaseStaffDetail]:
        report = data.new_case()
        return await self._act(
            request,
            actor,
            lambda: field.quick(
                actor=actor, report=report, after_media_ids=data.after_media_ids, note=data.note
            ),
            201,
        )

    @post(
        "/{case_id:str}/verify",
        status_code=200,
        summary="核实: valid -> accepted and dispatched, invalid -> rejected with a reason",
    )
    async def verify(
        self,
        request: Request,
        actor: NamedDependency[Actor],
        case_id: FromPath[CaseId],
        data: JSONBody[CaseVerifyIn],
    ) -> Response[CaseStaffDetail]:
        return await self._act(
            request,
            actor,
            lambda: field.verify(
                actor=actor,
                case_id=case_id,
                valid=data.valid,
                reason=data.reason,
                note=data.note,
                media_ids=data.media_ids,
                occurred_at=data.occurred_at,
            ),
        )

    @post(
        "/{case_id:str}/resolve", status_code=200, summary="处置完成 with after-photos and a note"
    )
    async def resolve(
        self,
        request: Request,
        actor: NamedDependency[Actor],
        case_id: FromPath[CaseId],
        data: JSONBody[ResolveIn],
    ) -> Response[CaseStaffDetail]:
        return await self._act(
            request,
            actor,
            lambda: field.resolve(
                actor=actor,
                case_id=case_id,
                note=data.note,
                media_ids=data.media_ids,
                occurred_at=data.occurred_at,
            ),
        )

    @post(
        "/{case_id:str}/request-extension",
        status_code=200,
        summary="延期: ask the command centre for time",
    )
    async def request_extension(
        self,
        request: Request,
        actor: NamedDependency[Actor],
        case_id: FromPath[CaseId],
        data: JSONBody[ChangeRequestIn],
    ) -> Response[CaseStaffDetail]:
        return await self._act(
            request,
            actor,
            lambda: field.request_change(
                actor=actor,
                case_id=case_id,
                kind="extension",
                reason=data.reason,
                hours=data.hours,
                occurred_at=data.occurred_at,
            ),
        )

    @post(
        "/{case_id:str}/request-return", status_code=200, summary="回退: ask to hand the case back"
    )
    async def request_return(
        self,
        request: Request,
        actor: NamedDependency[Actor],
        case_id: FromPath[CaseId],
        data: JSONBody[ChangeRequestIn],
    ) -> Response[CaseStaffDetail]:
        return await self._act(
            request,
            actor,
            lambda: field.request_change(
                actor=actor,
                case_id=case_id,
                kind="return",
                reason=data.reason,
                occurred_at=data.occurred_at,
            ),
        )

    @post(
        "/{case_id:str}/check",
        status_code=200,
        summary="核查: pass -> closed, fail -> rework (返工)",
    )
    async def check(
        self,
        request: Request,
        actor: NamedDependency[Actor],
        case_id: FromPath[CaseId],
        data: JSONBody[CheckIn],
    ) -> Response[CaseStaffDetail]:
        return await self._act(
            request,
            actor,
            lambda: field.check(
                actor=actor,
                case_id=case_id,
                passed=data.passed,
                note=data.note,
                reason=data.reason,
                media_ids=data.media_ids,
                occurred_at=data.occurred_at,
            ),
        )

    @post(
        "/{case_id:str}/close",
        status_code=200,
        summary="一键结案: check and close with after-photos",
    )
    async def close(
        self,
        request: Request,
        actor: NamedDependency[Actor],
        case_id: FromPath[CaseId],
        data: JSONBody[CloseIn],
    ) -> Response[CaseStaffDetail]:
        return await self._act(
            request,
            actor,
            lambda: field.close(
                actor=actor,
                case_id=case_id,
                media_ids=data.media_ids,
                note=data.note,
                occurred_at=data.occurred_at,
            ),
        )

    @post(
        "/{case_id:str}/reporter-phone",
        status_code=200,
        summary="The reporter's full phone number, for the one who must act now (audited)",
    )
    async def reporter_phone(
        self, request: Request, actor: NamedDependency[Actor], case_id: FromPath[CaseId]
    ) -> Response[ReporterPhoneOut]:
        async def action() -> ReporterPhoneOut:
            return ReporterPhoneOut(phone=await field.reporter_phone(actor=actor, case_id=case_id))

        return await run_idempotent(request, actor, action, status_code=200)
