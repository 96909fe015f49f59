"""What waits for a staff member: verify (核实) reports in their grids, handle (处置) cases
dispatched to their unit, check (核查) resolved cases in their grids.

Sorted by urgency: the moment each task falls due. A dispatched case is due at its SLA
deadline; a report is due VERIFY_WITHIN after filing, a resolved case CHECK_WITHIN after
resolution. Each kind's due time is one column plus a constant, so each kind is read in
SQL in due order from the keyset cursor on, and the kinds are merged here: a page costs at
most three indexed range reads however long the queues are.
"""

from __future__ import annotations

import datetime as dt
from typing import Literal

import msgspec

from accounts import service as accounts
from cases.tables import Case, CaseEvent
from cases.workflow import DISPATCHED, REPORTED, RESOLVED
from core import clock
from core.actors import Actor
from core.pagination import MAX_LIMIT, Cursor, decode_cursor, encode_cursor
from org import grids
from org.geo import distance_m

TaskKind = Literal["verify", "handle", "check"]
VERIFY_WITHIN = dt.timedelta(hours=2)
CHECK_WITHIN = dt.timedelta(hours=4)


class Task(msgspec.Struct, frozen=True, kw_only=True):
    kind: str
    case: Case
    due_at: dt.datetime
    distance_m: float | None


class TaskPage(msgspec.Struct, frozen=True, kw_only=True):
    items: list[Task]
    next_cursor: str | None


async def last_resolver(case_id: int) -> tuple[str, int] | None:
    """(actor kind, id) of whoever last resolved the case."""
    row = (
        await CaseEvent.select(CaseEvent.actor_kind, CaseEvent.actor_id)
        .where((CaseEvent.case == case_id) & (CaseEvent.action == "resolve"))
        .order_by(CaseEvent.id, ascending=False)
        .first()
    )
    return (row["actor_kind"], row["actor_id"]) if row else None


async def resolved_by(actor: Actor, case_ids: list[int]) -> set[int]:
    """Those of ``case_ids`` whose latest resolution is the actor's own work."""
    if not case_ids:
        return set()
    rows = (
        await CaseEvent.select(CaseEvent.case, CaseEvent.actor_kind, CaseEvent.actor_id)
        .where(CaseEvent.case.is_in(case_ids) & (CaseEvent.action == "resolve"))
        .order_by(CaseEvent.id)
    )
    last = {row["case"]: (row["actor_kind"], row["actor_id"]) for row in rows}
    return {cid for cid, who in last.items() if who == (actor.kind, actor.id)}


async def _own_resolved(actor: Actor, grid_ids: list[int]) -> list[int]:
    mine = await CaseEvent.select(CaseEvent.case).where(
        (CaseEvent.action == "resolve")
        & (CaseEvent.actor_kind == actor.kind)
        & (CaseEvent.actor_id == actor.id)
        & (CaseEvent.case.state == RESOLVED)
        & CaseEvent.case.grid_id.is_in(grid_ids)
    )
    return sorted(await resolved_by(actor, sorted({row["case"] for row in mine})))


def _from_cursor(query, column, offset: dt.timedelta, cursor: Cursor | None):
    if cursor is None:
        return query
    at = cursor.at - offset
    return query.where((column > at) | ((column == at) & (Case.id > cursor.id)))


async def my_tasks(
    *,
    actor: Actor,
    kind: TaskKind | None = None,
    near: tuple[float, float] | None = None,
    cursor: str | None = None,
    limit: int = 20,
) -> TaskPage:
    limit = max(1, min(limit, MAX_LIMIT))
    after = decode_cursor(cursor, kind="tasks")
    grid_ids = (
        await grids.inspector_grid_ids(staff_id=actor.id) if actor.has_role("inspector") else []
    )
    unit_id = await accounts.staff_unit_id(staff_id=actor.id)
    sources = []
    if grid_ids and kind in (None, "verify"):
        sources.append(
            (
                "verify",
                Case.reported_at,
                VERIFY_WITHIN,
                (Case.state == REPORTED) & Case.grid_id.is_in(grid_ids),
            )
        )
    if unit_id is not None and kind in (None, "handle"):
        sources.append(
            (
                "handle",
                Case.deadline_at,
                dt.timedelta(0),
                (Case.state == DISPATCHED)
                & (Case.unit_id == unit_id)
                & Case.deadline_at.is_not_null(),
            )
        )
    if grid_ids and kind in (None, "check"):
        where = (Case.state == RESOLVED) & Case.grid_id.is_in(grid_ids)
        if own := await _own_resolved(actor, grid_ids):
            where = where & Case.id.not_in(own)  # nobody checks their own work
        sources.append(("check", Case.resolved_at, CHECK_WITHIN, where))
    found: list[tuple[dt.datetime, int, str, Case]] = []
    for name, column, offset, where in sources:
        rows = (
            await _from_cursor(Case.objects().where(where), column, offset, after)
            .order_by(column)
            .order_by(Case.id)
            .limit(limit + 1)
        )
        found += [
            (clock.as_utc(getattr(c, column._meta.name)) + offset, c.id, name, c) for c in rows
        ]
    found.sort(key=lambda item: (item[0], item[1]))
    page = found[:limit]
    items = [
        Task(
            kind=name,
            case=case,
            due_at=due,
            distance_m=round(distance_m(near[0], near[1], case.lat, case.lon), 1) if near else None,
        )
        for due, _, name, case in page
    ]
    next_cursor = (
        encode_cursor(page[-1][0], page[-1][1], kind="tasks") if len(found) > limit else None
    )
    return TaskPage(items=items, next_cursor=next_cursor)
