"""Opening hours: a small subset of the OpenStreetMap ``opening_hours`` syntax, one string.

    24/7
    Mo-Fr 07:00-21:00; Sa,Su 08:00-18:00
    06:00-22:00; 2026-10-01 off; 2026-10-02 09:00-12:00
    Fr,Sa 18:00-02:00          (past midnight: the span runs into the next day)

Rules are separated by ``;``; a later weekday rule replaces an earlier one for its days (as
in OSM), and a dated exception replaces the weekly schedule for that date. Open-now is
decided in the city's time zone by the caller.
"""

from __future__ import annotations

import datetime as dt
import re
from functools import lru_cache

import msgspec

from places.errors import InvalidHours

DAYS = ("Mo", "Tu", "We", "Th", "Fr", "Sa", "Su")
_TIME = re.compile(r"^([01]\d|2[0-4]):([0-5]\d)$")
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
Span = tuple[int, int]  # minutes from midnight; end > 1440 spills into the next day


class Hours(msgspec.Struct, frozen=True):
    always: bool
    weekly: tuple[tuple[Span, ...], ...]  # Monday first
    exceptions: dict[str, tuple[Span, ...]]  # ISO date -> spans (empty: closed)

    def is_open(self, moment: dt.datetime) -> bool:
        """``moment`` in the city's time zone."""
        if self.always:
            return True
        minute = moment.hour * 60 + moment.minute
        day = moment.date()
        if any(start <= minute < end for start, end in self._spans(day)):
            return True
        # A span of yesterday that runs past midnight.
        return any(
            end > 1440 and minute < end - 1440 for _, end in self._spans(day - dt.timedelta(days=1))
        )

    def _spans(self, day: dt.date) -> tuple[Span, ...]:
        spans = self.exceptions.get(day.isoformat())
        return spans if spans is not None else self.weekly[day.weekday()]


def _minutes(text: str) -> int:
    match = _TIME.match(text)
    if not match or (match.group(1) == "24" and match.group(2) != "00"):
        raise InvalidHours(reason=f"{text!r} is not a time HH:MM")
    return int(match.group(1)) * 60 + int(match.group(2))


def _spans(text: str) -> tuple[Span, ...]:
    if text.lower() in ("off", "closed"):
        return ()
    spans = []
    for part in text.split(","):
        start_text, sep, end_text = part.strip().partition("-")
        if not sep:
            raise InvalidHours(reason=f"{part.strip()!r} is not a range HH:MM-HH:MM")
        start, end = _minutes(start_text.strip()), _minutes(end_text.strip())
        if start >= 1440:
            raise InvalidHours(reason="a range cannot start at 24:00")
        if end <= start:
            end += 1440  # 18:00-02:00 runs into the next day
        if end == start + 1440 and start != 0:
            raise InvalidHours(reason=f"{part.strip()!r} is empty")
        spans.append((start, end))
    return tuple(spans)


def _days(text: str) -> set[int]:
    days: set[int] = set()
    for part in text.split(","):
        first, sep, last = part.strip().partition("-")
        if first not in DAYS or (sep and last not in DAYS):
            raise InvalidHours(reason=f"{part.strip()!r} is not a day or day range (Mo-Su)")
        start = DAYS.index(first)
        end = DAYS.index(last) if sep else start
        index = start
        while True:  # Sa-Mo wraps over the week's end
            days.add(index)
            if index == end:
                break
            index = (index + 1) % 7
    return days


@lru_cache(maxsize=8192)
def parse_hours(text: str) -> Hours | None:
    """None for an empty string (hours unknown). Raises InvalidHours. Cached: many places
    share one schedule, and the nearby search evaluates them on every request."""
    text = text.strip()
    if not text:
        return None
    if len(text) > 500:
        raise InvalidHours(reason="longer than 500 characters")
    if text in ("24/7", "24h", "00:00-24:00"):
        return Hours(always=True, weekly=((),) * 7, exceptions={})
    weekly: list[tuple[Span, ...]] = [()] * 7
    exceptions: dict[str, tuple[Span, ...]] = {}
    for rule in filter(None, (part.strip() for part in text.split(";"))):
        head, _, rest = rule.partition(" ")
        if _DATE.match(head):
            try:
                dt.date.fromisoformat(head)
            except ValueError:
                raise InvalidHours(reason=f"{head!r} is not a date") from None
            exceptions[head] = _spans(rest.strip())
        elif head[:1].isdigit():
            for index in range(7):
                weekly[index] = _spans(rule)
        else:
            spans = _spans(rest.strip()) if rest.strip() else None
            if spans is None:
                raise InvalidHours(reason=f"{rule!r} has days but no times")
            for index in _days(head):
                weekly[index] = spans
    always = not exceptions and all(spans == ((0, 1440),) for spans in weekly)
    return Hours(always=always, weekly=tuple(weekly), exceptions=exceptions)


def validate_hours(text: str) -> str:
    parse_hours(text.strip())
    return text.strip()
