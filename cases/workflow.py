"""The case workflow: one transition function over an explicit table of moves.

Every move appends a case_event and queues the reporter's and followers' notification in the
same transaction, so every case gets feedback and nothing is sent for a change that rolled
back.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Awaitable, Callable
from typing import Any

import msgspec
from piccolo.querystring import QueryString

from cases.errors import InvalidTransition, NotAllowed
from cases.stage_times import STAGE_OF
from cases.states import (  # noqa: F401 - the workflow is where other modules import states from
    ACCEPTED,
    CANCELLED,
    CLOSED,
    DISPATCHED,
    MERGED,
    OPEN,
    REJECTED,
    REPORTED,
    RESOLVED,
    RETURNED,
    SUSPENDED,
    TERMINAL,
)
from cases.tables import Case, CaseEvent, CaseFollower
from cases.visibility import follower_params
from core import clock
from core.actors import Actor
from notify import webhooks
from notify.service import enqueue

COMMAND = ("operator", "admin")
FIELD = ("inspector",)
SYSTEM = ("system",)

# (from, to) -> roles that may make the move. "reporter" is the citizen who filed the case.
MOVES: dict[tuple[str, str], tuple[str, ...]] = {
    (REPORTED, ACCEPTED): COMMAND + FIELD + SYSTEM,
    (REPORTED, REJECTED): COMMAND + FIELD,
    (REPORTED, MERGED): COMMAND,
    # SYSTEM: a machine cleared the alarm before anyone worked the case (cases.machines).
    (REPORTED, CANCELLED): COMMAND + ("reporter",) + SYSTEM,
    (ACCEPTED, CANCELLED): SYSTEM,
    (ACCEPTED, DISPATCHED): COMMAND + SYSTEM,
    (ACCEPTED, REJECTED): COMMAND,
    (ACCEPTED, MERGED): COMMAND,
    (DISPATCHED, DISPATCHED): COMMAND,  # redispatch to another unit
    (DISPATCHED, RESOLVED): COMMAND + FIELD + ("handler",),
    (DISPATCHED, RETURNED): COMMAND,  # a handler's return request, approved
    (DISPATCHED, SUSPENDED): COMMAND,
    (DISPATCHED, REJECTED): COMMAND,
    (RETURNED, DISPATCHED): COMMAND + SYSTEM,
    (RETURNED, REJECTED): COMMAND,
    (SUSPENDED, DISPATCHED): COMMAND,
    (RESOLVED, CLOSED): COMMAND + FIELD,
    (RESOLVED, DISPATCHED): COMMAND + FIELD,  # rework (返工)
    (CLOSED, DISPATCHED): ("reporter",) + COMMAND,  # reopened after an unsatisfied rating
}

# What the reporter and followers are told, per action.
FEEDBACK_TEMPLATES = {
    "report": "case.received",
    "accept": "case.accepted",
    "dispatch": "case.dispatched",
    "redispatch": "case.dispatched",
    "resolve": "case.resolved",
    "close": "case.closed",
    "reject": "case.rejected",
    "merge": "case.merged",
    "cancel": "case.cancelled",
    "rework": "case.rework",
    "reopen": "case.reopened",
    "return": "case.returned",
    "transfer": "case.returned",
    "suspend": "case.suspended",
    "resume": "case.dispatched",
}

# Other packages react to case changes inside the same transaction (points are awarded when
# a case is accepted or closed) without cases importing them: they register a listener.
Listener = Callable[[Case, str, Actor], Awaitable[None]]
_listeners: list[Listener] = []


def on_transition(listener: Listener) -> Listener:
    """Call ``listener(case, action, actor)`` after every move, in the mover's transaction."""
    _listeners.append(listener)
    return listener


_STAMPS = {
    ACCEPTED: "accepted_at",
    DISPATCHED: "dispatched_at",
    RESOLVED: "resolved_at",
    CLOSED: "closed_at",
}


# The case's stamp of entering a state whose next step has a time limit (CaseEvent.state_since).
_SINCE = {REPORTED: "reported_at", RESOLVED: "resolved_at"}


def role_of(actor: Actor, case: Case) -> str:
    if actor.kind == "citizen":
        return (
            "reporter"
            if case.reporter_kind == "citizen" and case.reporter_id == actor.id
            else "citizen"
        )
    if actor.kind in ("system", "machine"):
        return "system"
    return actor.role


def allowed(case: Case, to: str, actor: Actor) -> bool:
    return role_of(actor, case) in MOVES.get((case.state, to), ())


async def record_event(
    case: Case,
    *,
    action: str,
    from_state: str | None,
    to_state: str,
    actor: Actor,
    note: str = "",
    media_ids: list[str] | None = None,
    data: dict[str, Any] | None = None,
    occurred_at: dt.datetime | None = None,
    at: dt.datetime | None = None,
) -> None:
    since = _SINCE.get(from_state or "")
    await CaseEvent.insert(
        CaseEvent(
            case=case.id,
            action=action,
            from_state=from_state,
            to_state=to_state,
            actor_kind=actor.kind,
            actor_id=actor.id,
            note=note,
            media_ids=msgspec.json.encode(media_ids or []).decode(),
            data=msgspec.json.encode(data or {}).decode(),
            created_at=at or clock.now(),
            occurred_at=occurred_at,
            state_since=getattr(case, since) if since else None,
        )
    )


# Steps whose reason is written for the reporter (why a report was not taken, what it was
# merged with). Every other note of a move is the staff's own and never leaves them.
NOTE_FOR_REPORTER = frozenset({"reject", "cancel", "merge"})


async def notify_reporter_and_followers(case: Case, action: str, note: str = "") -> None:
    """The reporter is told every step, with the reason where the step's reason is meant for
    them; followers only what the visibility policy lets them have."""
    template = FEEDBACK_TEMPLATES.get(action)
    if template is None:
        return
    # Other systems subscribed to case events hear of the same steps (notify.webhooks).
    status = "closed" if case.state in TERMINAL else "open"
    await webhooks.queue_case_event(case=case, action=action, status=status)
    params = {"note": note} if note and action in NOTE_FOR_REPORTER else {}
    full = {"caseId": case.public_id, "number": case.number, **params}
    recipients: dict[int, dict[str, Any]] = {}
    if case.reporter_kind == "citizen" and case.reporter_id is not None:
        recipients[case.reporter_id] = full
    # A case filed in this very transaction has no followers yet; skip the query for it.
    followers = getattr(case, "_follower_ids", None)
    if followers is None:
        rows = await CaseFollower.select(CaseFollower.citizen_id).where(
            CaseFollower.case == case.id
        )
        followers = [row["citizen_id"] for row in rows]
    for citizen_id in followers:
        recipients.setdefault(citizen_id, follower_params(full))
    for citizen_id, sent in recipients.items():
        await enqueue(
            recipient_kind="citizen",
            recipient_id=citizen_id,
            template=template,
            params=sent,
            case_id=case.id,
            urgent=case.priority == 1,
        )


async def transition(
    case: Case,
    to: str,
    *,
    actor: Actor,
    action: str,
    note: str = "",
    media_ids: list[str] | None = None,
    changes: dict[str, Any] | None = None,
    occurred_at: dt.datetime | None = None,
    check_role: bool = True,
    data: dict[str, Any] | None = None,
) -> Case:
    """Move ``case`` to ``to``, or raise 409 ``case.invalid_transition``. The UPDATE is
    conditional on the state we read, so two racing moves cannot both apply."""
    if (case.state, to) not in MOVES:
        raise InvalidTransition(state=case.state, action=action)
    if check_role and not allowed(case, to, actor):
        raise NotAllowed(action=action)
    now = clock.now()
    values: dict[str, Any] = {"state": to, "updated_at": now, **(changes or {})}
    if to in _STAMPS and action not in ("redispatch",):
        values[_STAMPS[to]] = now
    if to in TERMINAL:
        values["ended_at"] = now
    columns = {getattr(Case, k): v for k, v in values.items()}
    left = STAGE_OF.get(case.state) if to != case.state else None
    if to != case.state:  # a redispatch stays in the state: its visit goes on
        values["state_entered_at"] = columns[Case.state_entered_at] = now
    if left and case.state_entered_at is not None:
        spent = (now - clock.as_utc(case.state_entered_at)).total_seconds()
        stage = f"{left}_seconds"  # added in SQL: to the row's sum, whatever we read
        columns[getattr(Case, stage)] = QueryString(f'"{stage}" + {{}}', spent)
        values[stage] = (getattr(case, stage) or 0) + spent
    updated = (
        await Case.update(columns)
        .where((Case.id == case.id) & (Case.state == case.state))
        .returning(Case.id)
    )
    if not updated:
        raise InvalidTransition(state=case.state, action=action)
    from_state = case.state
    for key, value in values.items():
        setattr(case, key, value)
    await record_event(
        case,
        action=action,
        from_state=from_state,
        to_state=to,
        actor=actor,
        note=note,
        media_ids=media_ids,
        occurred_at=occurred_at,
        data=data,
        at=now,
    )
    await notify_reporter_and_followers(case, action, note)
    for listener in _listeners:
        await listener(case, action, actor)
    return case
