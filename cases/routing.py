"""Moving new cases along by rule: auto-accept, then dispatch to the owning unit."""

from __future__ import annotations

from typing import Any

from accounts import service as accounts
from cases import sla
from cases.errors import PhotoCountInvalid
from cases.tables import Case
from cases.workflow import ACCEPTED, DISPATCHED, transition
from core.actors import SYSTEM, Actor
from notify.service import enqueue
from org import grids
from org.categories import CategoryInfo
from org.dispatch import resolve_unit


def check_photo_count(media_ids: list[str], *, low: int, high: int) -> None:
    if not low <= len(media_ids) <= high or len(set(media_ids)) != len(media_ids):
        raise PhotoCountInvalid(low=low, high=high)


async def notify_staff(case: Case, template: str, staff_ids: list[int], **params: Any) -> None:
    for staff_id in dict.fromkeys(staff_ids):
        await enqueue(
            recipient_kind="staff",
            recipient_id=staff_id,
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
    """Operators decide requests and dispatch what no rule dispatches (as SLA escalations
    reach them)."""
    await notify_staff(
        case, template, await accounts.staff_ids_with_role(roles=("operator",)), **params
    )


async def dispatch_to(
    case: Case,
    *,
    unit_id: int,
    priority: int,
    category: CategoryInfo,
    actor: Actor,
    action: str = "dispatch",
    note: str = "",
) -> Case:
    """Hand the case to a unit and start its SLA clock."""
    from core import clock

    start = clock.now()
    deadline, yellow_at = await sla.schedule(category=category, priority=priority, start=start)
    case = await transition(
        case,
        DISPATCHED,
        actor=actor,
        action=action,
        note=note,
        changes={
            "unit_id": unit_id,
            "priority": priority,
            "deadline_at": deadline,
            "sla_yellow_at": yellow_at,
            "sla_level": 0,
            "overdue": False,
            "dispatched_at": start,
        },
    )
    await notify_unit(case, "task.new", unit_id=unit_id)
    return case


async def auto_dispatch(case: Case, *, category: CategoryInfo) -> Case:
    # The grid found when the case was filed, when it was filed in this transaction.
    grid = getattr(case, "_grid", None)
    if grid is None and case.grid_id is not None:
        grid = await grids.locate(lat=case.lat, lon=case.lon)
    target = await resolve_unit(category=category, grid=grid, priority=case.priority)
    if target is None:
        await notify_command_centre(case, "task.dispatch")
        return case  # stays accepted: the command centre's queue
    return await dispatch_to(
        case, unit_id=target.unit_id, priority=target.priority, category=category, actor=SYSTEM
    )


async def progress_new_case(case: Case, *, category: CategoryInfo, trusted: bool) -> Case:
    """Trusted reports, urgent categories and categories that need no on-site check are
    accepted at once; the rest wait for an inspector's verification (核实) or an operator."""
    if not (trusted or category.urgent or not category.needs_onsite_verification):
        await notify_grid_inspectors(case, "task.verify")
        return case
    case = await transition(case, ACCEPTED, actor=SYSTEM, action="accept")
    return await auto_dispatch(case, category=category)
