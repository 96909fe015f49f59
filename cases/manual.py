"""A command centre's manual actions on a case, by name: the one table from an action's name
to its service call, shared by /api/admin/cases/{id}/{action} and the workbench's forms.

``data`` is the API's ``ActionIn`` (api/admin/cases.py): its fields are read by name."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any, Literal

from cases import command, handling, handoff
from cases.access import load_case
from cases.tables import Case
from core.actors import Actor
from core.errors import FieldRequired

Action = Literal[
    "accept",
    "reject",
    "merge",
    "dispatch",
    "redispatch",
    "suspend",
    "resume",
    "cancel",
    "approve-extension",
    "decline-extension",
    "approve-return",
    "decline-return",
    "resolve",
    "close",
    "rework",
    "assign",
    "assist",
    "recategorize",
]


def _needs(value, field: str):
    if value is None:
        raise FieldRequired(field=field)
    return value


async def run_action(action: Action, actor: Actor, case_id: str, data: Any) -> Case:
    handlers: dict[str, Callable[[], Awaitable[Case]]] = {
        "accept": lambda: command.accept(
            actor=actor, case_id=case_id, auto_dispatch=data.auto_dispatch
        ),
        "reject": lambda: command.reject(actor=actor, case_id=case_id, reason=data.reason),
        "cancel": lambda: command.cancel(actor=actor, case_id=case_id, reason=data.reason),
        "suspend": lambda: command.suspend(actor=actor, case_id=case_id, reason=data.reason),
        "merge": lambda: command.merge(
            actor=actor, case_id=case_id, into_case_id=_needs(data.into_case_id, "intoCaseId")
        ),
        "dispatch": lambda: command.dispatch(
            actor=actor,
            case_id=case_id,
            unit_id=_needs(data.unit_id, "unitId"),
            priority=data.priority,
            note=data.note,
        ),
        "approve-extension": lambda: command.decide_extension(
            actor=actor, case_id=case_id, approve=True
        ),
        "decline-extension": lambda: command.decide_extension(
            actor=actor, case_id=case_id, approve=False
        ),
        "approve-return": lambda: command.decide_return(actor=actor, case_id=case_id, approve=True),
        "decline-return": lambda: command.decide_return(
            actor=actor, case_id=case_id, approve=False
        ),
    }
    handlers["redispatch"] = handlers["resume"] = handlers["dispatch"]
    if action in handlers:
        return await handlers[action]()
    case = await load_case(case_id)
    if action in ("assign", "assist", "recategorize"):
        return await _hand(action, actor, case, data)
    if action == "resolve":
        return await _resolve(actor, case, data)
    return await handling.check(actor=actor, case=case, passed=action == "close", note=data.note)


async def _hand(action: Action, actor: Actor, case: Case, data: Any) -> Case:
    if action == "assign":
        return await handoff.assign(
            actor=actor, case=case, staff_id=_needs(data.staff_id, "staffId")
        )
    if action == "assist":
        await handoff.add_assists(actor=actor, case=case, unit_ids=_needs(data.unit_ids, "unitIds"))
        return case
    return await command.recategorize(
        actor=actor,
        case=case,
        category_code=_needs(data.category, "category"),
        reason=data.reason or data.note,
    )


async def _resolve(actor: Actor, case: Case, data: Any) -> Case:
    """An operator's resolve: with after-photos, or else with a written reason."""
    reason = (data.note or data.reason or "").strip()
    if not data.media_ids and not reason:
        raise FieldRequired(field="mediaIds")
    await handoff.require_assists_done(case)
    return await handling.resolve(actor=actor, case=case, note=reason, media_ids=data.media_ids)
