"""Reads that may be a little behind go to a streaming replica (CITYOPS_DATABASE_REPLICA_URL):
statistics, the evaluation, exports and public listings, through ``replica_reads()``.

The replica is used only while it is fit: reachable, still a standby streaming from the
primary (or promoted, when it is the primary), and at most
CITYOPS_DATABASE_REPLICA_MAX_LAG_SECONDS behind. Otherwise, and for HEALTH_TTL seconds after a
failure, those reads run on the primary: the answers stay correct and only the load moves.
The check is cached for HEALTH_TTL seconds per process, so a replica that falls behind can
serve reads that much longer. Writes never go there (a standby refuses them anyway).

Routing works by giving the block a transaction of the primary engine whose connection
comes from the replica's pool: Piccolo's queries and ``core.db.raw`` both run on the current
transaction's connection, so the services need no second code path."""

from __future__ import annotations

import contextlib
import logging
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from core.settings import get_settings

log = logging.getLogger("cityops.replica")

HEALTH_TTL = 5.0
ACQUIRE_TIMEOUT = 1.0

# Replay has caught up with what was received: no lag however old the last transaction is.
_FITNESS = (
    "SELECT pg_is_in_recovery() AS standby, "
    "COALESCE((SELECT status FROM pg_stat_wal_receiver LIMIT 1), '') AS receiver, "
    "CASE WHEN pg_last_wal_receive_lsn() = pg_last_wal_replay_lsn() THEN 0 "
    "ELSE EXTRACT(EPOCH FROM now() - pg_last_xact_replay_timestamp()) END AS lag"
)


class _State:
    pool: Any = None
    reason = ""  # why the replica is skipped now
    fit_until = 0.0  # monotonic time until which the last check holds
    down_until = 0.0  # monotonic time until which the replica is skipped


_state = _State()


def configured() -> bool:
    return bool(get_settings().database_replica_url)


def mark_down(reason: str) -> None:
    if time.monotonic() >= _state.down_until:
        log.warning("replica skipped for %.0f s: %s", HEALTH_TTL, reason)
    _state.reason = reason
    _state.down_until = time.monotonic() + HEALTH_TTL
    _state.fit_until = 0.0


async def _pool():
    if _state.pool is None:
        import asyncpg

        # min_size=0: a replica that is down when the process starts must not stop it.
        _state.pool = await asyncpg.create_pool(
            get_settings().database_replica_url,
            min_size=0,
            max_size=get_settings().db_pool_max,
            timeout=ACQUIRE_TIMEOUT * 2,  # connecting: an unreachable host must not hang reads
        )
    return _state.pool


def _unfit(row) -> str | None:
    if not row["standby"]:
        return None  # promoted: it is the primary now
    if row["receiver"] != "streaming":
        return f"not streaming from the primary ({row['receiver'] or 'no receiver'})"
    limit = get_settings().database_replica_max_lag_seconds
    if row["lag"] is not None and float(row["lag"]) > limit:
        return f"{float(row['lag']):.1f} s behind (limit {limit:g} s)"
    return None


async def fit_pool():
    """The replica's pool if reads may go there now, else None."""
    if not configured() or time.monotonic() < _state.down_until:
        return None
    try:
        pool = await _pool()
        if time.monotonic() >= _state.fit_until:
            async with pool.acquire(timeout=ACQUIRE_TIMEOUT) as connection:
                reason = _unfit(await connection.fetchrow(_FITNESS))
            if reason is not None:
                mark_down(reason)
                return None
            _state.fit_until = time.monotonic() + HEALTH_TTL
        return pool
    except Exception as exc:  # down, refusing, or full: the primary answers instead
        mark_down(repr(exc))
        return None


def skipped_because() -> str | None:
    """Why reads meant for the replica go to the primary now (None: they do not)."""
    if configured() and time.monotonic() < _state.down_until:
        return _state.reason
    return None


async def close() -> None:
    if _state.pool is not None:
        pool, _state.pool = _state.pool, None
        await pool.close()
    _state.fit_until = _state.down_until = 0.0


@asynccontextmanager
async def replica_reads() -> AsyncIterator[bool]:
    """Run the block's reads on the replica when it is fit (yields True), else on the
    primary in a transaction of its own (False). Inside a transaction already open the block
    joins it: what the request wrote must stay visible to what it reads."""
    from core import db

    if db.is_sqlite() or db.in_transaction():
        async with db.engine().transaction():
            yield False
        return
    pool = await fit_pool()
    if pool is None:
        async with db.engine().transaction():
            yield False
        return
    async with contextlib.AsyncExitStack() as stack:
        try:
            await stack.enter_async_context(db.replica_transaction(pool))
            on_replica = True
        except Exception as exc:  # gone since the last check: the primary answers
            if not db.is_unavailable(exc):
                raise
            mark_down(repr(exc))
            await stack.enter_async_context(db.engine().transaction())
            on_replica = False
        try:
            yield on_replica
        except Exception as exc:
            # Gone in the middle of the reads: this request fails (503, Retry-After), the
            # next ones go to the primary.
            if on_replica and db.is_unavailable(exc):
                mark_down(repr(exc))
            raise
