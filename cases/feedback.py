"""What citizens do after filing: follow ("me too"), rate, reopen."""

from __future__ import annotations

import datetime as dt
from collections.abc import Awaitable, Callable

from cases import routing
from cases.access import case_for_citizen, is_reporter, load_case
from cases.errors import (
    AlreadyRated,
    CaseNotFound,
    NotClosedYet,
    ReasonRequired,
    ReopenWindowPassed,
)
from cases.tables import Case, CaseFollower
from cases.workflow import CLOSED, DISPATCHED, OPEN, record_event, transition
from core import clock
from core.actors import Actor
from core.db import raw

REOPEN_WINDOW = dt.timedelta(days=7)

# Rating is not a move, so on_transition does not see it; points for rating register here.
_rated: list[Callable[[Case, Actor], Awaitable[None]]] = []


def on_rated(listener: Callable[[Case, Actor], Awaitable[None]]):
    """Call ``listener(case, actor)`` after a rating, in the rater's transaction."""
    _rated.append(listener)
    return listener


async def follow(*, actor: Actor, case_id: str) -> Case:
    """Anyone may follow an open case they found nearby; following twice is harmless."""
    case = await load_case(case_id)
    if case.state not in OPEN:
        raise CaseNotFound()
    if not is_reporter(actor, case):
        await raw(
            'INSERT INTO case_follower ("case", citizen_id, slot, created_at) '
            "VALUES ({}, {}, {}, {}) ON CONFLICT (slot) DO NOTHING",
            case.id,
            actor.id,
            f"{case.id}:{actor.id}",
            clock.now(),
        )
    return case


async def unfollow(*, actor: Actor, case_id: str) -> None:
    case = await load_case(case_id)
    await CaseFollower.delete().where(CaseFollower.slot == f"{case.id}:{actor.id}")


async def rate(*, actor: Actor, case_id: str, score: int, comment: str = "") -> Case:
    case = await case_for_citizen(actor, case_id, followers_too=False)
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
    case = await case_for_citizen(actor, case_id, followers_too=False)
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
        },
    )
    # Back to the unit that handled it: the task lands on them again.
    await routing.notify_unit(case, "task.reopened", unit_id=case.unit_id, note=reason.strip())
    return case
