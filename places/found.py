"""What one nearby search found: rows of the index's segments, nearest first. The citizen API
prints its list from the segments' columns at those rows, without an object per place;
other callers take Hits by index or iteration."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator, Sequence

import numpy as np

from places import _kernel
from places.hours import parse_hours
from places.segment import Hit, Segment, schedules

OPEN, CLOSED, UNKNOWN = 1, 0, -1
_AS_BOOL = {OPEN: True, CLOSED: False, UNKNOWN: None}


class Found:
    """Rows ``pos`` of ``segments[seg[i]]``, nearest first; ``seg`` is None when all rows are
    in one segment, ``segments[single]`` (the usual case). ``open_now`` holds OPEN, CLOSED or
    UNKNOWN. The nearby list is printed from the segments' columns at those rows
    (api.citizen.place_views); other callers take Hits."""

    __slots__ = (
        "segments",
        "kind_codes",
        "origin",
        "single",
        "seg",
        "pos",
        "distance_m",
        "open_now",
    )
    _ROWS = ("seg", "pos", "distance_m", "open_now")

    def __init__(
        self,
        segments: Sequence[Segment],
        kind_codes: list[str],
        origin: tuple[float, float],
        single: int | None,
        *,
        seg: np.ndarray | None,
        pos: np.ndarray,
        distance_m: np.ndarray,
        open_now: np.ndarray,
    ) -> None:
        # ``origin``: the WGS-84 point searched around, which bearings are from; ``kind_codes``
        # names the segments' kind numbers.
        self.segments, self.kind_codes, self.origin = segments, kind_codes, origin
        self.single, self.seg, self.pos = single, seg, pos
        self.distance_m, self.open_now = distance_m, open_now

    @classmethod
    def empty(cls) -> Found:
        empty = {name: np.empty(0, np.int64) for name in cls._ROWS}
        return cls((), [], (0.0, 0.0), None, **empty)  # no segment: ``seg`` says so

    @classmethod
    def of(
        cls,
        segments: Sequence[Segment],
        kind_codes: list[str],
        single: int | None,
        seg: np.ndarray | None,
        pos: np.ndarray,
        dists: np.ndarray,
        hours: list[int],
        origin: tuple[float, float],
        now: dt.datetime,
    ) -> Found:
        """Rows in the order given with their hours keys (Segment.nearest); ``now`` is the
        city's local time, for open-now."""
        open_now = open_now_column(hours, now)
        return cls(
            segments,
            kind_codes,
            origin,
            single,
            seg=seg,
            pos=pos,
            distance_m=dists,
            open_now=open_now,
        )

    def __len__(self) -> int:
        return len(self.pos)

    def take(self, rows: np.ndarray | slice) -> Found:
        picked = {name: _pick(getattr(self, name), rows) for name in self._ROWS}
        return Found(self.segments, self.kind_codes, self.origin, self.single, **picked)

    @classmethod
    def concat(cls, parts: list[Found]) -> Found:
        parts = [part for part in parts if len(part)]
        if not parts:
            return cls.empty()
        # Parts of one search: the same segments, and all in one segment or none.
        first = parts[0]
        rows = {name: np.concatenate([getattr(p, name) for p in parts]) for name in cls._ROWS[1:]}
        rows["seg"] = None if first.single is not None else np.concatenate([p.seg for p in parts])
        return Found(first.segments, first.kind_codes, first.origin, first.single, **rows)

    def by_segment(self) -> Iterator[tuple[Segment, np.ndarray]]:
        """Each segment with the rows in it, for rows drawn from several (``seg`` is set)."""
        if self.seg is None:
            raise ValueError("all rows are in segments[single]")
        for k, segment in enumerate(self.segments):
            rows = np.flatnonzero(self.seg == k)
            if len(rows):
                yield segment, rows

    def hit(self, i: int) -> Hit:
        k = self.single if self.seg is None else int(self.seg[i])
        segment, pos = self.segments[k], int(self.pos[i])
        lat, lon = float(segment.lat[pos]), float(segment.lon[pos])
        return Hit(
            id=int(segment.ids[pos]),
            kind=self.kind_codes[int(segment.kinds[pos])],
            lat=lat,
            lon=lon,
            gcj_lat=lat + float(segment.d_lat[pos]),
            gcj_lon=lon + float(segment.d_lon[pos]),
            distance_m=float(self.distance_m[i]),
            bearing_deg=_kernel.bearing(*self.origin, lat, lon),
            open_now=_AS_BOOL[int(self.open_now[i])],
            details=segment.details(pos),
        )

    def __getitem__(self, i: int | slice) -> Hit | list[Hit]:
        if isinstance(i, slice):
            return [self.hit(j) for j in range(*i.indices(len(self)))]
        return self.hit(range(len(self))[i])

    def __iter__(self) -> Iterator[Hit]:
        return (self.hit(i) for i in range(len(self)))


def _pick(column: np.ndarray | None, rows: np.ndarray | slice) -> np.ndarray | None:
    return None if column is None else column[rows]


class _OpenNowMemo:
    """Open-now by (schedule, status) for the current minute: schedules are minute-grained,
    so one answer per minute is exact, and a city has few distinct schedules."""

    def __init__(self) -> None:
        self.minute: tuple | None = None
        self.answers: dict[int, int] = {}

    def column(self, hours: list[int], now: dt.datetime) -> np.ndarray:
        """``hours``: a key per row, its schedule number times two plus one if its status is
        open (Segment.nearest), cheaper to look up than a tuple."""
        minute = (now.date(), now.hour, now.minute)
        if minute != self.minute or len(self.answers) > 8192:
            self.minute, self.answers = minute, {}
        answers = self.answers
        try:
            return np.array([answers[key] for key in hours], np.int8)
        except KeyError:  # a schedule not yet seen this minute
            for key in hours:
                if key not in answers:
                    answers[key] = _open_now(key >> 1, bool(key & 1), now)
            return np.array([answers[key] for key in hours], np.int8)


open_now_column = _OpenNowMemo().column


def _open_now(schedule: int, status_open: bool, now: dt.datetime) -> int:
    if not status_open:
        return CLOSED
    hours = parse_hours(schedules[schedule])
    if hours is None:
        return UNKNOWN
    return OPEN if hours.is_open(now) else CLOSED
