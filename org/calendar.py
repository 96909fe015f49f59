"""The working calendar: SLA limits count working time, not clock time.

A day is a working day by, in order: a CalendarDay override (set by hand or by a year's
import, org.calendar_import), the national calendar of the ``chinesecalendar`` package
(public holidays and make-up working days, 调休), and for years that package does not know
yet, Monday to Friday. Every working day of a calendar has the same hours (city time): the
city's (CITYOPS_WORKING_HOURS) or a handling unit's own (org.hours), so N working days are
N x the length of that working day.

``WorkCalendar`` is synchronous and holds the overrides of a date range: a caller with many
cases (the SLA sweep) loads one range once and computes without further queries.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator, Mapping
from functools import lru_cache
from typing import Literal
from zoneinfo import ZoneInfo

import chinese_calendar
import msgspec

from core import clock
from core.clock import as_utc, city_zone
from core.db import raw
from core.settings import get_settings
from core.ttlcache import TtlCache
from core.working_hours import DEFAULT, Periods, day_length, parse_periods
from org.tables import CalendarDay, CalendarYear

# The built-in default of CITYOPS_WORKING_HOURS; what counts is city_hours().
WORKING_PERIODS: Periods = parse_periods(DEFAULT)
WORKING_DAY = day_length(WORKING_PERIODS)
# Longer than any run of holidays the calendar can hold; a guard against a range of
# overrides that marks every day as a day off.
MAX_SPAN = dt.timedelta(days=3660)

Light = Literal["green", "yellow", "red"]
YELLOW_FROM = 0.8


class CalendarRangeExceeded(Exception):
    """The computation needs days beyond the loaded range (internal: the caller widens it)."""


@lru_cache(maxsize=1024)
def periods_of(text: str) -> Periods:
    """Parsed once per distinct text: every dispatch asks for its unit's hours."""
    return parse_periods(text)


def city_hours() -> Periods:
    """The city's working hours (validated when the settings were loaded)."""
    return periods_of(get_settings().working_hours)


@lru_cache(maxsize=8192)
def national_is_workday(day: dt.date) -> bool:
    try:
        return chinese_calendar.is_workday(day)
    except NotImplementedError:
        # Years the installed package has no data for: weekends only, until it is updated.
        return day.weekday() < 5


class WorkCalendar:
    def __init__(
        self,
        *,
        overrides: Mapping[dt.date, bool],
        first: dt.date,
        last: dt.date,
        zone: ZoneInfo | None = None,
        hours: Periods | None = None,
    ) -> None:
        self.overrides = dict(overrides)
        self.first = first
        self.last = last
        self.zone = zone or city_zone()
        self.hours = hours or city_hours()

    def is_workday(self, day: dt.date) -> bool:
        if not self.first <= day <= self.last:
            raise CalendarRangeExceeded(day)
        if day in self.overrides:
            return self.overrides[day]
        return national_is_workday(day)

    def local_date(self, moment: dt.datetime) -> dt.date:
        return as_utc(moment).astimezone(self.zone).date()

    def periods(self, day: dt.date) -> Iterator[tuple[dt.datetime, dt.datetime]]:
        """The working periods of a working day, as UTC instants."""
        for begin, end in self.hours:
            yield (
                dt.datetime.combine(day, begin, tzinfo=self.zone).astimezone(dt.UTC),
                dt.datetime.combine(day, end, tzinfo=self.zone).astimezone(dt.UTC),
            )

    def add(self, start: dt.datetime, amount: dt.timedelta) -> dt.datetime:
        """The earliest instant at which ``amount`` of working time has passed since
        ``start`` (so a limit that ends with a period ends at 17:30, not at 08:30 next day)."""
        start = as_utc(start)
        if amount < dt.timedelta(0):
            raise ValueError("working time to add must not be negative")
        if amount == dt.timedelta(0):
            return start
        remaining = amount
        day = self.local_date(start)
        while True:
            if self.is_workday(day):
                for begin, end in self.periods(day):
                    if end <= start:
                        continue
                    begin = max(begin, start)
                    if remaining <= end - begin:
                        return begin + remaining
                    remaining -= end - begin
            day += dt.timedelta(days=1)

    def between(self, a: dt.datetime, b: dt.datetime) -> dt.timedelta:
        """Working time from ``a`` to ``b`` (negative if ``b`` is before ``a``)."""
        a, b = as_utc(a), as_utc(b)
        if b < a:
            return -self.between(b, a)
        total = dt.timedelta(0)
        day, last = self.local_date(a), self.local_date(b)
        while day <= last:
            if self.is_workday(day):
                for begin, end in self.periods(day):
                    overlap = min(end, b) - max(begin, a)
                    if overlap > dt.timedelta(0):
                        total += overlap
            day += dt.timedelta(days=1)
        return total


# Every dispatch reads the overrides of the weeks ahead; admins change a few days a year.
_overrides: TtlCache[dict[dt.date, bool]] = TtlCache(max_entries=1_000)


async def load_overrides(first: dt.date, last: dt.date) -> dict[dt.date, bool]:
    async def load() -> dict[dt.date, bool]:
        rows = await CalendarDay.select(CalendarDay.day, CalendarDay.is_workday).where(
            (CalendarDay.day >= first) & (CalendarDay.day <= last)
        )
        return {_as_date(row["day"]): bool(row["is_workday"]) for row in rows}

    return dict(await _overrides.get((first, last), load))


def forget_cached_overrides() -> None:
    _overrides.clear()
    _imported.clear()


def _as_date(value: dt.date | str) -> dt.date:
    return value if isinstance(value, dt.date) else dt.date.fromisoformat(value)


async def load_calendar(
    first: dt.date, last: dt.date, *, hours: Periods | None = None
) -> WorkCalendar:
    """One query for the overrides of [first, last]; ``hours``: a unit's own, else the
    city's."""
    return WorkCalendar(
        overrides=await load_overrides(first, last), first=first, last=last, hours=hours
    )


def working_amount(
    *, hours: float | None = None, days: float | None = None, periods: Periods | None = None
) -> dt.timedelta:
    """Working time: ``hours``, or ``days`` whole working days of ``periods`` (the city's
    hours by default)."""
    if (hours is None) == (days is None):
        raise ValueError("give exactly one of hours or days")
    if hours is not None:
        return dt.timedelta(hours=hours)
    return day_length(periods or city_hours()) * days


async def add_working_time(
    start_utc: dt.datetime, *, hours: float | None = None, days: float | None = None
) -> dt.datetime:
    """The deadline ``hours`` working hours or ``days`` working days after ``start_utc``."""
    return (await add_working_times(start_utc, [working_amount(hours=hours, days=days)]))[0]


async def add_working_times(
    start_utc: dt.datetime, amounts: list[dt.timedelta], *, hours: Periods | None = None
) -> list[dt.datetime]:
    """Several deadlines from one start (an SLA's 80 % mark and its end) on one calendar
    load, so dispatching a case costs one query here, not one per mark. ``hours``: the
    handling unit's, else the city's."""
    return await add_working_times_each([(start_utc, amount) for amount in amounts], hours=hours)


async def add_working_times_each(
    items: list[tuple[dt.datetime, dt.timedelta]], *, hours: Periods | None = None
) -> list[dt.datetime]:
    """The deadline of each (start, working time) on one calendar load (a case's stages)."""
    hours = hours or city_hours()
    zone = city_zone()
    first = min(as_utc(start) for start, _ in items).astimezone(zone).date() - dt.timedelta(days=1)
    latest = max(as_utc(start) for start, _ in items).astimezone(zone).date()
    # Twice the calendar days the amount needs on a plain week, plus three weeks for holidays;
    # widened (rarely) if a long run of days off was added by hand.
    longest = max(amount for _, amount in items)
    span = (latest - first) + dt.timedelta(days=int(longest / day_length(hours) * 2) + 21)
    while True:
        calendar = await load_calendar(first, first + span, hours=hours)
        try:
            return [calendar.add(start, amount) for start, amount in items]
        except CalendarRangeExceeded:
            if span > MAX_SPAN:
                raise ValueError("no working time found in the calendar") from None
            span *= 2


async def working_time_between(
    a_utc: dt.datetime, b_utc: dt.datetime, *, hours: Periods | None = None
) -> dt.timedelta:
    zone = city_zone()
    first = min(as_utc(a_utc), as_utc(b_utc)).astimezone(zone).date()
    last = max(as_utc(a_utc), as_utc(b_utc)).astimezone(zone).date()
    calendar = await load_calendar(first, last, hours=hours)
    return calendar.between(a_utc, b_utc)


def sla_light(*, elapsed: dt.timedelta, limit: dt.timedelta) -> Light:
    """Green below 80 % of the limit, yellow from 80 % up to and including 100 %, red past it."""
    if limit <= dt.timedelta(0):
        return "red"
    ratio = elapsed / limit
    if ratio < YELLOW_FROM:
        return "green"
    return "yellow" if ratio <= 1.0 else "red"


async def set_calendar_day(*, day: dt.date, is_workday: bool, note: str = "") -> None:
    """An admin's override for one day (a typhoon day off, a local holiday); it beats the
    national calendar, and a later import of the year that lists the day replaces it."""
    await raw(
        "INSERT INTO calendar_day (day, is_workday, note, source, updated_at) "
        "VALUES ({}, {}, {}, 'admin', {}) "
        "ON CONFLICT (day) DO UPDATE SET is_workday = EXCLUDED.is_workday, "
        "note = EXCLUDED.note, source = EXCLUDED.source, updated_at = EXCLUDED.updated_at",
        day,
        is_workday,
        note[:200],
        clock.now(),
    )
    forget_cached_overrides()


async def clear_calendar_day(*, day: dt.date) -> None:
    """Drop an override: the national calendar applies again."""
    await CalendarDay.delete().where(CalendarDay.day == day)
    forget_cached_overrides()


# Which days have calendar data. The SLA clocks need to know the holidays ahead: without
# data a holiday counts as a working day and deadlines fall on it.
LOOKAHEAD_DAYS = 90
_imported: TtlCache[frozenset[int]] = TtlCache(max_entries=1)


class Coverage(msgspec.Struct, frozen=True, kw_only=True):
    first: dt.date
    last: dt.date
    missing_years: list[int]
    days_without_data: int

    @property
    def complete(self) -> bool:
        return not self.missing_years


@lru_cache(maxsize=256)
def package_knows_year(year: int) -> bool:
    """The installed ``chinesecalendar`` has the year's official arrangement (it raises
    NotImplementedError for years outside its data)."""
    try:
        chinese_calendar.is_workday(dt.date(year, 1, 1))
    except NotImplementedError:
        return False
    return True


async def imported_years() -> frozenset[int]:
    async def load() -> frozenset[int]:
        return frozenset(row["year"] for row in await CalendarYear.select(CalendarYear.year))

    return await _imported.get("years", load)


async def coverage(*, today: dt.date | None = None, days: int = LOOKAHEAD_DAYS) -> Coverage:
    """Whether the ``days`` days from ``today`` (the city's date) have calendar data.

    The rule, per year: a year counts as covered when the holiday package knows it or an
    admin imported that year's arrangement (a CalendarYear row, written by every successful
    import). Single hand-made overrides (a typhoon day) do not cover a year: they say
    nothing about its holidays. A day has data when its year is covered; the range lacks
    data when any of its days lacks it."""
    first = today or clock.city_now().date()
    last = first + dt.timedelta(days=days - 1)
    imported = await imported_years()
    missing = [
        year
        for year in range(first.year, last.year + 1)
        if year not in imported and not package_knows_year(year)
    ]
    without = sum(
        (min(last, dt.date(year, 12, 31)) - max(first, dt.date(year, 1, 1))).days + 1
        for year in missing
    )
    return Coverage(first=first, last=last, missing_years=missing, days_without_data=without)


# How far ahead the coverage metric looks: a city imports a year's arrangement once it is
# published (about November), so more than two years ahead is never there.
COVERAGE_HORIZON_YEARS = 3


async def days_covered_ahead(*, today: dt.date | None = None) -> int:
    """Days from ``today`` (the city's date, counted) to the end of the last year with
    holiday data before the first year without: what an alert warns about weeks ahead."""
    first = today or clock.city_now().date()
    imported = await imported_years()
    year = first.year
    while year < first.year + COVERAGE_HORIZON_YEARS and (
        year in imported or package_knows_year(year)
    ):
        year += 1
    if year == first.year:
        return 0
    return (dt.date(year - 1, 12, 31) - first).days + 1
