"""The staff view of a case, shared by the command centre and the inspector app: reporter
identity stays masked (anonymous reports hide it entirely)."""

from __future__ import annotations

import datetime as dt

import msgspec

from accounts import service as accounts
from api.geo import CoordSys, Location, location_out
from cases import queries, sla
from cases.queries import Page
from cases.tables import Case


class EventOut(msgspec.Struct, frozen=True, rename="camel"):
    at: dt.datetime
    action: str
    from_state: str | None
    to_state: str
    actor_kind: str
    actor_id: int
    note: str
    occurred_at: dt.datetime | None


class CaseStaffOut(msgspec.Struct, frozen=True, rename="camel"):
    id: str
    number: str
    category_code: str
    description: str
    location: Location
    address: str
    grid_id: int | None
    unit_id: int | None
    state: str
    priority: int
    source: str
    anonymous: bool
    reporter_phone: str | None
    flags: list[str]
    rework_count: int
    reported_at: dt.datetime
    accepted_at: dt.datetime | None
    dispatched_at: dt.datetime | None
    resolved_at: dt.datetime | None
    closed_at: dt.datetime | None
    deadline: dt.datetime | None
    light: str | None
    overdue: bool
    rating: int | None
    merged_into: int | None


class CaseStaffDetail(msgspec.Struct, frozen=True, rename="camel"):
    case: CaseStaffOut
    events: list[EventOut]


class CaseStaffPage(msgspec.Struct, frozen=True, rename="camel"):
    items: list[CaseStaffOut]
    next_cursor: str | None


async def _reporter_phone(case: Case) -> str | None:
    if case.anonymous or case.reporter_kind != "citizen" or case.reporter_id is None:
        return None
    return await accounts.masked_citizen_phone(citizen_id=case.reporter_id)


async def case_staff_out(case: Case, coord_sys: CoordSys = "wgs84") -> CaseStaffOut:
    return CaseStaffOut(
        id=case.public_id,
        number=case.number,
        category_code=case.category_code,
        description=case.description,
        location=location_out(case.lat, case.lon, coord_sys),
        address=case.address,
        grid_id=case.grid_id,
        unit_id=case.unit_id,
        state=case.state,
        priority=case.priority,
        source=case.source,
        anonymous=case.anonymous,
        reporter_phone=await _reporter_phone(case),
        flags=msgspec.json.decode(case.flags),
        rework_count=case.rework_count,
        reported_at=case.reported_at,
        accepted_at=case.accepted_at,
        dispatched_at=case.dispatched_at,
        resolved_at=case.resolved_at,
        closed_at=case.closed_at,
        deadline=case.deadline_at,
        light=sla.light(case),
        overdue=case.overdue,
        rating=case.rating,
        merged_into=case.merged_into_id,
    )


async def case_staff_detail(case: Case, coord_sys: CoordSys = "wgs84") -> CaseStaffDetail:
    events = [
        EventOut(
            at=e.created_at,
            action=e.action,
            from_state=e.from_state,
            to_state=e.to_state,
            actor_kind=e.actor_kind,
            actor_id=e.actor_id,
            note=e.note,
            occurred_at=e.occurred_at,
        )
        for e in await queries.timeline(case)
    ]
    return CaseStaffDetail(case=await case_staff_out(case, coord_sys), events=events)


async def case_staff_page(page: Page, coord_sys: CoordSys = "wgs84") -> CaseStaffPage:
    return CaseStaffPage(
        items=[await case_staff_out(c, coord_sys) for c in page.items], next_cursor=page.next_cursor
    )
