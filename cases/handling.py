"""Handling and checking: the unit says it is fixed (处置), someone checks (核查).

Who may do it is decided by the callers (the command centre in api/admin, the field rules
in cases.field); these functions make the move and keep the photos with it."""

from __future__ import annotations

import datetime as dt

from cases import routing, sla
from cases.reporting import attach_photos
from cases.tables import Case
from cases.workflow import CLOSED, DISPATCHED, RESOLVED, transition
from core.actors import Actor
from org.categories import get_category


async def resolve(
    *,
    actor: Actor,
    case: Case,
    note: str = "",
    media_ids: list[str] | None = None,
    occurred_at: dt.datetime | None = None,
    notify_checkers: bool = True,
) -> Case:
    """The inspectors of the grid are told a check (核查) waits, except the resolver (who
    may not check their own work) and unless the caller closes the case itself."""
    photo_ids = await attach_photos(case, actor, media_ids, "after") if media_ids else []
    case = await transition(
        case,
        RESOLVED,
        actor=actor,
        action="resolve",
        note=note,
        media_ids=photo_ids,
        occurred_at=occurred_at,
    )
    if notify_checkers:
        await routing.notify_grid_inspectors(case, "task.check", exclude=actor)
    return case


async def check(
    *,
    actor: Actor,
    case: Case,
    passed: bool,
    note: str = "",
    media_ids: list[str] | None = None,
    occurred_at: dt.datetime | None = None,
) -> Case:
    """Pass closes the case; fail sends it back to the same unit (返工), counted. Photos
    the checker took are kept as "check" photos."""
    photo_ids = await attach_photos(case, actor, media_ids, "check") if media_ids else []
    if passed:
        return await transition(
            case,
            CLOSED,
            actor=actor,
            action="close",
            note=note,
            media_ids=photo_ids,
            occurred_at=occurred_at,
        )
    category = await get_category(code=case.category_code, leaf_only=False)
    limits = await sla.limit_changes(
        case, category=category, priority=case.priority, action="rework"
    )
    case = await transition(
        case,
        DISPATCHED,
        actor=actor,
        action="rework",
        note=note,
        media_ids=photo_ids,
        changes={"rework_count": case.rework_count + 1, **limits},
        occurred_at=occurred_at,
    )
    await routing.notify_unit(case, "task.rework", unit_id=case.unit_id, note=note)
    return case
