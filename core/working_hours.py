"""Working hours as text ("08:30-12:00,13:30-17:30"): the city's default
(CITYOPS_WORKING_HOURS) and an org unit's own. One parser for both, so a unit's hours and
the setting follow the same rule: one or more periods of one day, each ``begin < end``,
in order and not overlapping (touching is allowed: 12:00-13:00,13:00-17:00). "24:00" ends
a period at midnight."""

from __future__ import annotations

import datetime as dt

Periods = tuple[tuple[dt.time, dt.time], ...]
DEFAULT = "08:30-12:00,13:30-17:30"
MAX_PERIODS = 6


class InvalidHours(ValueError):
    """The text breaks the rule; the message says where."""


def _time(text: str) -> dt.time:
    text = text.strip()
    if len(text) != 5 or text[2] != ":" or not (text[:2] + text[3:]).isdigit():
        raise InvalidHours(f"{text!r} is not a time like 08:30")
    hour, minute = int(text[:2]), int(text[3:])
    if hour > 23 or minute > 59:
        raise InvalidHours(f"{text!r} is not a time of day")
    return dt.time(hour, minute)


def parse_periods(text: str) -> Periods:
    parts = text.split(",")
    if not text.strip():
        raise InvalidHours("no working period given")
    if len(parts) > MAX_PERIODS:
        raise InvalidHours(f"at most {MAX_PERIODS} periods a day")
    periods: list[tuple[dt.time, dt.time]] = []
    for part in parts:
        begin, dash, end = part.partition("-")
        if not dash:
            raise InvalidHours(f"{part.strip()!r} is not a period like 08:30-12:00")
        period = (_time(begin), _time(end))
        if period[0] >= period[1]:
            raise InvalidHours(f"{part.strip()!r} ends before it begins (periods stay in one day)")
        if periods and period[0] < periods[-1][1]:
            raise InvalidHours(f"{part.strip()!r} overlaps or precedes the period before it")
        periods.append(period)
    return tuple(periods)


def format_periods(periods: Periods) -> str:
    return ",".join(f"{begin:%H:%M}-{end:%H:%M}" for begin, end in periods)


def day_length(periods: Periods) -> dt.timedelta:
    return sum(
        (
            dt.datetime.combine(dt.date.min, end) - dt.datetime.combine(dt.date.min, begin)
            for begin, end in periods
        ),
        dt.timedelta(),
    )
