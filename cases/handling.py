"""Handling and checking: the unit says it is fixed (处置), someone checks (核查)."""

from __future__ import annotations

from cases.reporting import attach_photos
from cases.tables import Case
from cases.workflow import CLOSED, DISPATCHED, RESOLVED, transition
from core.actors import Actor


async def resolve(
    *,
    actor: Actor,
    case: Case,
    note: str = "",
    media_ids: list[str] | None = None,
    occurred_at=None,
) -> Case:
    photo_ids = await attach_photos(case, actor, media_ids, "after") if media_ids else []
    return await transition(
        case,
        RESOLVED,
        actor=actor,
        action="resolve",
        note=note,
        media_ids=photo_ids,
        occurred_at=occurred_at,
    )


async def check(
    *, actor: Actor, case: Case, passed: bool, note: str = "", occurred_at=None
) -> Case:
    """Pass closes the case; fail sends it back to the same unit (返工), counted."""
    if passed:
        return await transition(
            case, CLOSED, actor=actor, action="close", note=note, occurred_at=occurred_at
        )
    return await transition(
        case,
        DISPATCHED,
        actor=actor,
        action="rework",
        note=note,
        changes={"rework_count": case.rework_count + 1},
        occurred_at=occurred_at,
    )
