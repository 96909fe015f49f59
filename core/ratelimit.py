"""Rate limits and counters shared by every process through the database.

Each decision is one atomic upsert, so a limit holds exactly however many processes serve
the requests. Outside a transaction it commits at once (sign-in and upload limits are
counted before any transaction opens); inside the request's transaction it commits or rolls
back with the request, so a request that fails on our side (a database outage, a refused
report) does not use up the client's limit, and a retry of it is not counted twice.

- ``hit`` is a token bucket in its GCRA form: one "theoretical arrival time" per bucket.
  ``limit`` requests may come at once, then one more every ``window / limit``: a sliding
  limit, where fixed windows let twice the limit through around a window's edge.
- ``count`` / ``uncount`` / ``clear`` are counters whose window starts at their first hit,
  for lockouts ("after 5 failures, wait until the window ends") and daily caps.
"""

from __future__ import annotations

import datetime as dt
import math

from core import clock
from core.db import raw
from core.errors import RateLimited
from core.tables import RateBucket

_MICROS = 1_000_000
# Longest window in use (daily caps) plus a margin: older rows decide nothing any more.
RETENTION = dt.timedelta(days=2)


# The next arrival time is max(at_us, now) + step, spelt as a CASE because the engines name
# max differently; the update happens only where it stays within the window.
_TAKE = (
    "INSERT INTO rate_bucket (bucket, at_us, hits) VALUES ({}, {}, 0) "
    "ON CONFLICT (bucket) DO UPDATE SET "
    "at_us = (CASE WHEN rate_bucket.at_us > {} THEN rate_bucket.at_us ELSE {} END) + {} "
    "WHERE (CASE WHEN rate_bucket.at_us > {} THEN rate_bucket.at_us ELSE {} END) + {} <= {} "
    "RETURNING at_us"
)


def _now_us() -> int:
    return int(clock.now().timestamp() * _MICROS)


def _seconds(micros: int) -> int:
    return max(1, math.ceil(micros / _MICROS))


async def hit(bucket: str, *, limit: int, window: dt.timedelta, cost: int = 1) -> None:
    """Let one request (``cost`` of them) through ``bucket`` or raise RateLimited with the
    seconds until it would pass."""
    now = _now_us()
    span = int(window.total_seconds() * _MICROS)
    step = span * cost // limit
    rows = await raw(_TAKE, bucket, now + step, *(now, now, step) * 2, now + span)
    if rows and step <= span:
        return
    row = await RateBucket.select(RateBucket.at_us).where(RateBucket.bucket == bucket).first()
    arrival = max(row["at_us"] if row else now, now) + step
    raise RateLimited(retry_after=_seconds(arrival - now - span))


async def count(bucket: str, *, window: dt.timedelta, cost: int = 1) -> tuple[int, int]:
    """Add ``cost`` to the counter and return (its total, seconds until its window ends). A
    window starts with the first hit after the previous one ended."""
    now = _now_us()
    expired = now - int(window.total_seconds() * _MICROS)
    rows = await raw(
        "INSERT INTO rate_bucket (bucket, at_us, hits) VALUES ({}, {}, {}) "
        "ON CONFLICT (bucket) DO UPDATE SET "
        "hits = CASE WHEN rate_bucket.at_us <= {} THEN excluded.hits "
        "ELSE rate_bucket.hits + excluded.hits END, "
        "at_us = CASE WHEN rate_bucket.at_us <= {} THEN excluded.at_us "
        "ELSE rate_bucket.at_us END "
        "RETURNING hits, at_us",
        bucket,
        now,
        cost,
        expired,
        expired,
    )
    return rows[0]["hits"], _seconds(rows[0]["at_us"] - expired)


async def uncount(bucket: str, *, cost: int = 1) -> None:
    """Take back hits that turned out not to count (a sign-in that succeeded)."""
    await raw(
        "UPDATE rate_bucket SET hits = hits - {} WHERE bucket = {} AND hits >= {}",
        cost,
        bucket,
        cost,
    )


async def clear(bucket: str) -> None:
    await RateBucket.delete().where(RateBucket.bucket == bucket)


async def purge_expired() -> None:
    oldest = _now_us() - int(RETENTION.total_seconds() * _MICROS)
    await RateBucket.delete().where(RateBucket.at_us < oldest)
