"""SLA clock: the deadline and the 80 % mark are fixed in working time when a case is
dispatched, so the light of any case is a comparison of timestamps, cheap enough for lists.
A periodic check sends the yellow reminder and the red escalation once per level."""

from __future__ import annotations

import datetime as dt
import logging
from typing import Any

from accounts import service as accounts
from cases import alerts
from cases.tables import Case, CaseEvent
from cases.workflow import DISPATCHED, record_event
from core import clock
from core.actors import SYSTEM
from core.working_hours import Periods
from notify.service import enqueue
from org import sla as org_sla
from org.calendar import add_working_times, add_working_times_each
from org.categories import CategoryInfo
from org.hours import unit_hours

log = logging.getLogger(__name__)
YELLOW_SHARE = 0.8
# sla_level of a red case that reached the highest centre over it.
TOP = 9


async def schedule(
    *, category: CategoryInfo, priority: int, start: dt.datetime, unit_id: int | None = None
) -> tuple[dt.datetime, dt.datetime]:
    """(deadline, moment the light turns yellow) for a case dispatched at ``start`` to
    ``unit_id``: working time counts that unit's working hours (org.hours)."""
    limit = await org_sla.sla_limit(category=category, priority=priority)
    hours = await unit_hours(unit_id) if limit.counts_working_time else None
    return await marks(limit, start, hours=hours)


async def marks(
    limit: org_sla.SlaLimit, start: dt.datetime, *, hours: Periods | None = None
) -> tuple[dt.datetime, dt.datetime]:
    """(deadline, moment the light turns yellow) of ``limit`` counted from ``start``."""
    return (await marks_each([(limit, start)], hours=hours))[0]


async def marks_each(
    items: list[tuple[org_sla.SlaLimit, dt.datetime]], *, hours: Periods | None = None
) -> list[tuple[dt.datetime, dt.datetime]]:
    """``marks`` of several (limit, start), with one calendar load for all of them;
    ``hours``: the working hours they count (the city's when None)."""
    working = [
        (clock.as_utc(start), amount)
        for limit, start in items
        if limit.counts_working_time
        for full in (limit.amount_in(hours),)
        for amount in (full, full * YELLOW_SHARE)
    ]
    ends = iter(await add_working_times_each(working, hours=hours) if working else [])
    out = []
    for limit, start in items:
        if limit.counts_working_time:
            out.append((next(ends), next(ends)))
        else:
            start = clock.as_utc(start)
            out.append((start + limit.amount, start + limit.amount * YELLOW_SHARE))
    return out


async def limit_changes(
    case: Case,
    *,
    category: CategoryInfo,
    priority: int,
    action: str,
    unit_id: int | None = None,
) -> dict[str, Any]:
    """The case's SLA fields after a move to ``dispatched`` to ``unit_id`` (default: the
    unit it has), by one written rule:

    - the first dispatch starts the clock (the deadline and its 80 % mark), counted in the
      unit's working hours;
    - redispatching to another unit, and dispatching again after a unit handed the case back,
      keep the deadline: the citizen's wait goes on whoever has the case;
    - resuming a suspended case (挂账) moves the deadline and the 80 % mark by the time it
      was suspended;
    - rework (返工) and a citizen's reopening start a new full limit: the unit has new work,
      and the evaluation counts the rework against it."""
    now = clock.now()
    keeps = action in ("redispatch", "dispatch") and case.deadline_at is not None
    if action == "resume" and case.deadline_at is not None:
        paused = now - await suspended_since(case)
        return {
            "deadline_at": clock.as_utc(case.deadline_at) + paused,
            "sla_yellow_at": clock.as_utc(case.sla_yellow_at or case.deadline_at) + paused,
            "sla_level": 0,
        }
    if keeps:
        return {}
    deadline, yellow_at = await schedule(
        category=category,
        priority=priority,
        start=now,
        unit_id=case.unit_id if unit_id is None else unit_id,
    )
    return {"deadline_at": deadline, "sla_yellow_at": yellow_at, "sla_level": 0}


async def suspended_since(case: Case) -> dt.datetime:
    row = (
        await CaseEvent.select(CaseEvent.created_at)
        .where((CaseEvent.case == case.id) & (CaseEvent.action == "suspend"))
        .order_by(CaseEvent.id, ascending=False)
        .first()
    )
    return clock.as_utc(row["created_at"]) if row else clock.now()


async def extended(case: Case, *, hours: float) -> dict[str, Any]:
    """An approved extension moves the deadline and the 80 % mark by the same working
    time (of the case's unit); the light follows them. Having been overdue stays on record
    (``overdue``)."""
    more = [dt.timedelta(hours=hours)]
    periods = await unit_hours(case.unit_id)
    (deadline,) = await add_working_times(clock.as_utc(case.deadline_at), more, hours=periods)
    (yellow_at,) = await add_working_times(
        clock.as_utc(case.sla_yellow_at or case.deadline_at), more, hours=periods
    )
    now = clock.now()
    level = 0 if yellow_at > now else (1 if deadline > now else 2)
    return {"deadline_at": deadline, "sla_yellow_at": yellow_at, "sla_level": level}


def light(case: Case, at: dt.datetime | None = None) -> str | None:
    if case.deadline_at is None or case.sla_yellow_at is None:
        return None
    now = at or clock.now()
    end = (
        clock.as_utc(case.resolved_at)
        if case.state not in (DISPATCHED,) and case.resolved_at
        else now
    )
    return light_at(end, deadline=case.deadline_at, yellow_at=case.sla_yellow_at)


def light_at(end: dt.datetime, *, deadline: dt.datetime, yellow_at: dt.datetime) -> str:
    """The light of a clock stopped (or looked at) at ``end``: red past the deadline,
    yellow from the 80 % mark, green before it."""
    if end > clock.as_utc(deadline):
        return "red"
    return "yellow" if end >= clock.as_utc(yellow_at) else "green"


async def _notify_unit(case: Case, template: str, level: int) -> None:
    stamp = int(clock.as_utc(case.dispatched_at).timestamp()) if case.dispatched_at else 0
    staff = await accounts.staff_ids_of_unit(unit_id=case.unit_id) if case.unit_id else []
    for staff_id in staff:
        await enqueue(
            recipient_kind="staff",
            recipient_id=staff_id,
            template=template,
            params={
                "caseId": case.public_id,
                "number": case.number,
                "deadline": clock.as_utc(case.deadline_at).isoformat(),
            },
            case_id=case.id,
            urgent=level >= 2,
            dedupe_key=f"sla:{case.id}:{level}:{stamp}:{staff_id}",
        )


def escalation_due(case: Case, level: int) -> dt.datetime:
    """When a red case climbs to ``level`` (3, 4...): every further half of its limit past
    the deadline, one centre higher (the limit measured on the clock, dispatch to deadline)."""
    deadline = clock.as_utc(case.deadline_at)
    span = deadline - clock.as_utc(case.dispatched_at or case.deadline_at)
    return deadline + max(span, dt.timedelta(hours=1)) * 0.5 * (level - 2)


async def _claim(case: Case, level: int, now: dt.datetime) -> bool:
    changes = {Case.sla_level: level, Case.updated_at: now}
    if level >= 2:
        changes[Case.overdue] = True
    claimed = (
        await Case.update(changes)
        .where((Case.id == case.id) & (Case.sla_level < level) & (Case.state == DISPATCHED))
        .returning(Case.id)
    )
    return bool(claimed)


async def _escalate(case: Case, level: int) -> None:
    """Yellow: the unit and the case's own centre. Red: the unit, and the centre one level
    up. Each further step (escalation_due): one centre higher again."""
    name = "yellow" if level == 1 else "red"
    await record_event(
        case,
        action="remind" if level == 1 else "escalate",
        from_state=case.state,
        to_state=case.state,
        actor=SYSTEM,
        data={"level": name, "step": level},
    )
    if level <= 2:
        await _notify_unit(case, f"sla.{name}", level)
    await alerts.raise_alert(
        "sla_yellow" if level == 1 else "sla_red",
        case=case,
        level=level - 1,
        detail={"step": level, "deadline": clock.as_utc(case.deadline_at).isoformat()},
    )


async def check_sla(*, at: dt.datetime | None = None, batch: int = 500) -> dict[str, int]:
    """Mark cases that crossed 80 % or 100 % of their limit, and red cases due to climb
    further; each level is acted on once (the conditional UPDATE on sla_level makes a
    second worker's pass a no-op)."""
    now = at or clock.now()
    counts = {"yellow": 0, "red": 0, "higher": 0}
    for level, column, name in ((2, Case.deadline_at, "red"), (1, Case.sla_yellow_at, "yellow")):
        due = (
            await Case.objects()
            .where((Case.state == DISPATCHED) & (Case.sla_level < level) & (column < now))
            .order_by(column)
            .limit(batch)
        )
        for case in due:
            if await _claim(case, level, now):
                case.sla_level = level
                await _escalate(case, level)
                counts[name] += 1
    red = (
        await Case.objects()
        .where(
            (Case.state == DISPATCHED)
            & (Case.sla_level >= 2)
            & (Case.sla_level < TOP)
            & (Case.deadline_at < now)
        )
        .order_by(Case.deadline_at)
        .limit(batch)
    )
    for case in red:
        level = case.sla_level + 1
        if level - 1 >= len(await alerts.centres_for(case)):
            await _claim(case, TOP, now)  # no centre higher: never looked at again
        elif escalation_due(case, level) <= now and await _claim(case, level, now):
            await _escalate(case, level)
            counts["higher"] += 1
    if any(counts.values()):
        log.info("sla check: %s", counts)
    return counts
