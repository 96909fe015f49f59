"""A rate limit shared by all processes (core.ratelimit's database counters) without a
database write on every request, and without a request ever waiting for one.

Each process counts locally and adds its count to the shared counter on the first hit of
each window and then whenever its unwritten hits reach an eighth of the headroom the client
had left at the last write (at most FLUSH_MAX). The write runs beside the requests: under
load a request that awaited it waited for the database behind every other request in the
loop (up to a second on SQLite, the benchmark's p99). A request is refused as soon as what
this process knows (the shared total at the last write and its own hits since) passes the
limit; hits other processes made since the last write are learned at the next one. A
client can so overshoot by about that eighth per process.
"""

from __future__ import annotations

import asyncio
import contextvars
import datetime as dt
import logging

from core import clock, ratelimit
from core.errors import RateLimited

FLUSH_MAX = 1000
_MAX_KEYS = 50_000
log = logging.getLogger(__name__)


class _Count:
    __slots__ = ("window", "unwritten", "writing", "shared")

    def __init__(self, window: int) -> None:
        self.window = window
        self.unwritten = 0  # hits not yet sent to the shared counter
        self.writing = 0  # hits in the write under way
        self.shared = -1  # the shared total the last write returned (-1: none yet)


class BatchedLimiter:
    def __init__(self, name: str, *, window: dt.timedelta = dt.timedelta(minutes=1)) -> None:
        self.name = name
        self.window = window
        self.seconds = int(window.total_seconds())
        self.counts: dict[str, _Count] = {}
        self._writes: set[asyncio.Task] = set()

    def hit(self, key: str, *, limit: int) -> None:
        now = int(clock.now().timestamp())
        start = now // self.seconds * self.seconds
        count = self.counts.get(key)
        if count is None or count.window != start:
            if len(self.counts) > _MAX_KEYS:
                self.counts = {k: v for k, v in self.counts.items() if v.window == start}
            count = self.counts[key] = _Count(start)
        count.unwritten += 1
        known = max(count.shared, 0) + count.writing + count.unwritten
        if count.shared > limit or known > limit:
            if count.shared <= limit:
                self._write_soon(key, count, limit)  # so other processes learn of it
            raise RateLimited(retry_after=max(1, start + self.seconds - now))
        batch = min(FLUSH_MAX, max(1, (limit - max(count.shared, 0)) // 8))
        if count.shared < 0 or count.unwritten >= batch:
            self._write_soon(key, count, limit)

    def _write_soon(self, key: str, count: _Count, limit: int) -> None:
        if count.writing or not count.unwritten:
            return  # one write per key at a time; hits meanwhile go with the next
        count.writing, count.unwritten = count.unwritten, 0
        # A fresh context: the write must not run in the request's transaction.
        task = asyncio.get_running_loop().create_task(
            self._write(key, count, limit), context=contextvars.Context()
        )
        self._writes.add(task)
        task.add_done_callback(self._writes.discard)

    async def _write(self, key: str, count: _Count, limit: int) -> None:
        try:
            count.shared = await ratelimit.hit(
                f"{self.name}:{key}", limit=limit, window=self.window, cost=count.writing
            )
        except RateLimited:
            count.shared = limit + 1
        except Exception:
            log.warning("rate limit %s: the shared count could not be written", self.name)
            count.unwritten += count.writing  # sent with the next write
        finally:
            count.writing = 0

    async def drain(self) -> None:
        """Wait for the writes under way (tests, shutdown)."""
        while self._writes:
            await asyncio.gather(*self._writes, return_exceptions=True)
