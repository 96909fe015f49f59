"""GPS tracks are kept CITYOPS_RETENTION_GPS_DAYS after their patrol ended (the daily
retention task). The patrol keeps its summary, distance, fix count and covered area: the
statistics read those, never the fixes of an ended patrol."""

from __future__ import annotations

import datetime as dt

from core.db import raw

_EXPIRE = (
    "DELETE FROM patrol_fix WHERE patrol IN "
    "(SELECT id FROM patrol WHERE state = 'ended' AND ended_at < {}) RETURNING id"
)


async def expire_tracks(*, before: dt.datetime) -> int:
    return len(await raw(_EXPIRE, before))
