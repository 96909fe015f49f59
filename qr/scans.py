"""Scan counts without a database write per scan: each scan is noted in process memory and
the notes are written in one batch every ``CITYOPS_SCAN_FLUSH_SECONDS`` by a background
task of the API process (core.periodic), and once more when the process stops cleanly.

What can be lost: a process killed without a clean stop (SIGKILL, out of memory, power
loss) loses the scans of at most the last flush interval (2 s by default). While the
database is away the notes are kept for the next flush, up to ``MAX_PENDING`` (then the
oldest are dropped, with a warning): counts are statistics, not money. Scans of a signpost
deleted before its batch was written are dropped with it, as its written scans are.

Readers of the scan rows in this process (``qr.service.scans_per_day``) flush first, so
they see every scan this process has answered.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging

from core import clock, db
from core.db import raw
from qr.tables import SignpostScan

MAX_PENDING = 500_000
CHUNK = 5_000
log = logging.getLogger(__name__)

_pending: list[tuple[int, str, dt.datetime]] = []
_lock: asyncio.Lock | None = None


def note(signpost_id: int, channel: str) -> None:
    """Count one scan (no I/O)."""
    _pending.append((signpost_id, channel, clock.now()))


def pending() -> int:
    return len(_pending)


def discard() -> None:
    """Forget the unwritten notes (tests, after the tables were emptied)."""
    _pending.clear()


async def flush() -> int:
    """Write the scans noted so far; returns how many were written. On failure they are
    kept for the next flush and the error is raised (the periodic task logs it)."""
    global _lock, _pending
    if _lock is None:
        _lock = asyncio.Lock()
    async with _lock:
        batch, _pending = _pending, []
        if not batch:
            return 0
        written = 0
        try:
            while written < len(batch):
                await _write(batch[written : written + CHUNK])
                written += CHUNK
        except BaseException:
            _pending = batch[written:] + _pending
            if len(_pending) > MAX_PENDING:
                dropped = len(_pending) - MAX_PENDING
                log.warning("scan counts: %d dropped, the database is away", dropped)
                _pending = _pending[-MAX_PENDING:]
            raise
        return len(batch)


async def _write(rows: list[tuple[int, str, dt.datetime]]) -> None:
    async with db.transaction():
        ids = sorted({row[0] for row in rows})
        # Only signposts that still exist: one deleted since its scan takes its scans along.
        alive = {
            row["id"]
            for row in await raw(
                "SELECT id FROM signpost WHERE id IN ("  # noqa: S608 - ints only
                + ",".join(str(int(i)) for i in ids)
                + ")"
            )
        }
        rows = [row for row in rows if row[0] in alive]
        if not rows:
            return
        if db.is_sqlite():
            await SignpostScan.insert(
                *(SignpostScan(signpost=s, channel=c, scanned_at=t) for s, c, t in rows)
            )
        else:
            await raw(
                "INSERT INTO signpost_scan (signpost, channel, scanned_at) "
                "SELECT * FROM unnest({}::integer[], {}::varchar[], {}::timestamptz[])",
                [row[0] for row in rows],
                [row[1] for row in rows],
                [row[2] for row in rows],
            )
