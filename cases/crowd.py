"""Followers as a signal: how many citizens said "me too", and the one priority step a case
gets when enough of them did.

The rule, per category (``follower_threshold``, default 10, 0 never; admin API):
- When a case that is still open reaches the threshold of followers, its priority goes up
  one step (4 -> 3 -> 2), once in its life: a ``crowd_priority`` case event records it with
  the count and both priorities, under the system actor. Unfollowing later does not lower it
  again, nor does a second crossing raise it twice (the event is the memory).
- It never makes a case urgent (1): urgent is for emergencies, which are dispatched point to
  point and paged at once; a crowd does not make a pothole a gas leak. A case already at 2
  or 1 is left as it is (and no event is written).
- The SLA clock is not restarted. A case not yet dispatched gets its time limit from the
  raised priority when it is dispatched. A dispatched case keeps its deadline: the unit was
  given that deadline, and moving it under them silently would be unfair both ways; the
  event says ``deadline: kept`` so the command centre sees the step and can redispatch or
  supervise if the case needs a shorter limit. Rework and reopening start a new limit, at
  the raised priority (cases.sla.limit_changes)."""

from __future__ import annotations

from piccolo.query.functions.aggregate import Count

from cases.states import DISPATCHED, OPEN
from cases.tables import Case, CaseEvent, CaseFollower
from cases.workflow import record_event
from core import clock
from core.actors import SYSTEM
from org.categories import get_category

ACTION = "crowd_priority"
# Highest priority a crowd can lift a case to: 1 is kept for emergencies.
CROWD_CEILING = 2


async def follower_count(case_id: int) -> int:
    return await CaseFollower.count().where(CaseFollower.case == case_id)


async def follower_counts(case_ids: list[int]) -> dict[int, int]:
    """case id -> followers, for a page of cases (cases without followers are absent)."""
    if not case_ids:
        return {}
    rows = (
        await CaseFollower.select(CaseFollower.case, Count())
        .where(CaseFollower.case.is_in(sorted(set(case_ids))))
        .group_by(CaseFollower.case)
    )
    return {row["case"]: row["count"] for row in rows}


async def after_follow(case: Case) -> Case:
    """Raise ``case`` one priority step if its followers just reached the category's
    threshold (the rule in this module's docstring). Called in the follower's transaction."""
    if case.state not in OPEN or case.priority <= CROWD_CEILING:
        return case
    category = await get_category(code=case.category_code, leaf_only=False)
    threshold = category.follower_threshold
    if threshold <= 0:
        return case
    count = await follower_count(case.id)
    if count < threshold:
        return case
    if await CaseEvent.exists().where((CaseEvent.case == case.id) & (CaseEvent.action == ACTION)):
        return case
    raised = case.priority - 1
    # Conditional on the priority read: two followers arriving together raise it once.
    updated = (
        await Case.update({Case.priority: raised, Case.updated_at: clock.now()})
        .where((Case.id == case.id) & (Case.priority == case.priority))
        .returning(Case.id)
    )
    if not updated:
        return case
    before, case.priority = case.priority, raised
    await record_event(
        case,
        action=ACTION,
        from_state=case.state,
        to_state=case.state,
        actor=SYSTEM,
        data={
            "followers": count,
            "threshold": threshold,
            "from": before,
            "to": raised,
            "deadline": "kept" if case.state == DISPATCHED else "at dispatch",
        },
    )
    return case
