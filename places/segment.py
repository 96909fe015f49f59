"""The columns of the nearby index: places as numpy arrays sorted by a cell key, their
details packed as msgpack records, and the geometry that searches them (see places.index)."""

from __future__ import annotations

import itertools
import math
from typing import Any

import msgspec
import numpy as np

from places.navigation import gcj_offsets

CELL = 0.0025  # degrees: ~280 m north-south, ~225 m east-west at Qingdao
_LAT_OFF, _LON_OFF = 36_000, 72_000  # cell indices made non-negative
_MAX_CELL = 2**20 - 1
EARTH_RADIUS_M = 6371008.8
M_PER_DEG = EARTH_RADIUS_M * math.pi / 180
ACCESSIBLE, STATUS_OPEN = 1, 2


class Details(msgspec.Struct, array_like=True, frozen=True):
    name: str
    address: str
    hours: str
    status: str
    attributes: dict[str, Any]


_encode = msgspec.msgpack.Encoder().encode
# Opening hours by number, process-wide: a city has few distinct schedules, so open-now is
# worked out once per schedule and minute, without decoding the places' records.
_schedule_ids: dict[str, int] = {}
schedules: list[str] = []


def schedule_id(hours: str) -> int:
    found = _schedule_ids.get(hours)
    if found is None:
        found = _schedule_ids[hours] = len(schedules)
        schedules.append(hours)
    return found


_decode = msgspec.msgpack.Decoder(Details).decode


class Hit(msgspec.Struct, frozen=True, kw_only=True):
    id: int
    kind: str
    lat: float  # WGS-84
    lon: float
    gcj_lat: float
    gcj_lon: float
    distance_m: float
    bearing_deg: float
    open_now: bool | None
    details: Details
    # Equal keys mean the same record of the same index segment, so a rendering of the
    # place may be cached under it: an edit lands in a new segment under a new key.
    key: int


def cell_keys(kind: np.ndarray, lat: np.ndarray, lon: np.ndarray) -> np.ndarray:
    rows = np.floor(lat / CELL).astype(np.int64) + _LAT_OFF
    cols = np.floor(lon / CELL).astype(np.int64) + _LON_OFF
    return (kind.astype(np.int64) << 40) | (rows << 20) | cols


def _flags(status: str, attributes: dict) -> int:
    return (ACCESSIBLE if attributes.get("accessible") is True else 0) | (
        STATUS_OPEN if status == "open" else 0
    )


_segment_uids = itertools.count(1)


class Segment:
    """Columns of places; ``keys`` sorted when ``indexed`` (the main segment)."""

    def __init__(
        self,
        ids,
        kinds,
        lat,
        lon,
        flags,
        sched,
        records: list[bytes] | bytearray,
        bounds: np.ndarray | None,
        *,
        indexed: bool,
    ) -> None:
        self.uid = next(_segment_uids)
        self.ids = np.asarray(ids, dtype=np.int64)
        self.kinds = np.asarray(kinds, dtype=np.int16)
        self.lat = np.asarray(lat, dtype=np.float64)
        self.lon = np.asarray(lon, dtype=np.float64)
        self.flags = np.asarray(flags, dtype=np.uint8)
        self.sched = np.asarray(sched, dtype=np.int32)
        d_lat, d_lon = gcj_offsets(self.lat, self.lon)
        self.d_lat, self.d_lon = d_lat.astype(np.float32), d_lon.astype(np.float32)
        self.records = records
        self.bounds = bounds  # (n, 2) start/end in records when packed
        self.keys = None
        if indexed and len(self.ids):
            keys = cell_keys(self.kinds, self.lat, self.lon)
            order = np.argsort(keys, kind="stable")
            self.keys = keys[order]
            for name in ("ids", "kinds", "lat", "lon", "flags", "sched", "d_lat", "d_lon"):
                setattr(self, name, getattr(self, name)[order])
            if self.bounds is not None:
                self.bounds = self.bounds[order]
            else:
                self.records = [self.records[i] for i in order.tolist()]
            self.by_id = np.argsort(self.ids).astype(np.int32)
            self.sorted_ids = self.ids[self.by_id]
        self.dead = np.zeros(len(self.ids), dtype=bool)
        self.any_dead = False

    def __len__(self) -> int:
        return len(self.ids)

    def record(self, pos: int) -> Details:
        if self.bounds is None:
            return _decode(self.records[pos])
        start, end = self.bounds[pos]
        return _decode(memoryview(self.records)[start:end])

    def records_at(self, positions: np.ndarray) -> list[Details]:
        if self.bounds is None:
            return [_decode(self.records[pos]) for pos in positions.tolist()]
        view = memoryview(self.records)
        return [_decode(view[start:end]) for start, end in self.bounds[positions].tolist()]

    def position(self, place_id: int) -> int | None:
        if self.keys is None:
            return None
        at = int(np.searchsorted(self.sorted_ids, place_id))
        if at < len(self.sorted_ids) and self.sorted_ids[at] == place_id:
            return int(self.by_id[at])
        return None

    def candidates(
        self, kinds: list[int], lat: float, lon: float, radius: float, need: int
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Positions (and their lat, lon) of places of ``kinds`` in the circle's bounding
        box whose flags include ``need``."""
        if not len(self.ids):
            return _EMPTY
        d_lat = radius / M_PER_DEG
        cos = max(math.cos(math.radians(min(89.9, abs(lat) + d_lat))), 1e-3)
        d_lon = radius / (M_PER_DEG * cos)
        if self.keys is not None:
            r0 = max(math.floor((lat - d_lat) / CELL) + _LAT_OFF, 0)
            r1 = min(math.floor((lat + d_lat) / CELL) + _LAT_OFF, _MAX_CELL)
            c0 = max(math.floor((lon - d_lon) / CELL) + _LON_OFF, 0)
            c1 = min(math.floor((lon + d_lon) / CELL) + _LON_OFF, _MAX_CELL)
            rows = np.arange(r0, r1 + 1, dtype=np.int64) << 20
            base = np.concatenate([rows | (kind << 40) for kind in kinds])
            lo = np.searchsorted(self.keys, base | c0, "left").tolist()
            hi = np.searchsorted(self.keys, base | c1, "right").tolist()
            ranges = [(a, b) for a, b in zip(lo, hi, strict=True) if b > a]
            if not ranges:
                return _EMPTY
            if len(ranges) == 1:
                pos = np.arange(*ranges[0])
            else:
                pos = np.concatenate([np.arange(a, b) for a, b in ranges])
            keep = None if not self.any_dead else ~self.dead[pos]
        else:
            pos = np.arange(len(self.ids))
            keep = np.isin(self.kinds, kinds)
        if need:
            ok = (self.flags[pos] & need) == need
            keep = ok if keep is None else keep & ok
        if keep is not None:
            pos = pos[keep]
        lats, lons = self.lat[pos], self.lon[pos]
        # Rows already bound latitude; columns bound longitude to within a cell, the exact
        # circle test follows in the caller.
        return pos, lats, lons


_EMPTY = (np.empty(0, dtype=np.int64), np.empty(0), np.empty(0))


def approx_distance(lat: float, lon: float, lats: np.ndarray, lons: np.ndarray) -> np.ndarray:
    """Equirectangular distance with the mean latitude of each pair: within millimetres of
    the great circle at 5 km, and several times cheaper than haversine."""
    y = (lats - lat) * M_PER_DEG
    x = (lons - lon) * M_PER_DEG * np.cos(np.radians((lats + lat) * 0.5))
    return np.sqrt(x * x + y * y)


def bearing(lat: float, lon: float, lats: np.ndarray, lons: np.ndarray) -> np.ndarray:
    """Initial bearing (degrees clockwise from north) on the plane of ``approx_distance``:
    within a few hundredths of a degree of the great-circle bearing at 5 km."""
    y = lats - lat
    x = (lons - lon) * np.cos(np.radians((lats + lat) * 0.5))
    return np.degrees(np.arctan2(x, y)) % 360.0
