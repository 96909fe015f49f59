"""The nearby index: every live place in process memory, searched without the database.

Layout (about 60 bytes of arrays plus the packed details per place, so 1,000,000 places fit
in well under 400 MB): the ``main`` segment holds numpy columns sorted by a cell key
(kind, 0.0025-degree latitude row, 0.0025-degree longitude column, ~250 m); a search turns
its circle into one key range per (kind, row) and binary-searches them. It starts with a
small circle and widens it only while fewer than ``limit`` places are found, so a query in
the dense centre touches hundreds of candidates, not the tens of thousands within 2 km.
Names, addresses, hours and attributes are msgpack records packed into one bytearray,
decoded only for the results.

Freshness: each write stamps the changed rows with the next value of the "places" version
stamp (places.service). A process asks the database for that stamp at most every
``places_index_check_seconds`` (at once after its own writes) and reads only the rows with
a newer revision into a small ``overlay`` segment that shadows the main one; past
``OVERLAY_MAX`` changed places the main segment is rebuilt. A new "places.epoch" (the
tables were emptied or restored) forces a rebuild too.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import gc
import secrets

import msgspec
import numpy as np

from core import clock
from core.db import raw
from core.settings import get_settings
from places.found import Found
from places.found import open_now as open_now_at
from places.segment import (
    ACCESSIBLE,
    STATUS_OPEN,
    Details,
    Segment,
    _encode,
    _flags,
    approx_distance,
    bearing,
    schedule_id,
)

STAMP, EPOCH = "places", "places.epoch"
FIRST_RADIUS_M = 250.0
CHUNK = 20_000
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
        self.overlay = _segment_of([], self.kind_ids, indexed=False)

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
        self.overlay = _segment_of(live, self.kind_ids, indexed=False)
        self.kind_codes = list(self.kind_ids)  # a kind created since the build
        self.version = version

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
        # Everything closer than r was looked at, so ``limit`` hits within r are the nearest.
        r = min(radius_m, FIRST_RADIUS_M)
        while True:
            hits = self._search(kind_ids, lat, lon, r, limit, accessible, open_now, now)
            if len(hits) >= limit or r >= radius_m:
                return hits
            r = min(radius_m, r * 4)

    def _search(
        self,
        kind_ids: list[int],
        lat: float,
        lon: float,
        radius_m: float,
        limit: int,
        accessible: bool,
        open_now: bool,
        now: dt.datetime,
    ) -> Found:
        need = (ACCESSIBLE if accessible else 0) | (STATUS_OPEN if open_now else 0)
        found = []
        for segment in (self.main, self.overlay):
            pos, lats, lons = segment.candidates(kind_ids, lat, lon, radius_m, need)
            if len(pos):
                dist = approx_distance(lat, lon, lats, lons)
                inside = dist <= radius_m
                found.append((segment, pos[inside], dist[inside]))
        if not found:
            return Found.empty()
        if len(found) == 1:  # the usual case: nothing changed since the last rebuild
            segments = np.zeros(len(found[0][1]), np.int8)
            positions, dists = found[0][1], found[0][2]
            ids = found[0][0].ids[positions]
        else:
            segments = np.concatenate(
                [np.full(len(p), i, np.int8) for i, (_, p, _) in enumerate(found)]
            )
            positions = np.concatenate([p for _, p, _ in found])
            dists = np.concatenate([d for _, _, d in found])
            ids = np.concatenate([s.ids[p] for s, p, _ in found])
        if not open_now and len(dists) > limit:
            top = np.argpartition(dists, limit - 1)[:limit]
            segments, positions, dists, ids = segments[top], positions[top], dists[top], ids[top]
        order = np.lexsort((ids, dists))
        result = Found.empty()
        # Build results a batch at a time: with openNow some candidates are dropped.
        step = limit if not open_now else max(limit * 2, 32)
        for start in range(0, len(order), step):
            sel = order[start : start + step]
            batch = self._found(found, segments[sel], positions[sel], dists[sel], lat, lon, now)
            if open_now:
                batch = batch.take([i for i, is_open in enumerate(batch.open_now) if is_open])
            result.extend(batch)
            if len(result) >= limit:
                return result.take(range(limit)) if len(result) > limit else result
        return result

    def _found(
        self,
        found,
        seg_of: np.ndarray,
        pos_of: np.ndarray,
        dists: np.ndarray,
        lat: float,
        lon: float,
        now: dt.datetime,
    ) -> Found:
        """A batch of candidates as columns, the arithmetic done on arrays at once."""
        names = ("lat", "lon", "d_lat", "d_lon", "ids", "kinds", "flags", "sched")
        if len(found) == 1:
            segment = found[0][0]
            cols = {name: getattr(segment, name)[pos_of] for name in names}
            keys = (pos_of + (segment.uid << 32)).tolist()
            sources = [(segment, pos) for pos in pos_of.tolist()]
        else:
            n = len(pos_of)
            cols = {name: np.empty(n, getattr(found[0][0], name).dtype) for name in names}
            key_col = np.empty(n, np.int64)
            sources = [None] * n
            for k, (segment, _, _) in enumerate(found):
                mask = seg_of == k
                if mask.any():
                    where = pos_of[mask]
                    for name, column in cols.items():
                        column[mask] = getattr(segment, name)[where]
                    key_col[mask] = where + (segment.uid << 32)
                    rows = np.flatnonzero(mask).tolist()
                    for i, pos in zip(rows, where.tolist(), strict=True):
                        sources[i] = (segment, pos)
            keys = key_col.tolist()
        minute = (now.date(), now.hour * 60 + now.minute)
        status_open = ((cols["flags"] & STATUS_OPEN) != 0).tolist()
        kind_codes = self.kind_codes
        return Found(
            keys=keys,
            ids=cols["ids"].tolist(),
            kinds=[kind_codes[k] for k in cols["kinds"].tolist()],
            lat=cols["lat"].tolist(),
            lon=cols["lon"].tolist(),
            gcj_lat=(cols["lat"] + cols["d_lat"]).tolist(),
            gcj_lon=(cols["lon"] + cols["d_lon"]).tolist(),
            distance_m=dists.tolist(),
            bearing_deg=bearing(lat, lon, cols["lat"], cols["lon"]).tolist(),
            open_now=[
                open_now_at(schedule, is_open, minute, now)
                for schedule, is_open in zip(cols["sched"].tolist(), status_open, strict=True)
            ],
            sources=sources,
        )


def _record(row: dict) -> tuple[bytes, int, int]:
    attributes = row["attributes"]
    if isinstance(attributes, str):
        attributes = msgspec.json.decode(attributes)
    details = Details(row["name"], row["address"], row["hours"], row["status"], attributes)
    return _encode(details), _flags(row["status"], attributes), schedule_id(row["hours"])


def _kind_id(kind_ids: dict[str, int], code: str) -> int:
    if code not in kind_ids:
        kind_ids[code] = len(kind_ids)
    return kind_ids[code]


def _segment_of(rows: list[dict], kind_ids: dict[str, int], *, indexed: bool) -> Segment:
    records, flags, sched = [], [], []
    for row in rows:
        record, flag, schedule = _record(row)
        records.append(record)
        flags.append(flag)
        sched.append(schedule)
    return Segment(
        [r["id"] for r in rows],
        [_kind_id(kind_ids, r["kind"]) for r in rows],
        [r["lat"] for r in rows],
        [r["lon"] for r in rows],
        flags,
        sched,
        records,
        None,
        indexed=indexed,
    )


_COLUMNS = "id, kind, lat, lon, name, address, hours, status, attributes, deleted"


async def build_index(epoch: int | None, version: int | None) -> PlaceIndex:
    """Stream the live places in chunks so the peak stays near the final size."""
    kind_rows = await raw("SELECT code FROM place_kinds ORDER BY sort_order, code")
    kind_ids: dict[str, int] = {}
    for row in kind_rows:
        _kind_id(kind_ids, row["code"])
    columns: dict[str, list[np.ndarray]] = {
        k: [] for k in ("ids", "kinds", "lat", "lon", "flags", "sched", "bounds")
    }
    blob = bytearray()
    last = 0
    while True:
        rows = await raw(
            f"SELECT {_COLUMNS} FROM place WHERE NOT deleted AND id > {{}} "  # noqa: S608
            "ORDER BY id LIMIT {}",
            last,
            CHUNK,
        )
        if not rows:
            break
        bounds, flags, sched = [], [], []
        for row in rows:
            record, flag, schedule = _record(row)
            bounds.append((len(blob), len(blob) + len(record)))
            blob += record
            flags.append(flag)
            sched.append(schedule)
        columns["ids"].append(np.fromiter((r["id"] for r in rows), np.int64, len(rows)))
        columns["kinds"].append(
            np.fromiter((_kind_id(kind_ids, r["kind"]) for r in rows), np.int16, len(rows))
        )
        columns["lat"].append(np.fromiter((r["lat"] for r in rows), np.float64, len(rows)))
        columns["lon"].append(np.fromiter((r["lon"] for r in rows), np.float64, len(rows)))
        columns["flags"].append(np.asarray(flags, dtype=np.uint8))
        columns["sched"].append(np.asarray(sched, dtype=np.int32))
        columns["bounds"].append(
            np.asarray(bounds, dtype=np.uint32 if len(blob) < 2**32 else np.uint64)
        )
        last = rows[-1]["id"]
        del rows
    if columns["ids"]:
        arrays = {k: np.concatenate(v) for k, v in columns.items()}
    else:
        arrays = {
            "ids": [],
            "kinds": [],
            "lat": [],
            "lon": [],
            "flags": [],
            "sched": [],
            "bounds": np.empty((0, 2), np.uint32),
        }
    columns.clear()
    main = Segment(
        arrays["ids"],
        arrays["kinds"],
        arrays["lat"],
        arrays["lon"],
        arrays["flags"],
        arrays["sched"],
        blob,
        arrays["bounds"],
        indexed=True,
    )
    return PlaceIndex(epoch, version, main, list(kind_ids))


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
        self.dirty = False
        self.lock: asyncio.Lock | None = None


_state = _State()


def invalidate() -> None:
    _state.dirty = True


def reset() -> None:
    """Forget the index (tests, the benchmark)."""
    _state.index, _state.next_check, _state.dirty = None, None, False


async def _built(epoch: int | None, version: int | None) -> PlaceIndex:
    index = await build_index(epoch, version)
    # What the process holds now mostly lives as long as it does; frozen, a full collection
    # no longer walks it (one took 110-150 ms with the index loaded, a p99 stall).
    gc.collect()
    gc.freeze()
    return index


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
    if state.lock is None:
        state.lock = asyncio.Lock()
    if state.lock.locked() and state.index is not None:
        return state.index  # another request refreshes; this one serves what we have
    async with state.lock:
        state.dirty = False
        epoch, version = await read_stamp()
        index = state.index
        if (
            index is None
            or epoch != index.epoch
            or version is None
            or (index.version is not None and version < index.version)
        ):
            state.index = index = await _built(epoch, version)
        elif index.version is None or version > index.version:
            for row in await raw("SELECT code FROM place_kinds ORDER BY sort_order, code"):
                _kind_id(index.kind_ids, row["code"])  # a kind added since the build
            rows = await raw(
                f"SELECT {_COLUMNS} FROM place WHERE revision > {{}} "  # noqa: S608
                "ORDER BY revision, id",
                index.version or 0,
            )
            if len(index.overlay_rows) + len(rows) > OVERLAY_MAX:
                state.index = await _built(epoch, version)
            else:
                index.apply(rows, version)
        state.next_check = clock.now() + dt.timedelta(
            seconds=get_settings().places_index_check_seconds
        )
        return state.index
