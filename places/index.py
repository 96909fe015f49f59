"""The nearby index: every live place in process memory, searched without the database.

Layout (about 60 bytes of arrays plus the packed details per place, so 1,000,000 places fit
in well under 400 MB): the ``main`` segment holds numpy columns sorted by a cell key
(kind, 0.0025-degree latitude row, 0.0025-degree longitude column, ~250 m); a search
(places/_kernel.c) turns its circle into one key range per (kind, row), rows nearest the
point first, and once it holds ``limit`` places the farthest of them narrows the rest. It
starts with a small circle and widens it only while fewer than ``limit`` places are found,
so a query in the dense centre touches hundreds of candidates, not the tens of thousands
within 2 km. Names, addresses, statuses and attributes are kept as the JSON the nearby list
prints, packed into one bytearray, and copied into the response as they are.

Freshness: each write stamps the changed rows with the next value of the "places" version
stamp (places.service). A process asks the database for that stamp at most every
``places_index_check_seconds`` (at once after its own writes) and reads only the rows with
a newer revision into a small ``overlay`` segment that shadows the main one; past
``OVERLAY_MAX`` changed places the main segment is rebuilt. A new "places.epoch" (the
tables were emptied or restored) forces a rebuild too. A serving process builds in a child
process (places.index_process), never on its own event loop.
"""

from __future__ import annotations

import asyncio
import contextvars
import datetime as dt
import gc
import itertools
import logging
import secrets
from typing import NamedTuple

import numpy as np

from core import clock
from core.db import raw
from core.settings import get_settings
from places.errors import IndexWarming
from places.found import Found
from places.index_process import build_apart
from places.packing import COLUMNS, kind_id, read_live, segment_of
from places.segment import ACCESSIBLE, STATUS_OPEN, Segment

log = logging.getLogger(__name__)
STAMP, EPOCH = "places", "places.epoch"
# Tells one state of an index from any other (a rebuild, each overlay applied): answers
# memoized on it (qr.service's scans) are current while it is.
_states = itertools.count(1)
FIRST_RADIUS_M = 250.0
OVERLAY_MAX = 10_000


class PlaceIndex:
    def __init__(
        self, epoch: int | None, version: int | None, main: Segment, kind_codes: list[str]
    ) -> None:
        self.epoch, self.version = epoch, version
        self.main = main
        self.kind_codes = kind_codes
        self.kind_ids = {code: i for i, code in enumerate(kind_codes)}
        self.overlay_rows: dict[int, dict | None] = {}
        self.overlay = segment_of([], self.kind_ids)
        self.state = next(_states)

    def __len__(self) -> int:
        return int(len(self.main) - self.main.dead.sum() + len(self.overlay))

    def apply(self, rows: list[dict], version: int) -> None:
        for row in rows:
            self.overlay_rows[row["id"]] = None if row["deleted"] else row
            pos = self.main.position(row["id"])
            if pos is not None:
                self.main.dead[pos] = True
                self.main.any_dead = True
        live = [row for row in self.overlay_rows.values() if row is not None]
        self.overlay = segment_of(live, self.kind_ids)
        self.kind_codes = list(self.kind_ids)  # a kind created since the build
        self.version = version
        self.state = next(_states)

    def search(
        self,
        *,
        lat: float,
        lon: float,
        kinds: list[str],
        radius_m: float,
        limit: int,
        accessible: bool = False,
        open_now: bool = False,
        now: dt.datetime | None = None,
    ) -> Found:
        """Places of ``kinds`` within ``radius_m`` of a WGS-84 point, nearest first (ties by
        id). ``now`` is the city's local time, for open-now."""
        kind_ids = list(dict.fromkeys(self.kind_ids[k] for k in kinds if k in self.kind_ids))
        if not kind_ids or limit <= 0:
            return Found.empty()
        now = now or clock.city_now()
        need = (ACCESSIBLE if accessible else 0) | (STATUS_OPEN if open_now else 0)
        # The overlay is empty until something changes after a rebuild: then skip it.
        segments = (self.main, self.overlay) if len(self.overlay) else (self.main,)
        keep = -1 if open_now else limit
        # Everything closer than r was looked at, so ``limit`` hits within r are the nearest.
        r = min(radius_m, FIRST_RADIUS_M)
        while True:
            found = [segment.nearest(kind_ids, lat, lon, r, need, keep) for segment in segments]
            # Without open-now every candidate is a hit, so they are counted before any
            # Found is made; with it, each candidate's hours decide.
            enough = open_now or sum(len(pos) for pos, _, _ in found) >= limit
            if enough or r >= radius_m:
                hits = self._hits(segments, found, (lat, lon), limit, open_now, now)
                if len(hits) >= limit or r >= radius_m:
                    return hits
            r = min(radius_m, r * 4)

    def _hits(
        self,
        segments: tuple[Segment, ...],
        found: list[tuple[np.ndarray, np.ndarray, list[int]]],
        origin: tuple[float, float],
        limit: int,
        open_now: bool,
        now: dt.datetime,
    ) -> Found:
        """The ``limit`` nearest of what each segment's search found (Segment.nearest)."""
        seg_of = None
        with_hits = [k for k, (pos, _, _) in enumerate(found) if len(pos)]
        if len(with_hits) <= 1:  # the usual case: one segment, nearest first already
            single = with_hits[0] if with_hits else 0
            positions, dists, hours = found[single]
        else:
            found = [(k, *found[k]) for k in with_hits]
            single = None
            seg_of = np.concatenate([np.full(len(p), k, np.int8) for k, p, _, _ in found])
            positions = np.concatenate([p for _, p, _, _ in found])
            dists = np.concatenate([d for _, _, d, _ in found])
            ids = np.concatenate([segments[k].ids[p] for k, p, _, _ in found])
            order = np.lexsort((ids, dists))
            seg_of, positions, dists = seg_of[order], positions[order], dists[order]
            every = [key for *_, keys in found for key in keys]
            hours = [every[i] for i in order.tolist()]

        def rows_of(rows: slice) -> Found:
            seg = None if seg_of is None else seg_of[rows]
            part = (positions[rows], dists[rows], hours[rows], origin, now)
            return Found.of(segments, self.kind_codes, single, seg, *part)

        if not open_now:
            return rows_of(slice(0, limit))
        # Open-now needs each candidate's hours: look at them a batch at a time, nearest first.
        batches = []
        step, kept = max(limit * 2, 32), 0
        for start in range(0, len(positions), step):
            batch = rows_of(slice(start, start + step))
            batch = batch.take(np.flatnonzero(batch.open_now == 1))
            batches.append(batch)
            kept += len(batch)
            if kept >= limit:
                break
        return Found.concat(batches).take(slice(0, limit))


async def build_index(epoch: int | None, version: int | None) -> PlaceIndex:
    """Every live place, read and packed in this process. This holds the event loop for
    seconds: a serving process builds through build_apart instead."""
    main, kind_codes = await read_live()
    return PlaceIndex(epoch, version, main, kind_codes)


# --- the stamp and the process-wide index ---------------------------------------------------


async def bump() -> int:
    """The next revision, in the transaction that changes places. The row lock on the stamp
    orders writers, so a reader that sees revision N sees every row stamped up to N."""
    await raw(
        "INSERT INTO version_stamp (name, version) VALUES ({}, {}) ON CONFLICT (name) DO NOTHING",
        EPOCH,
        secrets.randbelow(2**30) + 1,
    )
    rows = await raw(
        "INSERT INTO version_stamp (name, version) VALUES ({}, 1) "
        "ON CONFLICT (name) DO UPDATE SET version = version_stamp.version + 1 "
        "RETURNING version",
        STAMP,
    )
    _state.dirty = True
    return rows[0]["version"]


async def read_stamp() -> tuple[int | None, int | None]:
    rows = await raw("SELECT name, version FROM version_stamp WHERE name IN ({}, {})", STAMP, EPOCH)
    found = {row["name"]: row["version"] for row in rows}
    return found.get(EPOCH), found.get(STAMP)


class _State:
    def __init__(self) -> None:
        self.index: PlaceIndex | None = None
        self.next_check: dt.datetime | None = None
        self.checked_at: dt.datetime | None = None  # when the stamp was last read
        self.dirty = False
        self.lock: asyncio.Lock | None = None
        # Set by a serving process (start_background): builds run beside the requests.
        self.background = False
        self.build: asyncio.Task | None = None


_state = _State()


def invalidate() -> None:
    _state.dirty = True


def reset() -> None:
    """Forget the index (tests, the benchmark)."""
    _state.index, _state.next_check, _state.dirty = None, None, False
    _state.checked_at = None
    _state.background, _state.build = False, None


class Freshness(NamedTuple):
    revisions_behind: int | None  # None: this process has no index loaded yet
    seconds_since_check: float | None


async def freshness() -> Freshness:
    """How far this process's index is behind the database (place writes it has not
    applied) and how long ago it last looked: for /metrics, one read of the stamp."""
    index, checked = _state.index, _state.checked_at
    if index is None:
        return Freshness(None, None)
    epoch, version = await read_stamp()
    behind = (version or 0) - (index.version or 0) if epoch == index.epoch else (version or 0)
    since = None if checked is None else (clock.now() - checked).total_seconds()
    return Freshness(max(0, behind), since)


def start_background() -> None:
    """A serving process: build the index now, beside the requests, and from now on never
    make a request wait for a build (the first one, a restore's, or an overlay grown past
    OVERLAY_MAX). Until the first build is done ``ready()`` is False (/readyz answers 503,
    so a balancer sends the requests elsewhere) and a nearby search is refused at once
    (IndexWarming, 503) instead of waiting 10-30 s for 1,000,000 places; later rebuilds
    serve the previous index until the new one is done."""
    _state.background = True
    _rebuild_soon()


def ready() -> bool:
    return _state.index is not None or not _state.background


async def stop_background() -> None:
    build, _state.build = _state.build, None
    if build is not None:
        build.cancel()
        await asyncio.gather(build, return_exceptions=True)


def _rebuild_soon() -> None:
    if _state.build is not None and not _state.build.done():
        return

    async def build() -> None:
        try:
            epoch, version = await read_stamp()
            main, kind_codes = await build_apart()
            _state.index = PlaceIndex(epoch, version, main, kind_codes)
            # No gc.collect() first: walking the app's heap held the loop 150-600 ms, and the
            # child left this process next to no garbage.
            _frozen()
            _state.next_check = None  # look at the stamp again: edits made during the build
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # the database away, or not migrated yet: say it, no trace
            log.warning("the nearby index could not be built (%r); the next request retries", exc)
            _state.next_check = None

    # A fresh context: the build must not run in whatever transaction started it.
    _state.build = asyncio.get_running_loop().create_task(build(), context=contextvars.Context())


async def _built(epoch: int | None, version: int | None) -> PlaceIndex:
    index = await build_index(epoch, version)
    gc.collect()
    _frozen()
    return index


def _frozen() -> None:
    # What the process holds now mostly lives as long as it does; frozen, a full collection
    # no longer walks it (one took 110-150 ms with the index loaded, a p99 stall).
    gc.freeze()


async def current_index() -> PlaceIndex:
    state = _state
    now = clock.now()
    if (
        state.index is not None
        and not state.dirty
        and state.next_check is not None
        and now < state.next_check
    ):
        return state.index
    if state.background and state.index is None:
        _rebuild_soon()  # after a failed build
        raise IndexWarming()
    if state.lock is None:
        state.lock = asyncio.Lock()
    if state.lock.locked() and state.index is not None:
        return state.index  # another request refreshes; this one serves what we have
    async with state.lock:
        state.dirty = False
        epoch, version = await read_stamp()
        state.checked_at = clock.now()
        index = state.index
        if (
            index is None
            or epoch != index.epoch
            or version is None
            or (index.version is not None and version < index.version)
        ):
            if state.background and index is not None:
                _rebuild_soon()  # the restored tables: served from the old index meanwhile
                return index
            state.index = index = await _built(epoch, version)
        elif index.version is None or version > index.version:
            for row in await raw("SELECT code FROM place_kinds ORDER BY sort_order, code"):
                kind_id(index.kind_ids, row["code"])  # a kind added since the build
            rows = await raw(
                f"SELECT {COLUMNS} FROM place WHERE revision > {{}} "  # noqa: S608
                "ORDER BY revision, id",
                index.version or 0,
            )
            if len(index.overlay_rows) + len(rows) > OVERLAY_MAX and state.background:
                index.apply(rows, version)  # exact meanwhile, if slower
                _rebuild_soon()
            elif len(index.overlay_rows) + len(rows) > OVERLAY_MAX:
                state.index = await _built(epoch, version)
            else:
                index.apply(rows, version)
        state.next_check = clock.now() + dt.timedelta(
            seconds=get_settings().places_index_check_seconds
        )
        return state.index
