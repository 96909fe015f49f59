"""The command centre's own queues: alerts (no silent queues), supervision orders (督办),
internal notes, and the duty rosters (值班) alerts and urgent pages follow."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal

import msgspec
from litestar import Controller, delete, get, post
from litestar.di import NamedDependency
from litestar.params import FromPath, FromQuery, JSONBody, QueryParameter

from accounts.errors import RoleNotAllowed
from api.case_views import CaseStaffDetail, case_staff_detail
from api.citizen.reports import CaseId
from api.params import IdParam, Int32, PageLimit
from api.types import UtcDateTime
from cases import alerts, command, queries, scope, supervision
from cases.access import case_for_staff
from cases.tables import Case
from core.actors import Actor
from core.db import transaction
from org import duty
from org.centres import unit_tree

SUPERVISORS = {"supervisors": True}


class AlertOut(msgspec.Struct, frozen=True, rename="camel"):
    id: int
    kind: str
    severity: int
    case_id: str | None
    case_number: str | None
    centre_id: int | None
    detail: dict
    created_at: dt.datetime
    acknowledged_at: dt.datetime | None
    acknowledged_by: int | None
    resolved_at: dt.datetime | None


class AlertPageOut(msgspec.Struct, frozen=True, rename="camel"):
    items: list[AlertOut]
    next_cursor: str | None


async def alert_outs(items: list[alerts.AlertInfo]) -> list[AlertOut]:
    cases = await queries.case_refs([a.case_id for a in items])
    return [
        AlertOut(
            id=a.id,
            kind=a.kind,
            severity=a.severity,
            case_id=cases[a.case_id][0] if a.case_id in cases else None,
            case_number=cases[a.case_id][1] if a.case_id in cases else None,
            centre_id=a.centre_id,
            detail=a.detail,
            created_at=a.created_at,
            acknowledged_at=a.acknowledged_at,
            acknowledged_by=a.acknowledged_by,
            resolved_at=a.resolved_at,
        )
        for a in items
    ]


class AlertController(Controller):
    path = "/alerts"
    tags = ["command centre"]

    @get("/", summary="Alerts in my centre's scope, most urgent first")
    async def list_alerts(
        self,
        actor: NamedDependency[Actor],
        status: FromQuery[Literal["open", "unacknowledged", "all"]] = "open",
        kind: FromQuery[Literal[alerts.KINDS] | None] = None,  # type: ignore[valid-type]
        cursor: FromQuery[str | None] = None,
        limit: PageLimit = 50,
    ) -> AlertPageOut:
        page = await alerts.list_alerts(
            scope=await scope.scope_of(actor), status=status, kind=kind, cursor=cursor, limit=limit
        )
        return AlertPageOut(items=await alert_outs(page.items), next_cursor=page.next_cursor)

    @post(
        "/{alert_id:int}/acknowledge",
        status_code=200,
        summary="I have seen it (it stays open until its cause is over)",
        opt=SUPERVISORS,
    )
    async def acknowledge(self, actor: NamedDependency[Actor], alert_id: IdParam) -> AlertOut:
        async with transaction():
            info = await alerts.acknowledge(
                actor=actor, alert_id=alert_id, scope=await scope.scope_of(actor)
            )
        return (await alert_outs([info]))[0]


class SupervisionIn(msgspec.Struct, frozen=True, rename="camel", forbid_unknown_fields=True):
    note: Annotated[str, msgspec.Meta(min_length=1, max_length=500)]
    deadline: UtcDateTime
    unit_id: Int32 | None = None


class SupervisionNoteIn(msgspec.Struct, frozen=True, rename="camel", forbid_unknown_fields=True):
    text: Annotated[str, msgspec.Meta(min_length=1, max_length=1000)]


class CaseOrdersController(Controller):
    path = "/cases/{case_id:str}"
    tags = ["command centre"]

    async def _detail(self, actor: Actor, case: Case) -> CaseStaffDetail:
        return await case_staff_detail(
            case, actions=await command.available_actions(actor, case), locale=actor.locale
        )

    @post(
        "/supervision",
        status_code=200,
        summary="督办: order a lower unit to see the case through by a deadline",
        opt=SUPERVISORS,
    )
    async def supervise(
        self,
        actor: NamedDependency[Actor],
        case_id: FromPath[CaseId],
        data: JSONBody[SupervisionIn],
    ) -> CaseStaffDetail:
        async with transaction():
            case = await supervision.supervise_case(
                actor=actor,
                case_id=case_id,
                note=data.note,
                deadline_at=data.deadline,
                unit_id=data.unit_id,
            )
        return await self._detail(actor, case)

    @post(
        "/notes",
        status_code=200,
        summary="An internal note (staff only; never shown to citizens)",
        opt=SUPERVISORS,
    )
    async def note(
        self,
        actor: NamedDependency[Actor],
        case_id: FromPath[CaseId],
        data: JSONBody[SupervisionNoteIn],
    ) -> CaseStaffDetail:
        async with transaction():
            case = await case_for_staff(actor, case_id)
            await command.add_note(actor=actor, case=case, text=data.text)
        return await self._detail(actor, case)


class OrderOut(msgspec.Struct, frozen=True, rename="camel"):
    id: int
    case_id: str
    case_number: str
    from_unit_id: int
    to_unit_id: int
    note: str
    deadline: dt.datetime
    issued_at: dt.datetime
    closed_at: dt.datetime | None


class SupervisionListController(Controller):
    path = "/supervisions"
    tags = ["command centre"]

    @get("/", summary="Supervision orders my centre gave or got, or on cases in my scope")
    async def list_orders(
        self,
        actor: NamedDependency[Actor],
        open_only: Annotated[bool, QueryParameter(name="open")] = True,
    ) -> list[OrderOut]:
        orders = await supervision.list_orders(
            scope=await scope.scope_of(actor), open_only=open_only
        )
        cases = await queries.case_refs([o.case_id for o in orders])
        return [
            OrderOut(
                id=o.id,
                case_id=cases[o.case_id][0],
                case_number=cases[o.case_id][1],
                from_unit_id=o.from_unit_id,
                to_unit_id=o.to_unit_id,
                note=o.note,
                deadline=o.deadline_at,
                issued_at=o.created_at,
                closed_at=o.closed_at,
            )
            for o in orders
        ]


class ShiftIn(msgspec.Struct, frozen=True, rename="camel", forbid_unknown_fields=True):
    unit_id: Int32
    staff_id: Int32
    starts_at: UtcDateTime
    ends_at: UtcDateTime


class ShiftOut(msgspec.Struct, frozen=True, rename="camel"):
    id: int
    unit_id: int
    staff_id: int
    starts_at: dt.datetime
    ends_at: dt.datetime


async def _managed_units(actor: Actor) -> frozenset[int] | None:
    """The units whose rosters the actor keeps: an admin every unit (None); an operator the
    units of their centre's area (its own included)."""
    if actor.has_role("admin"):
        return None
    return scope.units_within(await scope.scope_of(actor), await unit_tree())


class DutyShiftController(Controller):
    path = "/duty-shifts"
    tags = ["command centre"]

    @get("/", summary="Duty shifts overlapping [from, to) of the units I keep rosters for")
    async def list_shifts(
        self,
        actor: NamedDependency[Actor],
        since: Annotated[UtcDateTime, QueryParameter(name="from")],
        until: Annotated[UtcDateTime, QueryParameter(name="to")],
    ) -> list[ShiftOut]:
        shifts = await duty.list_shifts(
            unit_ids=await _managed_units(actor), since=since, until=until
        )
        return [ShiftOut(**msgspec.structs.asdict(s)) for s in shifts]

    @post("/", summary="Put a staff member of a unit on duty")
    async def create(self, actor: NamedDependency[Actor], data: JSONBody[ShiftIn]) -> ShiftOut:
        managed = await _managed_units(actor)
        if managed is not None and data.unit_id not in managed:
            raise RoleNotAllowed()
        async with transaction():
            info = await duty.create_shift(
                unit_id=data.unit_id,
                staff_id=data.staff_id,
                starts_at=data.starts_at,
                ends_at=data.ends_at,
            )
        return ShiftOut(**msgspec.structs.asdict(info))

    @delete("/{shift_id:int}", summary="Take a shift off the roster")
    async def remove(self, actor: NamedDependency[Actor], shift_id: IdParam) -> None:
        async with transaction():
            await duty.delete_shift(shift_id=shift_id, unit_ids=await _managed_units(actor))


COMMAND_CENTRE_CONTROLLERS = [
    AlertController,
    CaseOrdersController,
    SupervisionListController,
    DutyShiftController,
]
