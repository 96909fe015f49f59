"""What a move settles: alerts whose cause is over, and supervision orders of a case that
ended. A transition listener, so every path that moves a case (API, rules, workers) settles
them in the mover's transaction."""

from __future__ import annotations

from cases import alerts, supervision
from cases.states import CLOSED, RESOLVED, TERMINAL
from cases.tables import Case
from cases.workflow import on_transition
from core.actors import Actor

_ROUTED = ("dispatch", "redispatch", "resume")


@on_transition
async def settle(case: Case, action: str, actor: Actor) -> None:
    if action in _ROUTED:
        await alerts.resolve_alerts(case, alerts.ROUTING_KINDS + ("unacknowledged",))
    if case.state == RESOLVED or case.state == CLOSED or case.state in TERMINAL:
        await alerts.resolve_alerts(case)
    if case.state == CLOSED or case.state in TERMINAL:
        await supervision.close_orders(case)
