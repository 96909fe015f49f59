"""One source of time, so tests can move it and every stored time is UTC."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from core.settings import get_settings

_offset = dt.timedelta(0)

# The times the platform deals in. Anything a client sends (a report's occurredAt, a
# statistics range, a pagination cursor) must fall in here: a year-1 or year-9999 moment
# overflows as soon as it is moved to UTC or a day is added to it, and names nothing here.
EARLIEST = dt.datetime(2000, 1, 1, tzinfo=dt.UTC)
LATEST = dt.datetime(2100, 1, 1, tzinfo=dt.UTC)  # excluded


def now() -> dt.datetime:
    return dt.datetime.now(dt.UTC) + _offset


def city_zone() -> ZoneInfo:
    return ZoneInfo(get_settings().timezone)


def city_now() -> dt.datetime:
    return now().astimezone(city_zone())


def start_of_city_day(moment: dt.datetime | None = None) -> dt.datetime:
    local = (moment or now()).astimezone(city_zone())
    return local.replace(hour=0, minute=0, second=0, microsecond=0).astimezone(dt.UTC)


def travel(delta: dt.timedelta) -> None:
    """Move the clock (tests only)."""
    global _offset
    _offset += delta


def reset() -> None:
    global _offset
    _offset = dt.timedelta(0)


def as_utc(value: dt.datetime) -> dt.datetime:
    """SQLite hands naive datetimes back; they were stored as UTC."""
    return value.replace(tzinfo=dt.UTC) if value.tzinfo is None else value.astimezone(dt.UTC)


def iso_utc(value: dt.datetime | None) -> str | None:
    """For JSON written by hand (exports): RFC 3339 in UTC, None stays None."""
    return None if value is None else as_utc(value).isoformat()
