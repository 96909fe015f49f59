"""The timed stages of a case (GB/T 30428), read from its history: 受理 accept runs from the
report until the case leaves ``reported``, 派遣 dispatch while it waits ``accepted``, 处置
handle from dispatch until it is resolved, 核查 verify from the resolve until it is closed or
sent back (返工).

Each stage's clock starts with the event that entered it and stops with the one that left
it, so a stage done on time stays green and one done late stays red. A stage that comes round
again (rework, a reopened case) shows its latest round. Handling is the case's own SLA clock:
its deadline and 80 % mark are the case's (moved by extensions and suspensions), so this light
is the list's light. The others count their category's stage limit (org.stages) from their
start. Computed per case for the detail views: a few calendar reads, no extra case query.
"""

from __future__ import annotations

import datetime as dt

import msgspec

from cases import sla
from cases.tables import Case, CaseEvent
from cases.workflow import ACCEPTED, DISPATCHED, REPORTED, RESOLVED, RETURNED, SUSPENDED
from core import clock
from org import sla as org_sla
from org.categories import CategoryInfo
from org.stages import STAGES

# The state a stage waits in, and the states its clock keeps running through: a handling
# round goes on through redispatch, suspension (挂账, the deadline moves on resume) and a
# unit's return (回退).
_WAITING: dict[str, frozenset[str]] = {
    "accept": frozenset({REPORTED}),
    "dispatch": frozenset({ACCEPTED}),
    "handle": frozenset({DISPATCHED, SUSPENDED, RETURNED}),
    "verify": frozenset({RESOLVED}),
}
_ENTERS = {"accept": REPORTED, "dispatch": ACCEPTED, "handle": DISPATCHED, "verify": RESOLVED}


class StageInfo(msgspec.Struct, frozen=True, kw_only=True):
    stage: str
    limit: org_sla.SlaLimit
    started_at: dt.datetime | None
    deadline: dt.datetime | None
    finished_at: dt.datetime | None
    light: str | None


def latest_round(
    events: list[CaseEvent], stage: str
) -> tuple[dt.datetime | None, dt.datetime | None]:
    """(start, end) of the stage's latest round in the history (oldest event first)."""
    inside = _WAITING[stage]
    started = finished = None
    for event in events:
        if event.to_state == _ENTERS[stage] and event.from_state not in inside:
            started, finished = clock.as_utc(event.created_at), None
        elif (
            started is not None
            and finished is None
            and event.from_state in inside
            and event.to_state not in inside
        ):
            finished = clock.as_utc(event.created_at)
    return started, finished


async def case_stages(
    case: Case, *, events: list[CaseEvent], category: CategoryInfo, at: dt.datetime | None = None
) -> list[StageInfo]:
    """The four stages of ``case`` in order, with limit, start, deadline, end and light
    (looked at ``at``, default now); a stage not begun has no start, deadline or light."""
    now = at or clock.now()
    rounds = {stage: latest_round(events, stage) for stage in STAGES}
    limits = {
        stage: org_sla.stage_limit(category=category, stage=stage)
        for stage in STAGES
        if stage != "handle"
    }
    limits["handle"] = await org_sla.sla_limit(category=category, priority=case.priority)
    # Handling runs on the case's own marks (moved by extensions and suspensions); the other
    # stages' marks are counted from their start, on one calendar load.
    marks: dict[str, tuple[dt.datetime, dt.datetime]] = {}
    if case.deadline_at is not None:
        marks["handle"] = (case.deadline_at, case.sla_yellow_at or case.deadline_at)
    counted = [s for s in STAGES if rounds[s][0] is not None and s not in marks]
    if counted:
        found = await sla.marks_each([(limits[s], rounds[s][0]) for s in counted])
        marks.update(zip(counted, found, strict=True))
    out = []
    for stage in STAGES:
        started, finished = rounds[stage]
        deadline = light = None
        if started is not None:
            deadline, yellow_at = clock.as_utc(marks[stage][0]), marks[stage][1]
            light = sla.light_at(finished or now, deadline=deadline, yellow_at=yellow_at)
        out.append(
            StageInfo(
                stage=stage,
                limit=limits[stage],
                started_at=started,
                deadline=deadline,
                finished_at=finished,
                light=light,
            )
        )
    return out
