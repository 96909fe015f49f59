"""A unit's own steps on its cases in the staff app: acknowledge (签收), assign to one of
its handlers (一键到人), hand back as not ours (转办), report an assisting part (协办), and
internal notes."""

from __future__ import annotations

from typing import Annotated

import msgspec
from litestar import Controller, Request, Response, post
from litestar.di import NamedDependency
from litestar.params import FromPath, JSONBody

from api.case_views import CaseStaffDetail
from api.citizen.reports import CaseId
from api.idempotent import run_idempotent
from api.inspector.cases import Note, Reason, field_detail
from api.params import Int32
from cases import command, handoff
from cases.access import case_for_staff
from core.actors import Actor

HANDLERS = {"roles": ("handler",)}


class AssignIn(msgspec.Struct, frozen=True, rename="camel", forbid_unknown_fields=True):
    staff_id: Int32


class TransferIn(msgspec.Struct, frozen=True, rename="camel", forbid_unknown_fields=True):
    reason: Reason


class AssistReportIn(msgspec.Struct, frozen=True, rename="camel", forbid_unknown_fields=True):
    note: Annotated[str, msgspec.Meta(min_length=1, max_length=1000)]


class UnitNoteIn(msgspec.Struct, frozen=True, rename="camel", forbid_unknown_fields=True):
    text: Annotated[Note, msgspec.Meta(min_length=1)]


class UnitWorkController(Controller):
    path = "/cases/{case_id:str}"
    tags = ["inspector cases"]

    async def _act(self, request: Request, actor: Actor, case_id: str, step) -> Response:
        async def action() -> CaseStaffDetail:
            case = await case_for_staff(actor, case_id)
            return await field_detail(actor, await step(case))

        return await run_idempotent(request, actor, action, status_code=200)

    @post(
        "/acknowledge",
        status_code=200,
        summary="签收: the unit (or the assignee) has the case",
        opt=HANDLERS,
    )
    async def acknowledge(
        self, request: Request, actor: NamedDependency[Actor], case_id: FromPath[CaseId]
    ) -> Response[CaseStaffDetail]:
        return await self._act(
            request, actor, case_id, lambda case: handoff.acknowledge(actor=actor, case=case)
        )

    @post("/assign", status_code=200, summary="Give the case to a handler of my unit", opt=HANDLERS)
    async def assign(
        self,
        request: Request,
        actor: NamedDependency[Actor],
        case_id: FromPath[CaseId],
        data: JSONBody[AssignIn],
    ) -> Response[CaseStaffDetail]:
        return await self._act(
            request,
            actor,
            case_id,
            lambda case: handoff.assign(actor=actor, case=case, staff_id=data.staff_id),
        )

    @post(
        "/transfer",
        status_code=200,
        summary="转办: not ours; back to the command centre at once",
        opt=HANDLERS,
    )
    async def transfer(
        self,
        request: Request,
        actor: NamedDependency[Actor],
        case_id: FromPath[CaseId],
        data: JSONBody[TransferIn],
    ) -> Response[CaseStaffDetail]:
        return await self._act(
            request,
            actor,
            case_id,
            lambda case: handoff.transfer(actor=actor, case=case, reason=data.reason),
        )

    @post("/assist-report", status_code=200, summary="协办: my unit's part is done", opt=HANDLERS)
    async def assist_report(
        self,
        request: Request,
        actor: NamedDependency[Actor],
        case_id: FromPath[CaseId],
        data: JSONBody[AssistReportIn],
    ) -> Response[CaseStaffDetail]:
        return await self._act(
            request,
            actor,
            case_id,
            lambda case: handoff.report_assist(actor=actor, case=case, note=data.note),
        )

    @post(
        "/notes", status_code=200, summary="An internal note (staff only; never shown to citizens)"
    )
    async def note(
        self,
        request: Request,
        actor: NamedDependency[Actor],
        case_id: FromPath[CaseId],
        data: JSONBody[UnitNoteIn],
    ) -> Response[CaseStaffDetail]:
        return await self._act(
            request,
            actor,
            case_id,
            lambda case: command.add_note(actor=actor, case=case, text=data.text),
        )
