"""What the command centre does to a case by hand, so the workflow runs without rules."""

from __future__ import annotations

from cases import feedback, routing, sla
from cases.access import load_case
from cases.errors import (
    InvalidTransition,
    MergeTargetInvalid,
    ReasonRequired,
    RequestNotPending,
    UnitUnknown,
)
from cases.tables import Case, CaseRequest
from cases.workflow import (
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
    record_event,
    transition,
)
from core import clock
from core.actors import Actor
from org.categories import get_category
from org.errors import UnknownOrgUnit
from org.units import get_handling_unit


def _reason(text: str | None) -> str:
    if not text or not text.strip():
        raise ReasonRequired()
    return text.strip()


async def accept(*, actor: Actor, case_id: str, auto_dispatch: bool = True) -> Case:
    case = await transition(await load_case(case_id), ACCEPTED, actor=actor, action="accept")
    if auto_dispatch:
        case = await routing.auto_dispatch(
            case, category=await get_category(code=case.category_code)
        )
    return case


async def reject(*, actor: Actor, case_id: str, reason: str | None) -> Case:
    return await transition(
        await load_case(case_id), REJECTED, actor=actor, action="reject", note=_reason(reason)
    )


async def cancel(*, actor: Actor, case_id: str, reason: str | None) -> Case:
    return await transition(
        await load_case(case_id), CANCELLED, actor=actor, action="cancel", note=_reason(reason)
    )


async def merge(*, actor: Actor, case_id: str, into_case_id: str) -> Case:
    case = await load_case(case_id)
    target = await Case.objects().where(Case.public_id == into_case_id).first()
    if target is None or target.id == case.id or target.state not in OPEN:
        raise MergeTargetInvalid()
    case = await transition(
        case,
        MERGED,
        actor=actor,
        action="merge",
        note=target.number,
        changes={"merged_into_id": target.id},
    )
    await feedback.carry_followers(merged=case, into=target)
    return case


async def _unit(unit_id: int) -> int:
    try:
        return (await get_handling_unit(unit_id=unit_id)).id
    except UnknownOrgUnit:
        raise UnitUnknown() from None


async def dispatch(
    *, actor: Actor, case_id: str, unit_id: int, priority: int | None = None, note: str = ""
) -> Case:
    """Dispatch an accepted or returned case, or redispatch one already dispatched."""
    case = await load_case(case_id)
    category = await get_category(code=case.category_code)
    action = {
        ACCEPTED: "dispatch",
        RETURNED: "dispatch",
        DISPATCHED: "redispatch",
        SUSPENDED: "resume",
    }.get(case.state)
    if action is None:
        raise InvalidTransition(state=case.state, action="dispatch")
    return await routing.dispatch_to(
        case,
        unit_id=await _unit(unit_id),
        priority=priority or case.priority,
        category=category,
        actor=actor,
        action=action,
        note=note,
    )


async def suspend(*, actor: Actor, case_id: str, reason: str | None) -> Case:
    return await transition(
        await load_case(case_id), SUSPENDED, actor=actor, action="suspend", note=_reason(reason)
    )


async def request_change(
    *,
    actor: Actor,
    case: Case,
    kind: str,
    reason: str | None,
    hours: int | None = None,
    occurred_at=None,
) -> CaseRequest:
    """A handler asks for more time or to hand the case back; an operator decides."""
    if case.state != DISPATCHED:
        raise InvalidTransition(state=case.state, action=f"request {kind}")
    request = CaseRequest(
        case=case.id,
        kind=kind,
        reason=_reason(reason),
        hours=hours,
        requested_by=actor.id,
        created_at=clock.now(),
    )
    await request.save()
    await record_event(
        case,
        action=f"request_{kind}",
        from_state=case.state,
        to_state=case.state,
        actor=actor,
        note=request.reason,
        data={"hours": hours} if hours else {},
        occurred_at=occurred_at,
    )
    # The decision lands on the command centre.
    await routing.notify_command_centre(
        case, f"task.{kind}_request", note=request.reason, hours=hours or ""
    )
    return request


async def _pending(case: Case, kind: str) -> CaseRequest:
    request = (
        await CaseRequest.objects()
        .where(
            (CaseRequest.case == case.id)
            & (CaseRequest.kind == kind)
            & (CaseRequest.status == "pending")
        )
        .order_by(CaseRequest.id, ascending=False)
        .first()
    )
    if request is None:
        raise RequestNotPending()
    return request


async def _decide(request: CaseRequest, actor: Actor, approved: bool) -> None:
    await CaseRequest.update(
        {
            CaseRequest.status: "approved" if approved else "declined",
            CaseRequest.decided_by: actor.id,
            CaseRequest.decided_at: clock.now(),
        }
    ).where(CaseRequest.id == request.id)


async def decide_extension(*, actor: Actor, case_id: str, approve: bool) -> Case:
    case = await load_case(case_id)
    request = await _pending(case, "extension")
    await _decide(request, actor, approve)
    if approve and case.deadline_at is not None:
        changes = await sla.extended(case, hours=request.hours or 8)
        await Case.update(
            {**{getattr(Case, k): v for k, v in changes.items()}, Case.updated_at: clock.now()}
        ).where(Case.id == case.id)
        for key, value in changes.items():
            setattr(case, key, value)
    await record_event(
        case,
        action="extension_approved" if approve else "extension_declined",
        from_state=case.state,
        to_state=case.state,
        actor=actor,
        data={"deadline": case.deadline_at.isoformat() if case.deadline_at else None},
    )
    await routing.notify_unit(
        case,
        "request.extension_approved" if approve else "request.extension_declined",
        unit_id=case.unit_id,
        deadline=clock.as_utc(case.deadline_at).isoformat() if case.deadline_at else "",
    )
    return case


async def decide_return(*, actor: Actor, case_id: str, approve: bool) -> Case:
    case = await load_case(case_id)
    request = await _pending(case, "return")
    await _decide(request, actor, approve)
    unit_id = case.unit_id
    if approve:
        case = await transition(
            case,
            RETURNED,
            actor=actor,
            action="return",
            note=request.reason,
            changes={"unit_id": None},
        )
        await routing.notify_unit(case, "request.return_approved", unit_id=unit_id)
        # Somebody has to find the right unit now.
        await routing.notify_command_centre(case, "task.returned", note=request.reason)
        return case
    await record_event(
        case, action="return_declined", from_state=case.state, to_state=case.state, actor=actor
    )
    await routing.notify_unit(case, "request.return_declined", unit_id=unit_id)
    return case


async def moderate_public_text(
    *, actor: Actor, case_id: str, description: str | None, address: str = ""
) -> Case:
    """Set (or with ``description=None`` withdraw) the text the public sees in place of the
    reporter's own words (cases.visibility). Recorded in the case history; the admin API
    records it in the audit trail too."""
    case = await load_case(case_id)
    public_description = description.strip() if description is not None else None
    public_address = address.strip() if public_description is not None else None
    await Case.update(
        {
            Case.public_description: public_description,
            Case.public_address: public_address,
            Case.updated_at: clock.now(),
        }
    ).where(Case.id == case.id)
    case.public_description, case.public_address = public_description, public_address
    await record_event(
        case,
        action="moderate",
        from_state=case.state,
        to_state=case.state,
        actor=actor,
        note=public_description or "",
        data={"address": public_address},
    )
    return case


async def add_note(*, actor: Actor, case: Case, text: str) -> Case:
    """An internal note: staff only, never in a citizen's view or notification."""
    if not text.strip():
        raise ReasonRequired()
    await record_event(
        case, action="note", from_state=case.state, to_state=case.state, actor=actor, note=text
    )
    return case


async def recategorize(*, actor: Actor, case: Case, category_code: str, reason: str | None) -> Case:
    """Put an open case in the right category, with the reason. An accepted case not yet
    dispatched is routed again by the new category's rules; a dispatched one keeps its unit
    and deadline (redispatch it if the unit is now wrong)."""
    note = _reason(reason)
    if case.state not in OPEN:
        raise InvalidTransition(state=case.state, action="recategorize")
    category = await get_category(code=category_code)
    if category.code == case.category_code:
        return case
    priority = min(case.priority, category.default_priority)
    await Case.update(
        {
            Case.category_code: category.code,
            Case.priority: priority,
            Case.updated_at: clock.now(),
        }
    ).where(Case.id == case.id)
    before = case.category_code
    case.category_code, case.priority = category.code, priority
    await record_event(
        case,
        action="recategorize",
        from_state=case.state,
        to_state=case.state,
        actor=actor,
        note=note,
        data={"from": before, "to": category.code},
    )
    if case.state == ACCEPTED:
        case = await routing.auto_dispatch(case, category=category)
    return case


# What the command centre may do to a case in each state (the admin API's action names).
_BY_STATE: dict[str, tuple[str, ...]] = {
    REPORTED: ("accept", "reject", "merge", "cancel", "recategorize"),
    ACCEPTED: ("dispatch", "reject", "merge", "recategorize"),
    DISPATCHED: ("redispatch", "assign", "assist", "suspend", "resolve", "recategorize"),
    RETURNED: ("dispatch", "reject"),
    SUSPENDED: ("resume",),
    RESOLVED: ("close", "rework"),
}


async def available_actions(actor: Actor, case: Case) -> list[str]:
    """The buttons a staff member of the command centre gets for a case now (the caller
    has checked that the case is in their scope)."""
    actions: list[str] = []
    if actor.has_role("operator", "admin"):
        actions += _BY_STATE.get(case.state, ())
        if case.state == DISPATCHED:
            pending = await CaseRequest.select(CaseRequest.kind).where(
                (CaseRequest.case == case.id) & (CaseRequest.status == "pending")
            )
            for row in pending:
                actions += [f"approve-{row['kind']}", f"decline-{row['kind']}"]
    if actor.has_role("operator", "supervisor", "admin") and case.state not in (
        *TERMINAL,
        CLOSED,
    ):
        actions.append("supervise")
    if actor.has_role("operator", "supervisor", "admin"):
        actions.append("note")
    return actions
