"""Figures of the outbox for /metrics: what waits per provider and for how long, and what
failed lately by reason. A few grouped counts, read once per scrape interval."""

from __future__ import annotations

import datetime as dt

import msgspec

from core import clock
from core.db import raw

# Delivery statuses that end without the message sent, by reason: given up after retries,
# the provider said the token is gone, WeChat refused (43101: no grant).
FAILED = ("dead", "dead_token", "refused")
FAILED_WINDOW = dt.timedelta(hours=24)


class OutboxFigures(msgspec.Struct, frozen=True, kw_only=True):
    # channel -> (waiting deliveries, seconds the oldest waited); "fanout" for jobs
    backlog: dict[str, tuple[int, float]]
    # (channel, reason) -> deliveries that ended so in the last 24 hours
    failed: dict[tuple[str, str], int]


def _age(now: dt.datetime, oldest: object) -> float:
    if oldest is None:
        return 0.0
    if isinstance(oldest, str):  # SQLite's MIN() hands back text
        oldest = dt.datetime.fromisoformat(oldest)
    return max(0.0, (now - clock.as_utc(oldest)).total_seconds())  # type: ignore[arg-type]


async def outbox_figures() -> OutboxFigures:
    now = clock.now()
    backlog: dict[str, tuple[int, float]] = {}
    rows = await raw(
        "SELECT channel, COUNT(*) AS n, MIN(created_at) AS oldest FROM notification_delivery "
        "WHERE status IN ('pending', 'sending') GROUP BY channel"
    )
    for row in rows:
        backlog[row["channel"]] = (row["n"], _age(now, row["oldest"]))
    jobs = await raw(
        "SELECT COUNT(*) AS n, MIN(created_at) AS oldest FROM notification_job "
        "WHERE status = 'pending'"
    )
    backlog["fanout"] = (jobs[0]["n"], _age(now, jobs[0]["oldest"]))
    rows = await raw(
        "SELECT channel, status, COUNT(*) AS n FROM notification_delivery "  # noqa: S608
        f"WHERE status IN ({', '.join('{}' for _ in FAILED)}) AND created_at >= {{}} "
        "GROUP BY channel, status",
        *FAILED,
        now - FAILED_WINDOW,
    )
    failed = {(row["channel"], row["status"]): row["n"] for row in rows}
    return OutboxFigures(backlog=backlog, failed=failed)
