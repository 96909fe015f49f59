"""SLA clock: the deadline and the 80 % mark are fixed in working time when a case is
dispatched, so the light of any case is a comparison of timestamps, cheap enough for lists.
A periodic check sends the yellow reminder and the red escalation once per level."""

from __future__ import annotations

import datetime as dt
import logging

from accounts import service as accounts
from cases.tables import Case
from cases.workflow import DISPATCHED, record_event
from core import clock
from core.actors import SYSTEM
from notify.service import enqueue
from org import sla as org_sla
from org.calendar import add_working_times
from org.categories import CategoryInfo

log = logging.getLogger(__name__)
YELLOW_SHARE = 0.8


async def schedule(
    *, category: CategoryInfo, priority: int, start: dt.datetime
) -> tuple[dt.datetime, dt.datetime]:
    """(deadline, moment the light turns yellow) for a case dispatched at ``start``."""
    limit = await org_sla.sla_limit(category=category, priority=priority)
    if limit.counts_working_time:
        deadline, yellow_at = await add_working_times(
            start, [limit.amount, limit.amount * YELLOW_SHARE]
        )
        return deadline, yellow_at
    start = clock.as_utc(start)
    return start + limit.amount, start + limit.amount * YELLOW_SHARE


def light(case: Case, at: dt.datetime | None = None) -> str | None:
    if case.deadline_at is None or case.sla_yellow_at is None:
        return None
    now = at or clock.now()
    end = (
        clock.as_utc(case.resolved_at)
        if case.state not in (DISPATCHED,) and case.resolved_at
        else now
    )
    if end > clock.as_utc(case.deadline_at):
        return "red"
    return "yellow" if end >= clock.as_utc(case.sla_yellow_at) else "green"


async def _recipients(case: Case) -> list[int]:
    return await accounts.staff_ids_of_unit(unit_id=case.unit_id) if case.unit_id else []


async def _notify_level(case: Case, level: int) -> None:
    template = "sla.yellow" if level == 1 else "sla.red"
    stamp = int(clock.as_utc(case.dispatched_at).timestamp()) if case.dispatched_at else 0
    staff = await _recipients(case)
    if level == 2:
        staff += [
            s for s in await accounts.staff_ids_with_role(roles=("operator",)) if s not in staff
        ]
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
            urgent=level == 2,
            dedupe_key=f"sla:{case.id}:{level}:{stamp}:{staff_id}",
        )


async def check_sla(*, at: dt.datetime | None = None, batch: int = 500) -> dict[str, int]:
    """Mark cases that crossed 80 % or 100 % of their limit; each level is acted on once
    (the conditional UPDATE on sla_level makes a second worker's pass a no-op)."""
    now = at or clock.now()
    counts = {"yellow": 0, "red": 0}
    for level, column, name in ((2, Case.deadline_at, "red"), (1, Case.sla_yellow_at, "yellow")):
        due = (
            await Case.objects()
            .where((Case.state == DISPATCHED) & (Case.sla_level < level) & (column < now))
            .order_by(column)
            .limit(batch)
        )
        for case in due:
            changes = {Case.sla_level: level, Case.updated_at: now}
            if level == 2:
                changes[Case.overdue] = True
            claimed = (
                await Case.update(changes)
                .where((Case.id == case.id) & (Case.sla_level < level) & (Case.state == DISPATCHED))
                .returning(Case.id)
            )
            if not claimed:
                continue
            await record_event(
                case,
                action="escalate" if level == 2 else "remind",
                from_state=case.state,
                to_state=case.state,
                actor=SYSTEM,
                data={"level": name},
            )
            await _notify_level(case, level)
            counts[name] += 1
    if counts["red"] or counts["yellow"]:
        log.info("sla check: %s", counts)
    return counts
