"""Fixed-window counters in the database, so every process and replica shares one limit."""

from __future__ import annotations

import datetime as dt

from core import clock
from core.db import raw
from core.errors import RateLimited
from core.tables import RateCounter


async def hit(bucket: str, *, limit: int, window: dt.timedelta, cost: int = 1) -> int:
    """Count one use of ``bucket``; raise RateLimited past ``limit`` in the current window."""
    now = clock.now()
    window_start, seconds = _window(window)
    key = f"{bucket}@{window_start}"
    rows = await raw(
        "INSERT INTO rate_counter (bucket, window_start, hits) VALUES ({}, {}, {}) "
        "ON CONFLICT (bucket) DO UPDATE SET hits = rate_counter.hits + excluded.hits "
        "RETURNING hits",
        key,
        dt.datetime.fromtimestamp(window_start, dt.UTC),
        cost,
    )
    hits = rows[0]["hits"]
    if hits > limit:
        raise RateLimited(retry_after=max(1, window_start + seconds - int(now.timestamp())))
    return hits


async def purge_expired(older_than: dt.timedelta = dt.timedelta(days=2)) -> None:
    await RateCounter.delete().where(RateCounter.window_start < clock.now() - older_than)


def _window(window: dt.timedelta) -> tuple[int, int]:
    seconds = int(window.total_seconds())
    return int(clock.now().timestamp()) // seconds * seconds, seconds


async def peek(bucket: str, *, window: dt.timedelta) -> tuple[int, int]:
    """(hits in the current window, seconds until it ends) without counting."""
    start, seconds = _window(window)
    row = (
        await RateCounter.select(RateCounter.hits)
        .where(RateCounter.bucket == f"{bucket}@{start}")
        .first()
    )
    return (row["hits"] if row else 0), max(1, start + seconds - int(clock.now().timestamp()))


async def clear(bucket: str, *, window: dt.timedelta) -> None:
    start, _ = _window(window)
    await RateCounter.delete().where(RateCounter.bucket == f"{bucket}@{start}")
