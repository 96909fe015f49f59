"""An inspector's numbers from the case history: reports filed, verifications and checks
(and how many within their time limits), and the rework rate of their grids."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

import msgspec

from cases.tables import Case, CaseEvent
from cases.tasks_queue import CHECK_WITHIN, VERIFY_WITHIN
from cases.workflow import REPORTED, RESOLVED
from core import clock


class FieldStats(msgspec.Struct, frozen=True, kw_only=True):
    reports_filed: int
    verifications: int
    verifications_on_time: int
    checks: int
    checks_on_time: int
    grid_checks: int
    grid_reworks: int


async def reported_between(*, staff_id: int, since: dt.datetime, until: dt.datetime) -> list[str]:
    """Public ids of the cases a staff member filed in a time window, oldest first."""
    rows = (
        await Case.select(Case.public_id)
        .where(
            (Case.reporter_kind == "staff")
            & (Case.reporter_id == staff_id)
            & (Case.reported_at >= since)
            & (Case.reported_at < until)
        )
        .order_by(Case.reported_at)
        .order_by(Case.id)
    )
    return [row["public_id"] for row in rows]


def _when(row: dict) -> dt.datetime:
    """When it happened: the phone's time if it sent one, else the server's."""
    return clock.as_utc(row["occurred_at"] or row["created_at"])


async def field_stats(
    *, staff_id: int, grid_ids: Sequence[int], since: dt.datetime, until: dt.datetime
) -> FieldStats:
    mine = (CaseEvent.actor_kind == "staff") & (CaseEvent.actor_id == staff_id)
    window = (CaseEvent.created_at >= since) & (CaseEvent.created_at < until)
    verifies = await CaseEvent.select(
        CaseEvent.created_at, CaseEvent.occurred_at, CaseEvent.case.reported_at
    ).where(
        mine
        & window
        & (CaseEvent.from_state == REPORTED)
        & CaseEvent.action.is_in(["accept", "reject"])
    )
    verified_on_time = sum(
        1 for row in verifies if _when(row) - clock.as_utc(row["case.reported_at"]) <= VERIFY_WITHIN
    )
    checks = await CaseEvent.select(
        CaseEvent.id, CaseEvent.case, CaseEvent.created_at, CaseEvent.occurred_at
    ).where(
        mine
        & window
        & (CaseEvent.from_state == RESOLVED)
        & CaseEvent.action.is_in(["close", "rework"])
    )
    resolves = (
        await CaseEvent.select(
            CaseEvent.id, CaseEvent.case, CaseEvent.created_at, CaseEvent.occurred_at
        )
        .where(
            CaseEvent.case.is_in(sorted({row["case"] for row in checks}) or [0])
            & (CaseEvent.action == "resolve")
        )
        .order_by(CaseEvent.id)
    )
    checked_on_time = 0
    for row in checks:
        before = [r for r in resolves if r["case"] == row["case"] and r["id"] < row["id"]]
        if before and _when(row) - _when(before[-1]) <= CHECK_WITHIN:
            checked_on_time += 1
    grid_checks = grid_reworks = 0
    if grid_ids:
        outcomes = await CaseEvent.select(CaseEvent.action).where(
            window
            & (CaseEvent.from_state == RESOLVED)
            & CaseEvent.action.is_in(["close", "rework"])
            & CaseEvent.case.grid_id.is_in(list(grid_ids))
        )
        grid_checks = len(outcomes)
        grid_reworks = sum(1 for row in outcomes if row["action"] == "rework")
    reports = await Case.count().where(
        (Case.reporter_kind == "staff")
        & (Case.reporter_id == staff_id)
        & (Case.reported_at >= since)
        & (Case.reported_at < until)
    )
    return FieldStats(
        reports_filed=reports,
        verifications=len(verifies),
        verifications_on_time=verified_on_time,
        checks=len(checks),
        checks_on_time=checked_on_time,
        grid_checks=grid_checks,
        grid_reworks=grid_reworks,
    )
