"""What one nearby search found, as columns: the citizen API renders its list straight from
them (no object per place on the hot path); other callers take Hits by index or iteration."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

from places.hours import parse_hours
from places.segment import Details, Hit, schedules


class Found:
    __slots__ = (
        "keys",
        "ids",
        "kinds",
        "lat",
        "lon",
        "gcj_lat",
        "gcj_lon",
        "distance_m",
        "bearing_deg",
        "open_now",
        "sources",
    )

    def __init__(self, **columns: list) -> None:
        for name in self.__slots__:
            setattr(self, name, columns[name])

    @classmethod
    def empty(cls) -> Found:
        return cls(**{name: [] for name in cls.__slots__})

    def __len__(self) -> int:
        return len(self.ids)

    def details(self, i: int) -> Details:
        segment, pos = self.sources[i]
        return segment.record(pos)

    def hit(self, i: int) -> Hit:
        return Hit(
            id=self.ids[i],
            kind=self.kinds[i],
            lat=self.lat[i],
            lon=self.lon[i],
            gcj_lat=self.gcj_lat[i],
            gcj_lon=self.gcj_lon[i],
            distance_m=self.distance_m[i],
            bearing_deg=self.bearing_deg[i],
            open_now=self.open_now[i],
            details=self.details(i),
            key=self.keys[i],
        )

    def __getitem__(self, i: int | slice) -> Hit | list[Hit]:
        if isinstance(i, slice):
            return [self.hit(j) for j in range(*i.indices(len(self)))]
        return self.hit(range(len(self))[i])

    def __iter__(self) -> Iterator[Hit]:
        return (self.hit(i) for i in range(len(self)))

    def take(self, rows: list[int] | range) -> Found:
        return Found(**{name: [getattr(self, name)[i] for i in rows] for name in self.__slots__})

    def extend(self, other: Found) -> None:
        for name in self.__slots__:
            getattr(self, name).extend(getattr(other, name))


_open_now_memo: dict[tuple[int, bool, tuple], bool | None] = {}


def open_now(schedule: int, status_open: bool, minute: tuple, now: dt.datetime) -> bool | None:
    """Schedules are minute-grained, so one answer per (schedule, minute) is exact; ``now``
    is the city's local time and ``minute`` its (date, minute of day)."""
    key = (schedule, status_open, minute)
    found = _open_now_memo.get(key, _open_now_memo)
    if found is not _open_now_memo:
        return found
    if len(_open_now_memo) > 8192:
        _open_now_memo.clear()
    hours = parse_hours(schedules[schedule])
    result = False if not status_open else (None if hours is None else hours.is_open(now))
    _open_now_memo[key] = result
    return result
