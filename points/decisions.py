"""What farming signals lead to and what an admin decides about them (points.review)."""

from __future__ import annotations

import datetime as dt
from typing import Literal

from accounts import service as accounts
from audit import service as audit
from cases import queries
from cases.tables import Case
from core import clock
from core.actors import Actor
from core.settings import get_settings
from points import earning, holds, review
from points.errors import AccountUnknown, ReviewNotOpen

Decision = Literal["clear", "confirm"]
BURST_WINDOW = dt.timedelta(days=1)


async def after_rejection(case: Case) -> None:
    """A burst of one citizen's reports, all rejected, flags the citizen."""
    if case.reporter_kind != "citizen" or case.reporter_id is None:
        return
    burst = get_settings().points_review_rejected_burst
    total, rejected, accepted = await queries.reporter_outcomes(
        citizen_id=case.reporter_id, since=clock.now() - BURST_WINDOW
    )
    if rejected >= burst and accepted == 0:
        await review.flag(
            account_id=case.reporter_id, signal={"signal": "rejected_burst", "reports": total}
        )


async def decide(
    *, actor: Actor, citizen_id: str, decision: Decision, disable: bool, note: str
) -> dict:
    """Clear (pay what the review held) or confirm (forfeit every award held for the
    account, and disable it if asked); audited. A review already decided: ReviewNotOpen."""
    account_id = await accounts.citizen_id_of(public_id=citizen_id)
    if account_id is None:
        raise AccountUnknown(citizen_id=citizen_id)
    to = review.CLEARED if decision == "clear" else review.CONFIRMED
    if not await review.decide(actor=actor, account_id=account_id, to=to, note=note):
        raise ReviewNotOpen(citizen_id=citizen_id)
    if decision == "clear":
        rows = await holds.decide(
            actor=actor, to=holds.RELEASED, account_id=account_id, reason=holds.REVIEW
        )
        points = await earning.pay_released(rows)
    else:
        rows = await holds.decide(actor=actor, to=holds.FORFEITED, account_id=account_id)
        points = sum(row["amount"] for row in rows)
        if disable:
            await accounts.disable_citizen(citizen_id=account_id)
    outcome = {
        "decision": decision,
        "points": points,
        "disabled": decision == "confirm" and disable,
        "note": note,
    }
    await audit.record(
        actor=actor,
        action=f"points.review.{decision}",
        target_kind="citizen",
        target_id=citizen_id,
        after=outcome,
    )
    return outcome


async def review_page(*, cursor: str | None, limit: int) -> tuple[list[dict], str | None]:
    """Open reviews, oldest first, each with the citizen's public id."""
    page = await review.open_reviews(cursor=cursor, limit=limit)
    ids = await accounts.citizen_public_ids(citizen_ids=[item.account_id for item in page.items])
    items = [
        {
            "citizen_id": ids.get(item.account_id, ""),
            "signals": item.signals,
            "opened_at": item.opened_at,
            "held_points": item.held_points,
        }
        for item in page.items
    ]
    return items, page.next_cursor
