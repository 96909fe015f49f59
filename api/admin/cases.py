"""The command centre's case list and manual actions."""

from __future__ import annotations

from typing import Annotated, Literal

import msgspec
from litestar import Controller, delete, get, post, put
from litestar.di import NamedDependency
from litestar.params import FromPath, FromQuery, JSONBody, QueryParameter

from api.case_views import CaseStaffDetail, CaseStaffPage, case_staff_detail, case_staff_page
from api.citizen.reports import CaseId
from api.geo import CoordSysQuery
from api.params import Int32, PageLimit, id_query
from api.types import UtcDateTime
from audit.service import record
from cases import command, manual, queries, scope
from cases.access import case_for_staff
from cases.manual import Action
from cases.tables import Case
from core.actors import Actor
from core.db import transaction

MEDIA_BASE = "/api/inspector/media"  # staff photo routes (the bearer token of any staff app)


class ActionIn(msgspec.Struct, frozen=True, rename="camel", forbid_unknown_fields=True):
    reason: Annotated[str, msgspec.Meta(max_length=500)] | None = None
    note: Annotated[str, msgspec.Meta(max_length=500)] = ""
    into_case_id: CaseId | None = None
    unit_id: Int32 | None = None
    priority: Annotated[int, msgspec.Meta(ge=1, le=4)] | None = None
    # accept: and dispatch by rule at once (false: accept now, dispatch by hand later)
    auto_dispatch: bool = True
    staff_id: Int32 | None = None  # assign
    unit_ids: Annotated[list[Int32], msgspec.Meta(max_length=10)] | None = None  # assist
    category: Annotated[str, msgspec.Meta(min_length=3, max_length=8)] | None = None
    # resolve: after-photos, or else a written reason (note or reason) the reporter is told
    media_ids: (
        Annotated[list[Annotated[str, msgspec.Meta(max_length=40)]], msgspec.Meta(max_length=20)]
        | None
    ) = None


class PublicTextIn(msgspec.Struct, frozen=True, rename="camel", forbid_unknown_fields=True):
    """What the public sees in place of the reporter's description and address."""

    description: Annotated[str, msgspec.Meta(max_length=1000)]
    address: Annotated[str, msgspec.Meta(max_length=200)] = ""


def _public_text(case: Case) -> dict[str, str | None]:
    return {"description": case.public_description, "address": case.public_address}


async def _moderate(actor: Actor, case_id: str, text: PublicTextIn | None) -> CaseStaffDetail:
    async with transaction():
        before = _public_text(await case_for_staff(actor, case_id))
        case = await command.moderate_public_text(
            actor=actor,
            case_id=case_id,
            description=text.description if text else None,
            address=text.address if text else "",
        )
        await record(
            actor=actor,
            action="case.public_text",
            target_kind="case",
            target_id=case_id,
            before=before,
            after=_public_text(case),
        )
    return await case_staff_detail(case, locale=actor.locale)


class AdminCaseController(Controller):
    path = "/cases"
    tags = ["command centre"]

    @get("/", summary="Cases in my scope, filtered; newest first, keyset pages")
    async def list_cases(
        self,
        actor: NamedDependency[Actor],
        case_state: Annotated[str | None, QueryParameter(name="state")] = None,
        category: FromQuery[str | None] = None,
        grid_id: Annotated[int | None, id_query("gridId")] = None,
        unit_id: Annotated[int | None, id_query("unitId")] = None,
        source: FromQuery[str | None] = None,
        light: FromQuery[Literal["green", "yellow", "red"] | None] = None,
        unassigned: FromQuery[bool | None] = None,
        reported_from: Annotated[UtcDateTime | None, QueryParameter(name="reportedFrom")] = None,
        reported_to: Annotated[UtcDateTime | None, QueryParameter(name="reportedTo")] = None,
        cursor: FromQuery[str | None] = None,
        limit: PageLimit = 50,
        coord_sys: CoordSysQuery = "wgs84",
    ) -> CaseStaffPage:
        filters = queries.CaseFilter(
            state=case_state,
            category=category,
            grid_id=grid_id,
            unit_id=unit_id,
            source=source,
            light=light,
            unassigned=unassigned,
            reported_from=reported_from,
            reported_to=reported_to,
        )
        page = await queries.list_cases(
            filters=filters, cursor=cursor, limit=limit, within=await scope.scope_of(actor)
        )
        return await case_staff_page(page, coord_sys)

    @get("/{case_id:str}", summary="A case with its full event history")
    async def one(
        self,
        actor: NamedDependency[Actor],
        case_id: FromPath[CaseId],
        coord_sys: CoordSysQuery = "wgs84",
    ) -> CaseStaffDetail:
        case = await case_for_staff(actor, case_id)
        return await case_staff_detail(
            case,
            coord_sys,
            media_base=MEDIA_BASE,
            actions=await command.available_actions(actor, case),
            locale=actor.locale,
        )

    @post("/{case_id:str}/{action:str}", status_code=200, summary="Act on a case by hand")
    async def act(
        self,
        actor: NamedDependency[Actor],
        case_id: FromPath[CaseId],
        action: FromPath[Action],
        data: JSONBody[ActionIn],
    ) -> CaseStaffDetail:
        async with transaction():
            await case_for_staff(actor, case_id)  # out of scope: 404
            case = await manual.run_action(action, actor, case_id, data)
        return await case_staff_detail(
            case,
            media_base=MEDIA_BASE,
            actions=await command.available_actions(actor, case),
            locale=actor.locale,
        )

    @put(
        "/{case_id:str}/public-text",
        status_code=200,
        summary="Moderate the text the public sees of this case",
        description="Open311 and followers then see this description and address instead of "
        "the reporter's own (an anonymous report shows no text until one is set). Audited.",
    )
    async def set_public_text(
        self, actor: NamedDependency[Actor], case_id: FromPath[CaseId], data: JSONBody[PublicTextIn]
    ) -> CaseStaffDetail:
        return await _moderate(actor, case_id, data)

    @delete(
        "/{case_id:str}/public-text",
        status_code=200,
        summary="Withdraw the moderated text: the visibility policy's default applies again",
    )
    async def clear_public_text(
        self, actor: NamedDependency[Actor], case_id: FromPath[CaseId]
    ) -> CaseStaffDetail:
        return await _moderate(actor, case_id, None)
