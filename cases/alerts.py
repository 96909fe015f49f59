"""No silent queues: whatever would wait where nobody is told raises an alert in a command
centre's queue (most urgent first) and pushes to that centre's on-duty operators.

An alert is open until an operator acknowledges it or what caused it is over (the case is
dispatched, acknowledged, resolved...). One open alert per (kind, case, centre): raising it
again is a no-op, so periodic checks in several workers raise it once.

Which centre: the lowest one over the case's areas (its street's station, else its district's
centre, else the city's); escalation names a higher one. A case outside every area goes to
the city. With no centres configured at all, every operator is told, as before levels.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal

import msgspec

from accounts import service as accounts
from cases.errors import AlertNotFound
from cases.scope import Scope
from cases.tables import Alert, Case
from core import clock
from core.actors import Actor
from core.db import raw
from core.pagination import decode_cursor, encode_cursor
from notify.service import enqueue_each
from org import duty
from org.centres import unit_tree

Kind = Literal[
    "unacknowledged",  # an urgent case nobody of its unit acknowledged in time
    "machine_alarm",  # a machine alarm of level 1
    "outside_city",  # a machine event (or hotline call) outside the city's area
    "outside_grid",  # a case in no unit grid: no inspector, no grid unit
    "unit_unstaffed",  # dispatched to a unit with no active staff
    "sla_red",  # past its deadline (escalation; higher centres as it stays red)
    "undispatched",  # accepted, and no rule dispatches it
    "returned",  # handed back by its unit (转办 or an approved 回退): needs a new unit
    "calendar",  # no holiday data for the coming months: deadlines would be wrong
    "sla_yellow",  # 80 % of its time used
]
KINDS: tuple[str, ...] = Kind.__args__  # type: ignore[attr-defined]
SEVERITY: dict[str, int] = {
    "unacknowledged": 1,
    "machine_alarm": 1,
    "outside_city": 2,
    "outside_grid": 2,
    "unit_unstaffed": 2,
    "sla_red": 2,
    "calendar": 2,
    "undispatched": 3,
    "returned": 3,
    "sla_yellow": 4,
}
# Kinds that are over once the case has a unit working on it. Where a case lies (outside the
# city, in no unit grid) stays for an operator to deal with until the case ends.
ROUTING_KINDS = ("undispatched", "returned", "unit_unstaffed")


class AlertInfo(msgspec.Struct, frozen=True, kw_only=True):
    id: int
    kind: str
    severity: int
    case_id: int | None
    centre_id: int | None
    detail: dict[str, Any]
    created_at: dt.datetime
    acknowledged_at: dt.datetime | None
    acknowledged_by: int | None
    resolved_at: dt.datetime | None


class AlertPage(msgspec.Struct, frozen=True, kw_only=True):
    items: list[AlertInfo]
    next_cursor: str | None


def _info(row: dict) -> AlertInfo:
    return AlertInfo(
        id=row["id"],
        kind=row["kind"],
        severity=row["severity"],
        case_id=row["case"],
        centre_id=row["centre_id"],
        detail=msgspec.json.decode(row["detail"] or "{}"),
        created_at=clock.as_utc(row["created_at"]),
        acknowledged_at=clock.as_utc(row["acknowledged_at"]) if row["acknowledged_at"] else None,
        acknowledged_by=row["acknowledged_by"],
        resolved_at=clock.as_utc(row["resolved_at"]) if row["resolved_at"] else None,
    )


async def centres_for(case: Case | None) -> list[int]:
    """The centres over a case, lowest first (empty with no centres configured)."""
    tree = await unit_tree()
    if case is None:
        return tree.centres_over(street_id=None, district_id=None)
    return tree.centres_over(street_id=case.street_id, district_id=case.district_id)


async def operators_to_tell(centre_id: int | None) -> list[int]:
    """The centre's on-duty operators (all of its operators with nobody on duty); a centre
    without operators must not swallow the alert: then the city-wide operators (those of
    the city's centre and those of no unit), and failing them every operator."""
    if centre_id is not None:
        found = await duty.who_to_tell(unit_id=centre_id, roles=("operator",))
        if found:
            return found
    tree = await unit_tree()
    city_centre = tree.centre_of_area.get(tree.city() or -1)
    city_wide = await accounts.staff_ids_of_unit(unit_id=None, roles=("operator",))
    if city_centre is not None:
        city_wide += await duty.who_to_tell(unit_id=city_centre, roles=("operator",))
    return sorted(set(city_wide)) or await accounts.staff_ids_with_role(roles=("operator",))


async def raise_alert(
    kind: Kind,
    *,
    case: Case | None,
    level: int = 0,
    detail: dict[str, Any] | None = None,
) -> bool:
    """Open an alert in the queue of the ``level``-th centre over the case (0: its own; a
    level past the top is the top); False if it was open already. Tells the centre's
    on-duty operators. Runs in the caller's transaction."""
    if case is not None:
        case._no_open_alerts = False
    centres = await centres_for(case)
    centre_id = centres[min(level, len(centres) - 1)] if centres else None
    severity = 1 if case is not None and case.priority == 1 else SEVERITY[kind]
    rows = await raw(
        'INSERT INTO alert (kind, severity, "case", centre_id, street_id, district_id, detail, '
        "slot, created_at) VALUES ({}, {}, {}, {}, {}, {}, {}, {}, {}) "
        "ON CONFLICT (slot) DO NOTHING RETURNING id",
        kind,
        severity,
        case.id if case else None,
        centre_id,
        case.street_id if case else None,
        case.district_id if case else None,
        msgspec.json.encode(detail or {}).decode(),
        f"{kind}:{case.id if case else '-'}:{centre_id or '-'}",
        clock.now(),
    )
    if not rows:
        return False
    params = {"alertId": str(rows[0]["id"])}
    if case is not None:
        params |= {"caseId": case.public_id, "number": case.number}
    await enqueue_each(
        recipient_kind="staff",
        recipient_ids=await operators_to_tell(centre_id),
        template=f"alert.{kind}",
        params=params,
        case_id=case.id if case else None,
        urgent=severity == 1,
    )
    return True


async def resolve_alerts(case: Case, kinds: tuple[str, ...] | None = None) -> int:
    """Close the case's open alerts (of ``kinds``): what caused them is over."""
    if getattr(case, "_no_open_alerts", False):
        # Filed in this transaction, nobody else sees it yet, and nothing raised one: an
        # auto-dispatched report skips a statement.
        return 0
    query = Alert.update(
        {Alert.resolved_at: clock.now(), Alert.slot: None},
    ).where((Alert.case == case.id) & Alert.resolved_at.is_null())
    if kinds is not None:
        query = query.where(Alert.kind.is_in(list(kinds)))
    return len(await query.returning(Alert.id))


async def resolve_city_alerts(kind: Kind) -> int:
    """Close the open alerts of ``kind`` that concern no case (the city's calendar): what
    caused them is over."""
    resolved = (
        await Alert.update({Alert.resolved_at: clock.now(), Alert.slot: None})
        .where((Alert.kind == kind) & Alert.case.is_null() & Alert.resolved_at.is_null())
        .returning(Alert.id)
    )
    return len(resolved)


async def _in_scope(scope: Scope):
    """A centre's queue: the alerts raised to it and to the centres below it (what climbed
    higher is the higher centre's); an operator of a unit, the alerts of its area."""
    if scope.everything:
        return None
    tree = await unit_tree()
    areas = scope.district_ids | scope.street_ids
    below = {unit for area in areas for unit in tree.subtree(area)}
    centres = [c for c in tree.centre_of_area.values() if c in below]
    if centres:
        return Alert.centre_id.is_in(sorted(centres))
    if areas:
        return Alert.district_id.is_in(sorted(areas)) | Alert.street_id.is_in(sorted(areas))
    return Alert.id < 0


async def list_alerts(
    *,
    scope: Scope,
    status: Literal["open", "unacknowledged", "all"] = "open",
    kind: str | None = None,
    cursor: str | None = None,
    limit: int = 50,
) -> AlertPage:
    """Most urgent first (severity, then oldest first): the order an operator works in."""
    query = Alert.select()
    if (clause := await _in_scope(scope)) is not None:
        query = query.where(clause)
    if status != "all":
        query = query.where(Alert.resolved_at.is_null())
    if status == "unacknowledged":
        query = query.where(Alert.acknowledged_at.is_null())
    if kind is not None:
        query = query.where(Alert.kind == kind)
    if (after := decode_cursor(cursor, kind="alerts")) is not None:
        # The cursor holds the last row's (created_at, id); its severity is read back.
        last = await Alert.select(Alert.severity).where(Alert.id == after.id).first()
        severity = last["severity"] if last else 0
        query = query.where(
            (Alert.severity > severity)
            | (
                (Alert.severity == severity)
                & (
                    (Alert.created_at > after.at)
                    | ((Alert.created_at == after.at) & (Alert.id > after.id))
                )
            )
        )
    rows = (
        await query.order_by(Alert.severity)
        .order_by(Alert.created_at)
        .order_by(Alert.id)
        .limit(limit + 1)
    )
    items = [_info(row) for row in rows[:limit]]
    last = items[-1] if len(rows) > limit else None
    return AlertPage(
        items=items,
        next_cursor=encode_cursor(last.created_at, last.id, kind="alerts") if last else None,
    )


async def acknowledge(*, actor: Actor, alert_id: int, scope: Scope) -> AlertInfo:
    """An operator of the centre (or one above) has seen it; idempotent."""
    clause = await _in_scope(scope)
    query = Alert.select().where(Alert.id == alert_id)
    row = await (query.where(clause) if clause is not None else query).first()
    if row is None:
        raise AlertNotFound()
    if row["acknowledged_at"] is None:
        await Alert.update(
            {Alert.acknowledged_at: clock.now(), Alert.acknowledged_by: actor.id}
        ).where((Alert.id == alert_id) & Alert.acknowledged_at.is_null())
        row = await Alert.select().where(Alert.id == alert_id).first()
    return _info(row)
