"""The daily digest of watch areas: once a day, from CITYOPS_WATCH_DIGEST_HOUR (city time),
each citizen with waiting digest hits (cases.watch) gets one notification counting them.

Once per citizen and day, however often the task runs and in however many workers: the
notification's dedupe key names the citizen and the city date, so a second run (or a
racing worker, which waits on the first one's insert) enqueues nothing and leaves the hits
alone; only the run that enqueued marks the hits it counted. Hits that arrive after the
day's digest wait for the next one."""

from __future__ import annotations

from cases.tables import WatchHit
from core import clock
from core.db import transaction
from core.settings import get_settings
from notify.service import enqueue

TEMPLATE = "watch.digest"
# Case numbers listed in one digest; the count covers them all.
LISTED = 5


async def send_digests() -> int:
    """Enqueue today's digests that are due; the number enqueued."""
    now = clock.city_now()
    if now.hour < get_settings().watch_digest_hour:
        return 0
    day = now.date().isoformat()
    sent = 0
    async with transaction():
        rows = await (
            WatchHit.select(WatchHit.id, WatchHit.citizen_id, WatchHit.case.number)
            .where(WatchHit.digest.eq(True) & WatchHit.digested_at.is_null())
            .order_by(WatchHit.id)
        )
        waiting: dict[int, list[dict]] = {}
        for row in rows:
            waiting.setdefault(row["citizen_id"], []).append(row)
        for citizen_id, hits in waiting.items():
            numbers = [hit["case.number"] for hit in hits]
            enqueued = await enqueue(
                recipient_kind="citizen",
                recipient_id=citizen_id,
                template=TEMPLATE,
                params={
                    "count": len(hits),
                    "numbers": "、".join(numbers[:LISTED]),
                    "date": day,
                },
                dedupe_key=f"watch-digest:{citizen_id}:{day}",
            )
            if enqueued:
                sent += 1
                await WatchHit.update({WatchHit.digested_at: clock.now()}).where(
                    WatchHit.id.is_in([hit["id"] for hit in hits])
                )
    return sent
