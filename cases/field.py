"""The inspector app's case actions: patrol report, verify (核实), resolve (处置), ask for
more time or hand back (延期/回退), check (核查), one-tap close (一键结案) and the on-the-spot
fix (自处理).

Authorization is decided against the case: a case the actor may not see is a 404 (its
existence is not confirmed); one they see but may not act on is a 403 naming why. Every
action takes the phone's own time (``occurred_at``), kept beside the server's in the case
event, so an app that was offline can replay its queue.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Literal

from accounts import service as accounts
from accounts.errors import AccountDisabled
from cases import command, evidence, handling, handoff, hotline, reporting, routing
from cases.access import case_for_staff
from cases.errors import InvalidTransition, NotAllowed, ReasonRequired
from cases.field_errors import NotAssigned, NotMyGrid, OwnWork, RequestAlreadyPending, TimeInFuture
from cases.reporting import MAX_PHOTOS, NewCase
from cases.tables import Case, CaseRequest
from cases.tasks_queue import last_resolver
from cases.workflow import (
    ACCEPTED,
    CLOSED,
    DISPATCHED,
    REJECTED,
    REPORTED,
    RESOLVED,
    record_event,
    transition,
)
from core import clock
from core.actors import SYSTEM, Actor
from org import grids
from org.categories import get_category
from org.dispatch import resolve_unit

CLOCK_SKEW = dt.timedelta(minutes=5)
SELF_HANDLED = "self_handled"


def check_time(occurred_at: dt.datetime | None) -> None:
    if occurred_at is not None and clock.as_utc(occurred_at) > clock.now() + CLOCK_SKEW:
        raise TimeInFuture(field="occurredAt")


def _reason(text: str | None) -> str:
    if not text or not text.strip():
        raise ReasonRequired()
    return text.strip()


def _command(actor: Actor) -> bool:
    return actor.has_role("operator", "admin")


async def in_my_grids(actor: Actor, case: Case) -> bool:
    return (
        actor.has_role("inspector")
        and case.grid_id is not None
        and case.grid_id in await grids.inspector_grid_ids(staff_id=actor.id)
    )


async def of_my_unit(actor: Actor, case: Case) -> bool:
    return case.unit_id is not None and case.unit_id == await accounts.staff_unit_id(
        staff_id=actor.id
    )


async def _require_grid(actor: Actor, case: Case, action: str) -> None:
    """Verifying and checking belong to the inspectors of the case's grid."""
    if _command(actor):
        return
    if not actor.has_role("inspector"):
        raise NotAllowed(action=action)
    if not await in_my_grids(actor, case):
        raise NotMyGrid(action=action)


async def _require_unit(actor: Actor, case: Case, action: str) -> None:
    """Handling belongs to the unit the case is dispatched to."""
    if not _command(actor) and not await of_my_unit(actor, case):
        raise NotAssigned(action=action)


def _require_state(case: Case, state: str, action: str) -> None:
    if case.state != state:
        raise InvalidTransition(state=case.state, action=action)


async def _attach(case: Case, actor: Actor, media_ids: Sequence[str], role: str) -> list[str]:
    return await reporting.attach_photos(case, actor, list(media_ids), role) if media_ids else []


async def available_actions(actor: Actor, case: Case) -> list[str]:
    """What the actor could do to the case now, for the app's buttons."""
    if case.state == REPORTED and await in_my_grids(actor, case):
        return ["verify"]
    if case.state == DISPATCHED and await of_my_unit(actor, case):
        actions = ["resolve", "request-extension", "request-return", "transfer", "assign"]
        if case.acknowledged_at is None and case.assignee_id in (None, actor.id):
            actions.insert(0, "acknowledge")
        return actions
    if case.state == DISPATCHED and await handoff.assist_pending_for(actor, case):
        return ["assist-report"]
    if (
        case.state == RESOLVED
        and await in_my_grids(actor, case)
        and await last_resolver(case.id) != (actor.kind, actor.id)
    ):
        return ["check", "close"]
    return []


async def patrol_report(*, actor: Actor, report: NewCase) -> Case:
    """巡查上报: accepted at once and dispatched by rule."""
    check_time(report.occurred_at)
    case = await reporting.file_staff_report(actor=actor, report=report)
    await evidence.check_photos(case, media_ids=report.media_ids)
    return case


async def verify(
    *,
    actor: Actor,
    case_id: str,
    valid: bool,
    reason: str | None = None,
    note: str = "",
    media_ids: Sequence[str] = (),
    occurred_at: dt.datetime | None = None,
) -> Case:
    """核实 on site: a valid report is accepted and dispatched, an invalid one rejected."""
    check_time(occurred_at)
    case = await case_for_staff(actor, case_id)
    await _require_grid(actor, case, "verify")
    _require_state(case, REPORTED, "verify")
    routing.check_photo_count(list(media_ids), low=0, high=MAX_PHOTOS)
    photos = await _attach(case, actor, media_ids, "evidence")
    if valid:
        case = await transition(
            case,
            ACCEPTED,
            actor=actor,
            action="accept",
            note=note.strip(),
            media_ids=photos,
            occurred_at=occurred_at,
        )
        case = await routing.auto_dispatch(
            case, category=await get_category(code=case.category_code)
        )
    else:
        case = await transition(
            case,
            REJECTED,
            actor=actor,
            action="reject",
            note=_reason(reason),
            media_ids=photos,
            occurred_at=occurred_at,
        )
    await evidence.check_photos(case, media_ids=photos)
    return case


async def resolve(
    *,
    actor: Actor,
    case_id: str,
    note: str = "",
    media_ids: Sequence[str],
    occurred_at: dt.datetime | None = None,
) -> Case:
    """处置 done: the assigned unit reports it fixed, with after-photos."""
    check_time(occurred_at)
    case = await case_for_staff(actor, case_id)
    await _require_unit(actor, case, "resolve")
    _require_state(case, DISPATCHED, "resolve")
    routing.check_photo_count(list(media_ids), low=1, high=MAX_PHOTOS)
    await handoff.require_assists_done(case)
    case = await handling.resolve(
        actor=actor,
        case=case,
        note=note.strip(),
        media_ids=list(media_ids),
        occurred_at=occurred_at,
    )
    await evidence.check_photos(case, media_ids=media_ids)
    return case


async def request_change(
    *,
    actor: Actor,
    case_id: str,
    kind: Literal["extension", "return"],
    reason: str | None,
    hours: int | None = None,
    occurred_at: dt.datetime | None = None,
) -> Case:
    """延期 or 回退: the unit asks; an operator decides (cases.command.decide_*)."""
    check_time(occurred_at)
    case = await case_for_staff(actor, case_id)
    await _require_unit(actor, case, f"request {kind}")
    _require_state(case, DISPATCHED, f"request {kind}")
    pending = await CaseRequest.exists().where(
        (CaseRequest.case == case.id)
        & (CaseRequest.kind == kind)
        & (CaseRequest.status == "pending")
    )
    if pending:
        raise RequestAlreadyPending()
    await command.request_change(
        actor=actor,
        case=case,
        kind=kind,
        reason=reason,
        hours=hours if kind == "extension" else None,
        occurred_at=occurred_at,
    )
    return case


async def check(
    *,
    actor: Actor,
    case_id: str,
    passed: bool,
    note: str = "",
    reason: str | None = None,
    media_ids: Sequence[str] = (),
    occurred_at: dt.datetime | None = None,
    action: str = "check",
) -> Case:
    """核查: pass closes the case, fail sends it back for rework (counted). The one who
    resolved a case cannot check it."""
    check_time(occurred_at)
    case = await case_for_staff(actor, case_id)
    await _require_grid(actor, case, action)
    _require_state(case, RESOLVED, action)
    if await last_resolver(case.id) == (actor.kind, actor.id):
        raise OwnWork()
    routing.check_photo_count(list(media_ids), low=0, high=MAX_PHOTOS)
    text = note.strip() if passed else _reason(reason or note)
    case = await handling.check(
        actor=actor,
        case=case,
        passed=passed,
        note=text,
        media_ids=list(media_ids),
        occurred_at=occurred_at,
    )
    await evidence.check_photos(case, media_ids=media_ids)
    return case


async def close(
    *,
    actor: Actor,
    case_id: str,
    media_ids: Sequence[str],
    note: str = "",
    occurred_at: dt.datetime | None = None,
) -> Case:
    """一键结案: check and close in one call, with the inspector's after-photos."""
    routing.check_photo_count(list(media_ids), low=1, high=MAX_PHOTOS)
    return await check(
        actor=actor,
        case_id=case_id,
        passed=True,
        note=note,
        media_ids=media_ids,
        occurred_at=occurred_at,
        action="close",
    )


async def quick(
    *,
    actor: Actor,
    report: NewCase,
    after_media_ids: Sequence[str],
    note: str = "",
) -> Case:
    """自处理: found and fixed on the spot. Filed, accepted, taken on by the inspector,
    resolved and closed in one transaction, without bothering a unit. The inspector checks
    their own work here by design, so the case is flagged for the command centre's
    sampling instead."""
    if not actor.has_role("inspector"):
        raise NotAllowed(action="self-handle")
    check_time(report.occurred_at)
    routing.check_photo_count(report.media_ids, low=1, high=MAX_PHOTOS)
    routing.check_photo_count(list(after_media_ids), low=1, high=MAX_PHOTOS)
    grid = await grids.locate(lat=report.lat, lon=report.lon)
    if grid is None or grid.id not in await grids.inspector_grid_ids(staff_id=actor.id):
        raise NotMyGrid(action="self-handle")
    category = await get_category(code=report.category_code)
    at = report.occurred_at
    # Filed like any patrol report, but not routed: nobody else has anything to do.
    case = await reporting._insert_case(
        report=report, category=category, source="inspector", reporter=actor
    )
    before = await _attach(case, actor, report.media_ids, "before")
    await record_event(
        case,
        action="report",
        from_state=None,
        to_state=REPORTED,
        actor=actor,
        media_ids=before,
        occurred_at=at,
        at=case.reported_at,  # the filing: when the case entered reported
    )
    case = await transition(case, ACCEPTED, actor=SYSTEM, action="accept")
    target = await resolve_unit(category=category, grid=grid, priority=case.priority)
    case = await transition(
        case,
        DISPATCHED,
        actor=actor,
        action="self_assign",
        changes={"unit_id": target.unit_id if target else None},
        occurred_at=at,
        check_role=False,
    )
    case = await handling.resolve(
        actor=actor,
        case=case,
        note=note.strip(),
        media_ids=list(after_media_ids),
        occurred_at=at,
        notify_checkers=False,  # closed right below: nobody has a check to do
    )
    case = await transition(
        case, CLOSED, actor=actor, action="close", note=note.strip(), occurred_at=at
    )
    await evidence.add_flags(case, [SELF_HANDLED])
    await evidence.check_photos(case, media_ids=[*before, *after_media_ids])
    return case


async def reporter_phone(*, actor: Actor, case_id: str) -> str | None:
    """The reporter's full number, for the one who must act on the case now (to find the
    spot, or to ask). Each reveal is recorded in the case history; anonymous reports and
    reports by staff or machines have no number to give."""
    case = await case_for_staff(actor, case_id)
    if not await available_actions(actor, case) and not _command(actor):
        raise NotAllowed(action="reveal the reporter's phone")
    if case.anonymous:
        return None
    # A 12345 call: the caller's number, which the call-taker wrote down.
    phone = await hotline.caller_phone(case) if case.source == "hotline" else None
    if phone is None:
        if case.reporter_kind != "citizen" or case.reporter_id is None:
            return None
        reporter = Actor(kind="citizen", id=case.reporter_id, role="citizen")
        try:
            phone = (await accounts.citizen_profile(actor=reporter)).phone
        except AccountDisabled:  # nothing to reveal
            return None
    await record_event(
        case, action="reveal_phone", from_state=case.state, to_state=case.state, actor=actor
    )
    return phone
