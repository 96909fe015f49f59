"""Expiry: earned points lapse at the end of the year after they were earned (see
``service.expiry_for``), oldest first, by expire entries a periodic task writes.

Spending uses up the oldest lots first (FIFO), so the points due to lapse by now are what
the lots due by now hold beyond everything consumed so far: ``due - consumed``, capped at
the balance. That formula is idempotent: once the expire entry is written it counts as
consumption and the next run finds nothing, so several workers may run it at once (each
account is handled under its lock in its own transaction).
"""

from __future__ import annotations

import logging

from core import clock, periodic
from core.db import raw, transaction
from points import service as ledger
from points.reasons import EXPIRED
from points.service import LOT_SQL

log = logging.getLogger("cityops.points")


async def due_accounts(limit: int = 1000) -> list[int]:
    rows = await raw(
        "SELECT account_id FROM (SELECT account_id, SUM(amount) AS balance, "  # noqa: S608
        f"SUM(CASE WHEN {LOT_SQL} THEN 0 ELSE -amount END) AS used, "
        f"SUM(CASE WHEN {LOT_SQL} AND expires_at IS NOT NULL AND expires_at <= {{}} "
        "THEN amount ELSE 0 END) AS due FROM points_entry WHERE account_id IN "
        "(SELECT DISTINCT account_id FROM points_entry WHERE expires_at <= {}) "
        "GROUP BY account_id) t WHERE t.due > t.used AND t.balance > 0 "
        "ORDER BY account_id LIMIT {}",
        clock.now(),
        clock.now(),
        limit,
    )
    return [row["account_id"] for row in rows]


async def expire_account(*, account_id: int) -> int:
    """Write the expire entry one account is due (in the caller's transaction); the points
    expired."""
    now = clock.now()
    await ledger.lock_account(account_id)
    rows = await raw(
        "SELECT COALESCE(SUM(amount), 0) AS balance, "  # noqa: S608
        f"COALESCE(SUM(CASE WHEN {LOT_SQL} AND expires_at IS NOT NULL AND expires_at <= {{}} "
        "THEN amount ELSE 0 END), 0) AS due FROM points_entry WHERE account_id = {}",
        now,
        account_id,
    )
    balance, due = int(rows[0]["balance"]), int(rows[0]["due"])
    amount = min(balance, due - await ledger.consumed(account_id=account_id))
    if amount <= 0:
        return 0
    await ledger.post(
        account_id=account_id,
        amount=-amount,
        kind="expire",
        # Unique per write; repeated runs are prevented by the formula, not the reference.
        reference=f"account:{account_id}:{now.isoformat()}",
        code=EXPIRED,
    )
    return amount


async def expire_points() -> int:
    """The periodic task: every account that has points due, each in its own transaction."""
    total, seen = 0, set()
    while not periodic.stopping():
        accounts = [a for a in await due_accounts() if a not in seen]
        for account_id in accounts:
            if periodic.stopping():  # the next tick takes the rest
                break
            seen.add(account_id)
            async with transaction():
                total += await expire_account(account_id=account_id)
        if not accounts:
            break
    if total:
        log.info("expired %d points", total)
    return total
