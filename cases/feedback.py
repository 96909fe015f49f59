"""What citizens do after filing: follow ("me too"), withdraw, rate, reopen."""

from __future__ import annotations

import datetime as dt
from collections.abc import Awaitable, Callable

from cases import crowd, routing, sla
from cases.access import case_for_citizen, load_case
from cases.errors import (
    AlreadyRated,
    CaseNotFound,
    NotClosedYet,
    NotWithdrawable,
    ReasonRequired,
    ReopenWindowPassed,
    ReporterOnly,
)
from cases.tables import Case, CaseFollower
from cases.visibility import is_reporter, public_target
from cases.workflow import (
    CANCELLED,
    CLOSED,
    DISPATCHED,
    OPEN,
    REPORTED,
    record_event,
    transition,
)
from core import clock
from core.actors import Actor
from core.db import raw
from org.categories import get_category

REOPEN_WINDOW = dt.timedelta(days=7)

# Rating is not a move, so on_transition does not see it; points for rating register here.
_rated: list[Callable[[Case, Actor], Awaitable[None]]] = []


def on_rated(listener: Callable[[Case, Actor], Awaitable[None]]):
    """Call ``listener(case, actor)`` after a rating, in the rater's transaction."""
    _rated.append(listener)
    return listener


async def follow(*, actor: Actor, case_id: str) -> Case:
    """Any citizen may follow a public open case (found nearby); following twice is
    harmless. Anything not public is a 404, as if it did not exist (cases.visibility); a
    merged case is followed as the case it was merged into."""
    case = await load_case(case_id)
    if is_reporter(actor, case):
        return case
    target = await public_target(case)
    if target is None or target.state not in OPEN:
        raise CaseNotFound()
    if not is_reporter(actor, target):
        await add_follower(target, citizen_id=actor.id)
        target = await crowd.after_follow(target)
    return target


async def carry_followers(*, merged: Case, into: Case) -> None:
    """Who followed a case merged into another follows that one now (same problem)."""
    rows = await CaseFollower.select(CaseFollower.citizen_id).where(CaseFollower.case == merged.id)
    for row in rows:
        citizen = Actor(kind="citizen", id=row["citizen_id"], role="citizen")
        if not is_reporter(citizen, into):
            await add_follower(into, citizen_id=citizen.id)
    await crowd.after_follow(into)


async def add_follower(case: Case, *, citizen_id: int) -> None:
    await raw(
        'INSERT INTO case_follower ("case", citizen_id, slot, created_at) '
        "VALUES ({}, {}, {}, {}) ON CONFLICT (slot) DO NOTHING",
        case.id,
        citizen_id,
        f"{case.id}:{citizen_id}",
        clock.now(),
    )


async def unfollow(*, actor: Actor, case_id: str) -> None:
    """Stop following: the case itself and the case it shows as (a merge carried the
    follower over to its target). Idempotent, and silent whatever the id is: answering
    differently for a case one never followed would tell a stranger it exists."""
    case = await Case.objects().where(Case.public_id == case_id).first()
    if case is None:
        return
    target = await public_target(case)
    ids = {case.id} | ({target.id} if target is not None else set())
    await CaseFollower.delete().where(
        CaseFollower.slot.is_in(sorted(f"{i}:{actor.id}" for i in ids))
    )


async def _reporters_case(actor: Actor, case_id: str) -> Case:
    """The reporter's own case; a follower, who sees it, is told why they may not act on it
    (403), anyone else gets the 404 of a case that does not exist."""
    case = await case_for_citizen(actor, case_id)
    if not is_reporter(actor, case):
        raise ReporterOnly()
    return case


async def withdraw(*, actor: Actor, case_id: str, reason: str = "") -> Case:
    """The reporter takes back a report nobody has accepted yet (filed by mistake, already
    gone): it ends as cancelled, with their reason in the history. Once staff accepted it,
    it is theirs to end (409 ``case.not_withdrawable``). A report earns its points at
    acceptance, so a withdrawn one never earned any (points.hooks reverses the move anyway,
    should a rule ever award earlier)."""
    case = await _reporters_case(actor, case_id)
    if case.state != REPORTED:
        raise NotWithdrawable(state=case.state)
    return await transition(case, CANCELLED, actor=actor, action="withdraw", note=reason.strip())


async def rate(*, actor: Actor, case_id: str, score: int, comment: str = "") -> Case:
    case = await _reporters_case(actor, case_id)
    if case.state != CLOSED:
        raise NotClosedYet()
    updated = (
        await Case.update(
            {Case.rating: score, Case.rating_comment: comment, Case.updated_at: clock.now()}
        )
        .where((Case.id == case.id) & Case.rating.is_null())
        .returning(Case.id)
    )
    if not updated:
        raise AlreadyRated()
    case.rating, case.rating_comment = score, comment
    await record_event(
        case,
        action="rate",
        from_state=case.state,
        to_state=case.state,
        actor=actor,
        note=comment,
        data={"score": score},
    )
    for listener in _rated:
        await listener(case, actor)
    return case


async def reopen(*, actor: Actor, case_id: str, reason: str) -> Case:
    case = await _reporters_case(actor, case_id)
    if case.state != CLOSED:
        raise NotClosedYet()
    if not reason.strip():
        raise ReasonRequired()
    if clock.now() - clock.as_utc(case.closed_at) > REOPEN_WINDOW:
        raise ReopenWindowPassed(days=REOPEN_WINDOW.days)
    case = await transition(
        case,
        DISPATCHED,
        actor=actor,
        action="reopen",
        note=reason.strip(),
        changes={
            "reopen_count": case.reopen_count + 1,
            "rework_count": case.rework_count + 1,
            "closed_at": None,
            "ended_at": None,
            # The citizen rates the final outcome again once it is closed again; the
            # earlier rating stays in the history (its ``rate`` event).
            "rating": None,
            "rating_comment": "",
            **await sla.limit_changes(
                case,
                category=await get_category(code=case.category_code, leaf_only=False),
                priority=case.priority,
                action="reopen",
            ),
        },
    )
    # Back to the unit that handled it: the task lands on them again.
    await routing.notify_unit(case, "task.reopened", unit_id=case.unit_id, note=reason.strip())
    return case
