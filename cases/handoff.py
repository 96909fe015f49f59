"""From unit to person: assigning a dispatched case to a handler (一键到人), acknowledging it
(签收), handing it back as not the unit's (转办), and co-handling with assisting units (协办).

Who may: the case's unit's handlers act for their unit (a handler assigns, acknowledges,
transfers); the command centre's operators in whose scope the case is may assign and add
assisting units. Callers have checked that the actor may see the case (cases.access).
"""

from __future__ import annotations

from accounts import service as accounts
from cases import alerts, routing
from cases.errors import (
    AssistNotPending,
    AssistsPending,
    InvalidAssignee,
    InvalidTransition,
    NotAllowed,
    ReasonRequired,
    UnitUnknown,
)
from cases.tables import Case, CaseAssist
from cases.workflow import DISPATCHED, RETURNED, record_event, transition
from core import clock
from core.actors import Actor
from core.db import raw
from org.errors import UnknownOrgUnit
from org.units import get_handling_unit

COMMAND = ("operator", "admin")


def _require_dispatched(case: Case, action: str) -> None:
    if case.state != DISPATCHED:
        raise InvalidTransition(state=case.state, action=action)


async def _is_unit_handler(actor: Actor, unit_id: int | None) -> bool:
    return (
        actor.has_role("handler")
        and unit_id is not None
        and await accounts.staff_unit_id(staff_id=actor.id) == unit_id
    )


async def assign(*, actor: Actor, case: Case, staff_id: int) -> Case:
    """Give the case to a handler of its unit (the unit's own handlers or an operator)."""
    _require_dispatched(case, "assign")
    if not (actor.has_role(*COMMAND) or await _is_unit_handler(actor, case.unit_id)):
        raise NotAllowed(action="assign")
    handlers = await accounts.staff_ids_of_unit(unit_id=case.unit_id, roles=("handler",))
    if staff_id not in handlers:
        raise InvalidAssignee()
    await Case.update(
        {
            Case.assignee_id: staff_id,
            Case.acknowledged_at: None,
            Case.acknowledged_by: None,
            Case.updated_at: clock.now(),
        }
    ).where(Case.id == case.id)
    case.assignee_id, case.acknowledged_at, case.acknowledged_by = staff_id, None, None
    await record_event(
        case,
        action="assign",
        from_state=case.state,
        to_state=case.state,
        actor=actor,
        data={"staff_id": staff_id},
    )
    await routing.notify_staff(case, "task.assigned", [staff_id])
    return case


async def acknowledge(*, actor: Actor, case: Case) -> Case:
    """签收: the assignee, or a handler of the unit while nobody is assigned. Once."""
    _require_dispatched(case, "acknowledge")
    mine = case.assignee_id == actor.id if case.assignee_id else False
    if not (mine or (case.assignee_id is None and await _is_unit_handler(actor, case.unit_id))):
        raise NotAllowed(action="acknowledge")
    if case.acknowledged_at is not None:
        return case
    now = clock.now()
    claimed = (
        await Case.update({Case.acknowledged_at: now, Case.acknowledged_by: actor.id})
        .where((Case.id == case.id) & Case.acknowledged_at.is_null())
        .returning(Case.id)
    )
    if claimed:
        case.acknowledged_at, case.acknowledged_by = now, actor.id
        await record_event(
            case, action="acknowledge", from_state=case.state, to_state=case.state, actor=actor
        )
        await alerts.resolve_alerts(case, ("unacknowledged",))
    return case


async def transfer(*, actor: Actor, case: Case, reason: str | None) -> Case:
    """转办: the unit says the case is not theirs and hands it back at once, with a reason,
    for the command centre to route again. Counted against the unit (``transfer_count``
    and the ``transfer`` event the evaluation counts)."""
    if not reason or not reason.strip():
        raise ReasonRequired()
    _require_dispatched(case, "transfer")
    if not (actor.has_role(*COMMAND) or await _is_unit_handler(actor, case.unit_id)):
        raise NotAllowed(action="transfer")
    unit_id = case.unit_id
    case = await transition(
        case,
        RETURNED,
        actor=actor,
        action="transfer",
        note=reason.strip(),
        changes={
            "unit_id": None,
            "assignee_id": None,
            "transfer_count": case.transfer_count + 1,
        },
        check_role=False,
        data={"unit_id": unit_id},
    )
    await alerts.raise_alert("returned", case=case, detail={"unitId": unit_id})
    return case


async def add_assists(*, actor: Actor, case: Case, unit_ids: list[int]) -> list[int]:
    """协办: assisting units each report their part; the lead unit (the case's) resolves."""
    _require_dispatched(case, "assist")
    added = []
    for unit_id in dict.fromkeys(unit_ids):
        if unit_id == case.unit_id:
            continue
        try:
            await get_handling_unit(unit_id=unit_id)
        except UnknownOrgUnit:
            raise UnitUnknown() from None
        rows = await raw(
            'INSERT INTO case_assist ("case", unit_id, slot, note, created_at) '
            "VALUES ({}, {}, {}, '', {}) ON CONFLICT (slot) DO NOTHING RETURNING id",
            case.id,
            unit_id,
            f"{case.id}:{unit_id}",
            clock.now(),
        )
        if rows:
            added.append(unit_id)
            await routing.notify_unit(case, "task.assist", unit_id=unit_id)
    if added:
        await record_event(
            case,
            action="assist_added",
            from_state=case.state,
            to_state=case.state,
            actor=actor,
            data={"unit_ids": added},
        )
    return added


async def report_assist(*, actor: Actor, case: Case, note: str) -> Case:
    """An assisting unit's handler reports its part done."""
    _require_dispatched(case, "assist report")
    if not note.strip():
        raise ReasonRequired()
    unit_id = await accounts.staff_unit_id(staff_id=actor.id)
    done = (
        await CaseAssist.update(
            {
                CaseAssist.note: note.strip(),
                CaseAssist.reported_by: actor.id,
                CaseAssist.reported_at: clock.now(),
            }
        )
        .where(
            (CaseAssist.case == case.id)
            & (CaseAssist.unit_id == unit_id)
            & CaseAssist.reported_at.is_null()
        )
        .returning(CaseAssist.id)
    )
    if not actor.has_role("handler") or not done:
        raise AssistNotPending()
    await record_event(
        case,
        action="assist_report",
        from_state=case.state,
        to_state=case.state,
        actor=actor,
        note=note.strip(),
        data={"unit_id": unit_id},
    )
    await routing.notify_unit(case, "task.assist_reported", unit_id=case.unit_id)
    return case


async def assists_of(case: Case) -> list[CaseAssist]:
    return await CaseAssist.objects().where(CaseAssist.case == case.id).order_by(CaseAssist.id)


async def require_assists_done(case: Case) -> None:
    """The lead unit resolves once every assisting unit has reported its part."""
    if await CaseAssist.exists().where(
        (CaseAssist.case == case.id) & CaseAssist.reported_at.is_null()
    ):
        raise AssistsPending()


async def assist_pending_for(actor: Actor, case: Case) -> bool:
    """Whether the actor's unit has an assisting part of this case left to report."""
    if not actor.has_role("handler"):
        return False
    unit_id = await accounts.staff_unit_id(staff_id=actor.id)
    return unit_id is not None and await CaseAssist.exists().where(
        (CaseAssist.case == case.id)
        & (CaseAssist.unit_id == unit_id)
        & CaseAssist.reported_at.is_null()
    )
