"""A rate limit shared by all processes (core.ratelimit's database counters) without a
database write on every request, and without a request ever waiting for one: for the hot
public routes (nearby places, signpost scans), where a write per request would cost more
than the answer.

Counts are kept per minute-aligned window. Each process counts locally and adds its count to
the window's shared counter whenever its unwritten hits reach an eighth of the headroom the
client had left at the last write (of the whole limit before any; at most FLUSH_MAX). A
client's first hits are not written on their own: most clients of these routes (a person
scanning one signpost, looking for a toilet once) never come near the limit, and writing
each new client's first hit was a write per request under load (15 % of a scan's CPU).
The write runs beside the requests: under load a request that awaited it waited for the
database behind every other request in the loop.

The limit slides: a request is weighed against this window's count plus the previous
window's count scaled by how much of it still lies within the last ``window`` (the estimate
of Cloudflare's sliding-window counter), so a client cannot send a full window's worth on
each side of a window edge. A request is refused as soon as what this process knows (the
shared totals at its last writes and its own hits since) passes the limit; hits other
processes made since the last write are learned at the next one, so a client can overshoot
by about that eighth per process. Limits that guard secrets (sign-in, SMS) use the exact
``core.ratelimit`` instead.
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
    __slots__ = ("window", "unwritten", "writing", "shared", "previous")

    def __init__(self, window: int, previous: int) -> None:
        self.window = window
        self.unwritten = 0  # hits not yet sent to the shared counter
        self.writing = 0  # hits in the write under way
        self.shared = -1  # the shared total the last write returned (-1: none yet)
        self.previous = previous  # what was known of the previous window's total

    @property
    def known(self) -> int:
        return max(self.shared, 0) + self.writing + self.unwritten


class BatchedLimiter:
    def __init__(self, name: str, *, window: dt.timedelta = dt.timedelta(minutes=1)) -> None:
        self.name = name
        self.window = window
        self.seconds = int(window.total_seconds())
        self.counts: dict[str, _Count] = {}
        self._writes: set[asyncio.Task] = set()

    def _count(self, key: str, start: int) -> _Count:
        count = self.counts.get(key)
        if count is not None and count.window == start:
            return count
        previous = count.known if count is not None and count.window == start - self.seconds else 0
        if len(self.counts) > _MAX_KEYS:
            self.counts = {k: v for k, v in self.counts.items() if v.window >= start - self.seconds}
        count = self.counts[key] = _Count(start, previous)
        return count

    def hit(self, key: str, *, limit: int) -> None:
        moment = clock.now().timestamp()
        start = int(moment) // self.seconds * self.seconds
        count = self._count(key, start)
        count.unwritten += 1
        overlap = 1 - (moment - start) / self.seconds
        weighed = count.previous * overlap + count.known
        if count.shared > limit or weighed > limit:
            if count.shared <= limit:
                self._write_soon(key, count, limit)  # so other processes learn of it
            # The earliest moment the estimate falls back under the limit, within this window
            # (or at its end, when this window's own count is already over).
            over = count.known >= limit or not count.previous
            wait = self.seconds - (moment - start) if over else self._drain(count, limit, overlap)
            raise RateLimited(retry_after=max(1, int(wait) + 1))
        batch = min(FLUSH_MAX, max(1, (limit - max(count.shared, 0)) // 8))
        if count.unwritten >= batch:
            self._write_soon(key, count, limit)

    def _drain(self, count: _Count, limit: int, overlap: float) -> float:
        """Seconds until the previous window's weight has shrunk enough to let one through."""
        needed_overlap = (limit - count.known) / count.previous
        return (overlap - max(needed_overlap, 0.0)) * self.seconds

    def _write_soon(self, key: str, count: _Count, limit: int) -> None:
        if count.writing or not count.unwritten:
            return  # one write per key at a time; hits meanwhile go with the next
        count.writing, count.unwritten = count.unwritten, 0
        # A fresh context: the write must not run in the request's transaction.
        task = asyncio.get_running_loop().create_task(
            self._write(key, count), context=contextvars.Context()
        )
        self._writes.add(task)
        task.add_done_callback(self._writes.discard)

    async def _write(self, key: str, count: _Count) -> None:
        try:
            count.shared, _ = await ratelimit.count(
                f"{self.name}:{key}@{count.window}", window=self.window, cost=count.writing
            )
        except Exception:
            log.warning("rate limit %s: the shared count could not be written", self.name)
            count.unwritten += count.writing  # sent with the next write
        finally:
            count.writing = 0

    async def drain(self) -> None:
        """Wait for the writes under way (tests, shutdown)."""
        while self._writes:
            await asyncio.gather(*self._writes, return_exceptions=True)
