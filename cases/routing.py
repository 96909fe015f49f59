"""Moving new cases along by rule: auto-accept, then dispatch to the owning unit."""

from __future__ import annotations

from typing import Any, Protocol

from accounts import service as accounts
from cases import aftermath, alerts, sla  # noqa: F401 - aftermath settles alerts on moves
from cases.errors import PhotoCountInvalid
from cases.tables import Case
from cases.workflow import ACCEPTED, DISPATCHED, record_event, transition
from core.actors import SYSTEM, Actor
from notify.service import enqueue_each
from org import duty, grids
from org.categories import CategoryInfo
from org.dispatch import resolve_unit


def check_photo_count(media_ids: list[str], *, low: int, high: int) -> None:
    if not low <= len(media_ids) <= high or len(set(media_ids)) != len(media_ids):
        raise PhotoCountInvalid(low=low, high=high)


async def notify_staff(case: Case, template: str, staff_ids: list[int], **params: Any) -> None:
    await enqueue_each(
        recipient_kind="staff",
        recipient_ids=list(dict.fromkeys(staff_ids)),
        template=template,
        params={"caseId": case.public_id, "number": case.number, **params},
        case_id=case.id,
        urgent=case.priority == 1,
    )


async def notify_unit(case: Case, template: str, *, unit_id: int | None, **params: Any) -> None:
    """The staff of the unit a task lands on (the case's unit, or the one it just left)."""
    if unit_id is not None:
        staff = await accounts.staff_ids_of_unit(unit_id=unit_id)
        await notify_staff(case, template, staff, **params)


async def notify_grid_inspectors(
    case: Case, template: str, *, exclude: Actor | None = None, **params: Any
) -> None:
    if case.grid_id is not None:
        staff = await grids.grid_inspector_ids(grid_id=case.grid_id)
        if exclude is not None and exclude.kind == "staff":
            staff = [s for s in staff if s != exclude.id]  # nobody checks their own work
        await notify_staff(case, template, staff, **params)


async def notify_command_centre(case: Case, template: str, **params: Any) -> None:
    """The on-duty operators of the case's own centre decide its requests (every operator
    where no centres are configured)."""
    centres = await alerts.centres_for(case)
    staff = await alerts.operators_to_tell(centres[0] if centres else None)
    await notify_staff(case, template, staff, **params)


async def dispatch_to(
    case: Case,
    *,
    unit_id: int,
    priority: int,
    category: CategoryInfo,
    actor: Actor,
    action: str = "dispatch",
    note: str = "",
    assign_on_duty: bool = False,
) -> Case:
    """Hand the case to a unit (and, with ``assign_on_duty``, to its on-duty handler with
    the fewest open cases); the SLA clock follows cases.sla.limit_changes."""
    limits = await sla.limit_changes(
        case, category=category, priority=priority, action=action, unit_id=unit_id
    )
    assignee = await least_busy_on_duty(unit_id) if assign_on_duty else None
    case = await transition(
        case,
        DISPATCHED,
        actor=actor,
        action=action,
        note=note,
        changes={
            "unit_id": unit_id,
            "priority": priority,
            "assignee_id": assignee,
            "acknowledged_at": None,
            "acknowledged_by": None,
            **limits,
        },
    )
    if assignee is not None:
        await record_event(
            case,
            action="assign",
            from_state=case.state,
            to_state=case.state,
            actor=SYSTEM,
            data={"staff_id": assignee, "by": "on_duty"},
        )
        await notify_staff(case, "task.assigned", [assignee])
    staff = await accounts.staff_ids_of_unit(unit_id=unit_id)
    await notify_staff(case, "task.new", staff)
    if not staff:
        await alerts.raise_alert("unit_unstaffed", case=case, detail={"unitId": unit_id})
    return case


async def least_busy_on_duty(unit_id: int) -> int | None:
    """The unit's on-duty handler with the fewest open cases (ties: the lowest id)."""
    handlers = set(await accounts.staff_ids_of_unit(unit_id=unit_id, roles=("handler",)))
    on_duty = [s for s in await duty.on_duty(unit_id=unit_id) if s in handlers]
    if not on_duty:
        return None
    rows = await Case.select(Case.assignee_id).where(
        Case.assignee_id.is_in(on_duty) & (Case.state == DISPATCHED)
    )
    load = {staff_id: 0 for staff_id in on_duty}
    for row in rows:
        load[row["assignee_id"]] += 1
    return min(on_duty, key=lambda staff_id: (load[staff_id], staff_id))


async def auto_dispatch(case: Case, *, category: CategoryInfo) -> Case:
    # The grid found when the case was filed, when it was filed in this transaction.
    grid = getattr(case, "_grid", None)
    if grid is None and case.grid_id is not None:
        grid = await grids.locate(lat=case.lat, lon=case.lon)
    target = await resolve_unit(category=category, grid=grid, priority=case.priority)
    if target is None:
        # Stays accepted: the command centre's queue, and its on-duty operators are told.
        await alerts.raise_alert("undispatched", case=case)
        return case
    return await dispatch_to(
        case,
        unit_id=target.unit_id,
        priority=target.priority,
        category=category,
        actor=SYSTEM,
        assign_on_duty=target.assign_on_duty,
    )


class VerificationTraits(Protocol):
    urgent: bool
    needs_onsite_verification: bool


def verified_first(category: VerificationTraits, *, trusted: bool) -> bool:
    """Whether a new report waits for a grid inspector's on-site verification (核实) or an
    operator before it is accepted: not for trusted sources (inspectors, trusted machines),
    urgent categories, nor categories that need no on-site check. Citizens are never a
    trusted source, so the category alone decides for them (the citizen category tree says
    so on every subcategory)."""
    return not (trusted or category.urgent or not category.needs_onsite_verification)


async def progress_new_case(case: Case, *, category: CategoryInfo, trusted: bool) -> Case:
    """Reports that need no verification (``verified_first``) are accepted at once; the
    rest wait for an inspector's verification (核实) or an operator."""
    if verified_first(category, trusted=trusted):
        await notify_grid_inspectors(case, "task.verify")
        return case
    case = await transition(case, ACCEPTED, actor=SYSTEM, action="accept")
    return await auto_dispatch(case, category=category)
