"""督办: a higher command centre orders a lower unit (a centre below it, or the unit handling
the case) to see a case through by a deadline. The order is visible to both sides and
counted in the evaluation (a ``supervise`` event naming the unit); it closes with the case.
"""

from __future__ import annotations

import datetime as dt

import msgspec

from cases import alerts, routing
from cases.errors import NotAllowed, ReasonRequired, SupervisionInvalid
from cases.scope import Scope, scope_of
from cases.states import TERMINAL
from cases.tables import Case, SupervisionOrder
from cases.workflow import CLOSED, record_event
from core import clock
from core.actors import Actor
from org.centres import unit_tree


class OrderInfo(msgspec.Struct, frozen=True, kw_only=True):
    id: int
    case_id: int
    from_unit_id: int
    to_unit_id: int
    note: str
    deadline_at: dt.datetime
    issued_by: int
    created_at: dt.datetime
    closed_at: dt.datetime | None


def _info(row: dict) -> OrderInfo:
    return OrderInfo(
        id=row["id"],
        case_id=row["case"],
        from_unit_id=row["from_unit_id"],
        to_unit_id=row["to_unit_id"],
        note=row["note"],
        deadline_at=clock.as_utc(row["deadline_at"]),
        issued_by=row["issued_by"],
        created_at=clock.as_utc(row["created_at"]),
        closed_at=clock.as_utc(row["closed_at"]) if row["closed_at"] else None,
    )


async def supervise_case(
    *, actor: Actor, case_id: str, note: str, deadline_at: dt.datetime, unit_id: int | None
) -> Case:
    """``supervise`` a case named by its public id, if it is in the actor's scope (else the
    same 404 as none); for the API and the workbench alike. Runs in the caller's transaction."""
    from cases.access import case_for_staff

    case = await case_for_staff(actor, case_id)
    await supervise(actor=actor, case=case, note=note, deadline_at=deadline_at, unit_id=unit_id)
    return case


async def supervise(
    *, actor: Actor, case: Case, note: str, deadline_at: dt.datetime, unit_id: int | None = None
) -> OrderInfo:
    """A centre over the case orders a unit below it: ``unit_id``, a centre between the
    issuer and the case, or by default the unit handling the case."""
    if not note.strip():
        raise ReasonRequired()
    if case.state in TERMINAL or case.state == CLOSED:
        raise SupervisionInvalid(reason="the case is over")
    scope = await scope_of(actor)
    issuer = scope.centre_id
    over = await alerts.centres_for(case)
    if issuer is None or issuer not in over:
        raise NotAllowed(action="supervise")
    below = over[: over.index(issuer)]
    target = unit_id if unit_id is not None else case.unit_id
    if target is None or not (target in below or target == case.unit_id):
        raise SupervisionInvalid(reason="order a centre below yours or the handling unit")
    if clock.as_utc(deadline_at) <= clock.now():
        raise SupervisionInvalid(reason="the deadline must lie ahead")
    row = SupervisionOrder(
        case=case.id,
        from_unit_id=issuer,
        to_unit_id=target,
        note=note.strip(),
        deadline_at=clock.as_utc(deadline_at),
        issued_by=actor.id,
        created_at=clock.now(),
    )
    await row.save()
    await record_event(
        case,
        action="supervise",
        from_state=case.state,
        to_state=case.state,
        actor=actor,
        note=note.strip(),
        data={"unit_id": target, "order_id": row.id, "deadline": row.deadline_at.isoformat()},
    )
    local = clock.as_utc(deadline_at).astimezone(clock.city_zone()).strftime("%Y-%m-%d %H:%M")
    await routing.notify_unit(case, "task.supervise", unit_id=target, note=note, deadline=local)
    return _info(row.to_dict())


async def orders_of(case: Case) -> list[OrderInfo]:
    rows = await SupervisionOrder.select().where(SupervisionOrder.case == case.id)
    return [_info(row) for row in sorted(rows, key=lambda r: r["id"])]


async def close_orders(case: Case) -> None:
    await SupervisionOrder.update({SupervisionOrder.closed_at: clock.now()}).where(
        (SupervisionOrder.case == case.id) & SupervisionOrder.closed_at.is_null()
    )


async def list_orders(*, scope: Scope, open_only: bool = True) -> list[OrderInfo]:
    """Orders my centre issued or received, or on cases in my scope."""
    query = SupervisionOrder.select()
    if open_only:
        query = query.where(SupervisionOrder.closed_at.is_null())
    if not scope.everything:
        tree = await unit_tree()
        mine = set(scope.unit_ids) | ({scope.centre_id} if scope.centre_id else set())
        for centre in list(mine):
            mine |= tree.subtree(centre)
        cases = Case.select(Case.id)
        clause = None
        if scope.district_ids:
            clause = Case.district_id.is_in(sorted(scope.district_ids))
        if scope.street_ids:
            part = Case.street_id.is_in(sorted(scope.street_ids))
            clause = part if clause is None else clause | part
        in_scope = SupervisionOrder.to_unit_id.is_in(sorted(mine) or [-1])
        if clause is not None:
            in_scope = in_scope | SupervisionOrder.case.is_in(cases.where(clause))
        query = query.where(in_scope)
    rows = await query.order_by(SupervisionOrder.deadline_at).limit(500)
    return [_info(row) for row in rows]
