"""Housekeeping of stored photo files.

An upload stores its files before the row that points at them commits (decoding must not
hold the write lock, see ``service.prepare_upload``), so a process that dies in between, or
a transaction that rolls back, leaves files no row points at; a process killed in the middle
of a write leaves a temporary file. Neither is ever served. The sweep removes both once they
are older than any upload can take, and never a file a row points at: files are
content-addressed, so a later upload of the same photo reuses (and rewrites) them.
"""

from __future__ import annotations

import datetime as dt
import logging

from core import clock, periodic
from core.settings import get_settings
from media.storage import MediaStorage, get_storage
from media.tables import Media

log = logging.getLogger("cityops.media")

# Far longer than an upload takes from storing its files to committing its row.
ORPHAN_GRACE = dt.timedelta(hours=1)
_CHUNK = 500


async def sweep_unattached(*, older_than: dt.timedelta | None = None) -> int:
    """Delete photos no report or record took within CITYOPS_MEDIA_UNATTACHED_TTL_HOURS.
    Their files go with the next orphan sweep (an upload of the same photo meanwhile
    rewrites them, which keeps them). Taking a photo is a conditional update on the same
    rows, so a photo is either taken or deleted, never both."""
    hours = get_settings().media_unattached_ttl_hours
    cutoff = clock.now() - (older_than or dt.timedelta(hours=hours))
    gone = (
        await Media.delete()
        .where(Media.attached_to.is_null() & (Media.uploaded_at < cutoff))
        .returning(Media.id)
    )
    if gone:
        log.info("media sweep: removed %d photos nothing took", len(gone))
    return len(gone)


async def sweep_orphan_files(
    *, grace: dt.timedelta = ORPHAN_GRACE, storage: MediaStorage | None = None
) -> int:
    """Delete stored files older than ``grace`` that no media row points at, and stale
    temporary files; returns how many files went. Safe in several processes at once."""
    storage = storage or get_storage()
    moment = clock.now() - grace
    removed = await storage.discard_partial_writes(moment)
    candidates = await storage.written_before(moment)
    for start in range(0, len(candidates), _CHUNK):
        if periodic.stopping():  # the next sweep takes the rest
            break
        chunk = candidates[start : start + _CHUNK]
        rows = await Media.select(Media.display_key, Media.thumb_key).where(
            Media.display_key.is_in(chunk) | Media.thumb_key.is_in(chunk)
        )
        used = {key for row in rows for key in (row["display_key"], row["thumb_key"])}
        for key in chunk:
            # Checked again just before deleting: an upload may have stored it meanwhile.
            if key not in used and await storage.delete_if_written_before(key, moment):
                removed += 1
    if removed:
        log.info("media sweep: removed %d orphaned files", removed)
    return removed
