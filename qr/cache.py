"""Signposts as a scan sees them, from process memory: a scan is a person at a crossing
waiting for a page, and a database read per scan cost more than the rest of the answer.

Freshness follows the nearby index's way (places.index): every write to the ``signpost``
table moves the "signposts" version stamp in the writer's own transaction (a database
trigger, so the admin API, the raw-table admin UI, bulk imports and any other process are
all covered), and a process compares the stamp with the one its entries were read at at
most every ``CITYOPS_CACHE_CHECK_SECONDS``; a moved stamp empties the cache. The process
that made an edit forgets at once (``forget`` after its commit), so a code deleted or
withdrawn here is refused by the next scan, and by other processes within the check
interval. Edits are rare (a few a day), so emptying everything on one is cheaper than
tracking which rows changed.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any, TypeVar

from core.db import raw
from core.settings import get_settings
from qr.tables import Signpost

STAMP = "signposts"
T = TypeVar("T")
MAX_ENTRIES = 200_000  # a city has tens of thousands of signs; unknown codes are kept too


class _Cache:
    def __init__(self) -> None:
        self.entries: dict[str, Any] = {}
        self.version: int | None = None
        self.checked_at = float("-inf")


_cache = _Cache()


def forget() -> None:
    """Call after committing a change to signposts: this process sees it at once."""
    _cache.entries = {}
    _cache.checked_at = float("-inf")


async def _stamp() -> int | None:
    rows = await raw("SELECT version FROM version_stamp WHERE name = {}", STAMP)
    return rows[0]["version"] if rows else None


async def lookup(code: str, convert: Callable[[dict], T]) -> T | None:
    """``convert`` of the signpost row of a verified code, or None when no signpost carries
    it (kept too: a sticker nobody registered is scanned again)."""
    cache = _cache
    now = time.monotonic()
    if now - cache.checked_at >= get_settings().cache_check_seconds:
        # One check at a time: the requests meanwhile serve what is cached.
        cache.checked_at = now
        try:
            # Read before the rows: what is read after it is at least this new.
            version = await _stamp()
        except BaseException:
            cache.checked_at = float("-inf")
            raise
        if version != cache.version:
            cache.entries = {}
            cache.version = version
    entries = cache.entries
    if code in entries:
        return entries[code]
    row = await Signpost.select().where(Signpost.code == code).first()
    value = None if row is None else convert(row)
    if cache.entries is entries:  # not emptied by a newer stamp while this one was read
        if len(entries) >= MAX_ENTRIES:
            entries.clear()
        entries[code] = value
    return value
