"""A rate limit shared by all processes (core.ratelimit's database counters) without a
database write on every request: each process counts locally and adds its count to the
shared counter on the first hit of each window and then whenever its unwritten hits reach
an eighth of the headroom the client had left at the last write (at most FLUSH_MAX). Far
from the limit a write covers many requests; near it, every request is written. A client
can overshoot by at most that eighth per process; the public nearby search gets a read path
that almost never waits on a write in exchange."""

from __future__ import annotations

import datetime as dt

from core import clock, ratelimit
from core.errors import RateLimited

FLUSH_MAX = 1000
_MAX_KEYS = 50_000


class BatchedLimiter:
    def __init__(self, name: str, *, window: dt.timedelta = dt.timedelta(minutes=1)) -> None:
        self.name = name
        self.window = window
        self.seconds = int(window.total_seconds())
        # key -> [window start, hits not yet written, shared total at the last write]
        self.counts: dict[str, list[int]] = {}

    async def hit(self, key: str, *, limit: int) -> None:
        now = int(clock.now().timestamp())
        start = now // self.seconds * self.seconds
        entry = self.counts.get(key)
        if entry is None or entry[0] != start:
            if len(self.counts) > _MAX_KEYS:
                self.counts = {k: v for k, v in self.counts.items() if v[0] == start}
            entry = self.counts[key] = [start, 0, -1]
        entry[1] += 1
        if entry[2] > limit:  # already refused in this window: no need to ask again
            raise RateLimited(retry_after=max(1, start + self.seconds - now))
        batch = min(FLUSH_MAX, max(1, (limit - entry[2]) // 8))
        if entry[2] < 0 or entry[1] >= batch or entry[2] + entry[1] > limit:
            pending, entry[1] = entry[1], 0
            try:
                entry[2] = await ratelimit.hit(
                    f"{self.name}:{key}", limit=limit, window=self.window, cost=pending
                )
            except RateLimited:
                entry[2] = limit + 1
                raise
