"""Per-process caches of rarely changed rows (categories, calendar overrides, SLA policies),
trusted for CITYOPS_CACHE_CHECK_SECONDS: an edit reaches every other process within that,
and the process that made it forgets at once (``clear``)."""

from __future__ import annotations

import time
import weakref
from collections.abc import Awaitable, Callable, Hashable
from typing import Generic, TypeVar

from core.settings import get_settings

T = TypeVar("T")
_MISSING = object()
_instances: weakref.WeakSet[TtlCache] = weakref.WeakSet()


def clear_all() -> None:
    """Forget every cache: after the rows under them were replaced wholesale (a restore, a
    test's emptied database), not even the check interval may serve the old ones."""
    for cache in list(_instances):
        cache.clear()


class TtlCache(Generic[T]):
    def __init__(self, max_entries: int = 10_000) -> None:
        self._entries: dict[Hashable, tuple[float, T]] = {}
        self._max_entries = max_entries
        _instances.add(self)

    async def get(self, key: Hashable, load: Callable[[], Awaitable[T]]) -> T:
        now = time.monotonic()
        hit = self._entries.get(key, _MISSING)
        if hit is not _MISSING and now - hit[0] < get_settings().cache_check_seconds:
            return hit[1]
        value = await load()
        if len(self._entries) >= self._max_entries:
            self._entries.clear()
        self._entries[key] = (now, value)
        return value

    def clear(self) -> None:
        self._entries.clear()
