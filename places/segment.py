"""The columns of the nearby index: places as numpy arrays sorted by a cell key, their
details packed as JSON records, and the geometry that searches them (see places.index)."""

from __future__ import annotations

import itertools
from typing import Any

import msgspec
import numpy as np

from places import _kernel
from places.navigation import gcj_offsets

# Cells of 0.0025 degrees (~280 m north-south, ~225 m east-west at Qingdao), their row and
# column numbers offset to be non-negative: places/_kernel.c searches by them.
CELL, _LAT_OFF, _LON_OFF = _kernel.CELL, _kernel.LAT_OFF, _kernel.LON_OFF
ACCESSIBLE, STATUS_OPEN = 1, _kernel.STATUS_OPEN


class Details(msgspec.Struct, frozen=True):
    name: str
    address: str
    hours: str
    status: str
    attributes: dict[str, Any]


_json = msgspec.json.Encoder().encode
_decode = msgspec.json.decode
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


def pack_record(name: str, address: str, status: str, attributes: dict) -> tuple[bytes, tuple]:
    """A place's record: its name, address, status and attributes as the JSON values the
    nearby list prints, back to back, and where the first three end. Hours are not kept here
    but as a schedule number (``sched``)."""
    pieces = (_json(name), _json(address), _json(status), _json(attributes))
    ends = tuple(itertools.accumulate(len(piece) for piece in pieces[:3]))
    if ends[-1] > 0xFFFF:
        raise ValueError("a place's name, address and status exceed 64 KiB")
    return b"".join(pieces), ends


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


def cell_keys(kind: np.ndarray, lat: np.ndarray, lon: np.ndarray) -> np.ndarray:
    rows = np.floor(lat / CELL).astype(np.int64) + _LAT_OFF
    cols = np.floor(lon / CELL).astype(np.int64) + _LON_OFF
    return (kind.astype(np.int64) << 40) | (rows << 20) | cols


def _flags(status: str, attributes: dict) -> int:
    return (ACCESSIBLE if attributes.get("accessible") is True else 0) | (
        STATUS_OPEN if status == "open" else 0
    )


_PER_PLACE = ("ids", "kinds", "lat", "lon", "flags", "sched", "bounds", "cuts")
_DTYPES = {
    "ids": np.int64,
    "kinds": np.int16,
    "lat": np.float64,
    "lon": np.float64,
    "flags": np.uint8,
    "sched": np.int32,
}
# A sorted segment's columns, as places.index_process hands them from its child.
SORTED_COLUMNS = ("keys", *_PER_PLACE, "d_lat", "d_lon", "by_id", "sorted_ids")
_OFFSET_CHUNK = 65_536


def _gcj_offsets32(lat: np.ndarray, lon: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """GCJ-02 offsets as float32, a chunk at a time: the float64 formula's temporaries for a
    million places at once were tens of megabytes."""
    d_lat, d_lon = np.empty(len(lat), np.float32), np.empty(len(lat), np.float32)
    for start in range(0, len(lat), _OFFSET_CHUNK):
        part = slice(start, start + _OFFSET_CHUNK)
        d_lat[part], d_lon[part] = gcj_offsets(lat[part], lon[part])
    return d_lat, d_lon


class Segment:
    """Columns of places sorted by ``keys``, the cell key."""

    def __init__(self, columns: dict[str, Any], records: bytearray) -> None:
        """``columns``: ids, kinds, lat, lon, flags, sched, bounds ((n, 2): where each
        place's record starts and ends) and cuts ((n, 3): where its name, address and status
        end in the record). The dict is emptied as each column is sorted, so the unsorted
        one is freed at once: with a million places, holding both set the process's peak."""
        for name, dtype in _DTYPES.items():
            columns[name] = np.asarray(columns[name], dtype=dtype)
        keys = cell_keys(columns["kinds"], columns["lat"], columns["lon"])
        order = np.argsort(keys, kind="stable")
        self.keys = keys[order]
        del keys
        for name in _PER_PLACE:
            setattr(self, name, columns.pop(name)[order])
        del order
        self.d_lat, self.d_lon = _gcj_offsets32(self.lat, self.lon)
        self.records = records
        self.by_id = np.argsort(self.ids).astype(np.int32)
        self.sorted_ids = self.ids[self.by_id]
        self._unmarked()

    @classmethod
    def sorted(cls, columns: dict[str, Any]) -> Segment:
        """A segment of columns already sorted and worked out by another process
        (SORTED_COLUMNS and records, read-only arrays are fine)."""
        segment = cls.__new__(cls)
        for name in SORTED_COLUMNS:
            setattr(segment, name, columns[name])
        segment.records = columns["records"]
        segment._unmarked()
        return segment

    def _unmarked(self) -> None:
        self.dead = np.zeros(len(self.ids), dtype=bool)  # places the overlay shadows
        self.any_dead = False

    def __len__(self) -> int:
        return len(self.ids)

    def details(self, pos: int) -> Details:
        start, end = self.bounds[pos].tolist()
        a, b, c = self.cuts[pos].tolist()
        record = bytes(self.records[start:end])
        name, address, status, attributes = record[:a], record[a:b], record[b:c], record[c:]
        return Details(
            name=_decode(name),
            address=_decode(address),
            hours=schedules[self.sched[pos]],
            status=_decode(status),
            attributes=_decode(attributes),
        )

    def position(self, place_id: int) -> int | None:
        at = int(np.searchsorted(self.sorted_ids, place_id))
        if at < len(self.sorted_ids) and self.sorted_ids[at] == place_id:
            return int(self.by_id[at])
        return None

    def nearest(
        self, kinds: list[int], lat: float, lon: float, radius: float, need: int, limit: int
    ) -> tuple[np.ndarray, np.ndarray, list[int]]:
        """Positions, distances (m) and hours keys (places.found.open_now_column) of the
        ``limit`` nearest places (all when negative) of ``kinds`` within ``radius`` whose
        flags include ``need``, nearest first, ties by id."""
        if not len(self.ids):
            return np.empty(0, np.int64), np.empty(0), []
        positions, distances, hours = _kernel.nearest(
            self.keys,
            self.lat,
            self.lon,
            self.flags,
            self.dead if self.any_dead else None,
            self.ids,
            self.sched,
            kinds,
            lat,
            lon,
            radius,
            need,
            limit,
        )
        return np.frombuffer(positions, np.int64), np.frombuffer(distances, np.float64), hours
