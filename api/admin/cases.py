"""The command centre's case list and manual actions."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Annotated, Literal

import msgspec
from litestar import Controller, get, post
from litestar.di import NamedDependency
from litestar.params import FromPath, FromQuery, JSONBody, QueryParameter

from api.case_views import CaseStaffDetail, CaseStaffPage, case_staff_detail, case_staff_page
from api.citizen.reports import CaseId
from api.geo import CoordSysQuery
from api.params import Int32, PageLimit, id_query
from api.types import UtcDateTime
from cases import command, handling, queries
from cases.access import load_case
from cases.tables import Case
from core.actors import Actor
from core.db import transaction
from core.errors import FieldRequired

Action = Literal[
    "accept",
    "reject",
    "merge",
    "dispatch",
    "redispatch",
    "suspend",
    "resume",
    "cancel",
    "approve-extension",
    "decline-extension",
    "approve-return",
    "decline-return",
    "resolve",
    "close",
    "rework",
]


class ActionIn(msgspec.Struct, frozen=True, rename="camel", forbid_unknown_fields=True):
    reason: Annotated[str, msgspec.Meta(max_length=500)] | None = None
    note: Annotated[str, msgspec.Meta(max_length=500)] = ""
    into_case_id: CaseId | None = None
    unit_id: Int32 | None = None
    priority: Annotated[int, msgspec.Meta(ge=1, le=4)] | None = None


def _needs(value, field: str):
    if value is None:
        raise FieldRequired(field=field)
    return value


async def _run(action: Action, actor: Actor, case_id: str, data: ActionIn) -> Case:
    handlers: dict[str, Callable[[], Awaitable[Case]]] = {
        "accept": lambda: command.accept(actor=actor, case_id=case_id),
        "reject": lambda: command.reject(actor=actor, case_id=case_id, reason=data.reason),
        "cancel": lambda: command.cancel(actor=actor, case_id=case_id, reason=data.reason),
        "suspend": lambda: command.suspend(actor=actor, case_id=case_id, reason=data.reason),
        "merge": lambda: command.merge(
            actor=actor, case_id=case_id, into_case_id=_needs(data.into_case_id, "intoCaseId")
        ),
        "dispatch": lambda: command.dispatch(
            actor=actor,
            case_id=case_id,
            unit_id=_needs(data.unit_id, "unitId"),
            priority=data.priority,
            note=data.note,
        ),
        "approve-extension": lambda: command.decide_extension(
            actor=actor, case_id=case_id, approve=True
        ),
        "decline-extension": lambda: command.decide_extension(
            actor=actor, case_id=case_id, approve=False
        ),
        "approve-return": lambda: command.decide_return(actor=actor, case_id=case_id, approve=True),
        "decline-return": lambda: command.decide_return(
            actor=actor, case_id=case_id, approve=False
        ),
    }
    handlers["redispatch"] = handlers["resume"] = handlers["dispatch"]
    if action in handlers:
        return await handlers[action]()
    case = await load_case(case_id)
    if action == "resolve":
        return await handling.resolve(actor=actor, case=case, note=data.note)
    return await handling.check(actor=actor, case=case, passed=action == "close", note=data.note)


class AdminCaseController(Controller):
    path = "/cases"
    tags = ["command centre"]

    @get("/", summary="Cases, filtered; newest first, keyset pages")
    async def list_cases(
        self,
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
        page = await queries.list_cases(filters=filters, cursor=cursor, limit=limit)
        return await case_staff_page(page, coord_sys)

    @get("/{case_id:str}", summary="A case with its full event history")
    async def one(
        self, case_id: FromPath[CaseId], coord_sys: CoordSysQuery = "wgs84"
    ) -> CaseStaffDetail:
        return await case_staff_detail(await load_case(case_id), coord_sys)

    @post("/{case_id:str}/{action:str}", status_code=200, summary="Act on a case by hand")
    async def act(
        self,
        actor: NamedDependency[Actor],
        case_id: FromPath[CaseId],
        action: FromPath[Action],
        data: JSONBody[ActionIn],
    ) -> CaseStaffDetail:
        async with transaction():
            case = await _run(action, actor, case_id, data)
        return await case_staff_detail(case)
