"""The daily retention task (`cityops worker`, or the API process's in-process worker):
personal data past its period (CITYOPS_RETENTION_*) is removed. Every step is a plain
delete of rows past a cutoff, so two workers running it at once only find less to do."""

from __future__ import annotations

import datetime as dt
import logging

from cases import privacy as cases_privacy
from core import clock, periodic
from core.db import transaction
from core.settings import get_settings
from media import privacy as media_privacy
from notify import privacy as notify_privacy
from patrols.retention import expire_tracks
from qr.retention import expire_scans

log = logging.getLogger("cityops.privacy")
EVERY = 24 * 3600.0
_BATCH = 500


async def retention_tick() -> dict[str, int]:
    settings = get_settings()
    now = clock.now()

    def cutoff(days: int) -> dt.datetime:
        return now - dt.timedelta(days=days)

    removed = {}
    async with transaction():
        removed["scans"] = await expire_scans(before=cutoff(settings.retention_scan_days))
    async with transaction():
        removed["gpsFixes"] = await expire_tracks(before=cutoff(settings.retention_gps_days))
    async with transaction():
        removed["inbox"] = await notify_privacy.expire_inbox(
            before=cutoff(settings.retention_inbox_days)
        )
    removed["rejectedPhotos"] = 0
    while not periodic.stopping():  # batches, each its own transaction
        async with transaction():
            ids = await cases_privacy.release_rejected_photos(
                before=cutoff(settings.retention_rejected_photo_days), limit=_BATCH
            )
            removed["rejectedPhotos"] += await media_privacy.delete_photos(media_ids=ids)
        if len(ids) < _BATCH:
            break
    if any(removed.values()):
        log.info("retention: removed %s", removed)
    return removed
