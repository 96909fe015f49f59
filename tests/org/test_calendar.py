"""Working time on the real Chinese calendar (chinesecalendar), with admin overrides."""

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from core.db import transaction
from org import calendar
from org.calendar import WorkCalendar, add_working_time, sla_light, working_time_between

CST = ZoneInfo("Asia/Shanghai")


def cst(*args) -> dt.datetime:
    return dt.datetime(*args, tzinfo=CST)


def plain(first=dt.date(2025, 1, 1), last=dt.date(2027, 12, 31), **overrides) -> WorkCalendar:
    return WorkCalendar(overrides=overrides, first=first, last=last, zone=CST)


def test_the_working_day_is_seven_and_a_half_hours():
    working_day = calendar.WORKING_DAY
    assert working_day == dt.timedelta(hours=7, minutes=30)


def test_national_calendar_knows_holidays_and_make_up_days():
    assert not calendar.national_is_workday(dt.date(2025, 10, 1))  # National Day
    assert not calendar.national_is_workday(dt.date(2025, 10, 8))
    assert calendar.national_is_workday(dt.date(2025, 9, 28))  # Sunday, make-up day (调休)
    assert calendar.national_is_workday(dt.date(2025, 10, 11))  # Saturday, make-up day
    assert not calendar.national_is_workday(dt.date(2026, 10, 7))
    assert calendar.national_is_workday(dt.date(2026, 10, 10))  # Saturday, make-up day


def test_years_the_package_does_not_know_fall_back_to_weekdays():
    assert calendar.national_is_workday(dt.date(2040, 1, 2))  # a Monday
    assert not calendar.national_is_workday(dt.date(2040, 1, 7))  # a Saturday


def test_eight_working_hours_from_the_eve_of_national_day_2026():
    # Wed 30 Sep 16:00: 1.5 h that day, 1-7 Oct off, Thu 8 Oct 3.5 h + 3 h after lunch.
    deadline = plain().add(cst(2026, 9, 30, 16, 0), dt.timedelta(hours=8))
    assert deadline == cst(2026, 10, 8, 16, 30)
    assert deadline.tzinfo == dt.UTC


def test_eight_working_hours_from_the_eve_of_national_day_2025():
    # 2025: 1-8 Oct off, back on Thursday 9 Oct.
    assert plain().add(cst(2025, 9, 30, 16, 0), dt.timedelta(hours=8)) == cst(2025, 10, 9, 16, 30)


def test_make_up_working_days_count():
    # Saturday 27 Sep 2025 is off; Sunday 28 Sep is a make-up working day.
    assert plain().add(cst(2025, 9, 27, 10, 0), dt.timedelta(hours=2)) == cst(2025, 9, 28, 10, 30)
    # Friday 10 Oct 17:00: half an hour left, then Saturday 11 Oct (make-up day) at 09:00.
    assert plain().add(cst(2025, 10, 10, 17, 0), dt.timedelta(hours=1)) == cst(2025, 10, 11, 9, 0)


def test_lunch_break_and_evenings_do_not_count():
    work = plain()
    assert work.add(cst(2025, 11, 4, 11, 0), dt.timedelta(hours=2)) == cst(2025, 11, 4, 14, 30)
    assert work.add(cst(2025, 11, 4, 20, 0), dt.timedelta(hours=1)) == cst(2025, 11, 5, 9, 30)
    assert work.add(cst(2025, 11, 4, 12, 30), dt.timedelta(minutes=30)) == cst(2025, 11, 4, 14, 0)


def test_a_limit_that_fills_a_period_ends_with_it():
    # Exactly the rest of the afternoon: due at 17:30 that day, not 08:30 the next.
    assert plain().add(cst(2025, 11, 4, 13, 30), dt.timedelta(hours=4)) == cst(2025, 11, 4, 17, 30)
    assert plain().add(cst(2025, 11, 4, 8, 30), calendar.WORKING_DAY) == cst(2025, 11, 4, 17, 30)


def test_working_days_are_whole_working_days_of_time():
    start = cst(2025, 11, 7, 15, 0)  # a Friday
    assert plain().add(start, calendar.working_amount(days=1)) == cst(2025, 11, 10, 15, 0)
    assert plain().add(start, calendar.working_amount(days=3)) == cst(2025, 11, 12, 15, 0)


def test_between_inverts_add():
    work = plain()
    for start in (cst(2026, 9, 30, 16, 0), cst(2025, 9, 27, 10, 0), cst(2025, 11, 4, 12, 15)):
        for hours in (0.25, 1, 3.5, 8, 30):
            deadline = work.add(start, dt.timedelta(hours=hours))
            assert work.between(start, deadline) == dt.timedelta(hours=hours)
    assert work.between(cst(2025, 11, 4, 11, 0), cst(2025, 11, 4, 14, 0)) == dt.timedelta(hours=1.5)
    assert work.between(cst(2025, 11, 4, 14, 0), cst(2025, 11, 4, 11, 0)) == -dt.timedelta(
        hours=1.5
    )
    assert work.between(cst(2025, 10, 1, 9, 0), cst(2025, 10, 8, 17, 0)) == dt.timedelta(0)


def test_overrides_beat_the_national_calendar():
    typhoon = WorkCalendar(
        overrides={dt.date(2026, 10, 8): False, dt.date(2026, 10, 3): True},
        first=dt.date(2026, 1, 1),
        last=dt.date(2026, 12, 31),
        zone=CST,
    )
    assert typhoon.add(cst(2026, 9, 30, 16, 0), dt.timedelta(hours=8)) == cst(2026, 10, 3, 16, 30)
    assert not typhoon.is_workday(dt.date(2026, 10, 8))


def test_the_calendar_refuses_days_outside_its_range():
    narrow = plain(first=dt.date(2026, 9, 29), last=dt.date(2026, 10, 5))
    with pytest.raises(calendar.CalendarRangeExceeded):
        narrow.add(cst(2026, 9, 30, 16, 0), dt.timedelta(hours=8))


@pytest.mark.parametrize(
    ("ratio", "light"),
    [
        (0.0, "green"),
        (0.79, "green"),
        (0.8, "yellow"),
        (0.95, "yellow"),
        (1.0, "yellow"),
        (1.01, "red"),
        (3.0, "red"),
    ],
)
def test_sla_light(ratio, light):
    limit = dt.timedelta(hours=10)
    assert sla_light(elapsed=limit * ratio, limit=limit) == light


async def test_admin_overrides_stored_in_the_database_move_deadlines(database):
    start = cst(2026, 9, 30, 16, 0)
    assert await add_working_time(start, hours=8) == cst(2026, 10, 8, 16, 30)
    async with transaction():
        await calendar.set_calendar_day(day=dt.date(2026, 10, 8), is_workday=False, note="台风")
    assert await add_working_time(start, hours=8) == cst(2026, 10, 9, 16, 30)
    async with transaction():
        # Changing an override replaces it; a holiday can become a working day too.
        await calendar.set_calendar_day(day=dt.date(2026, 10, 8), is_workday=True)
        await calendar.set_calendar_day(day=dt.date(2026, 10, 7), is_workday=True, note="加班")
    assert await add_working_time(start, hours=8) == cst(2026, 10, 7, 16, 30)
    assert await working_time_between(start, cst(2026, 10, 8, 17, 30)) == dt.timedelta(hours=16.5)
    async with transaction():
        await calendar.clear_calendar_day(day=dt.date(2026, 10, 7))
        await calendar.clear_calendar_day(day=dt.date(2026, 10, 8))
    assert await add_working_time(start, hours=8) == cst(2026, 10, 8, 16, 30)


async def test_long_runs_of_days_off_widen_the_loaded_range(database):
    async with transaction():
        for offset in range(40):
            await calendar.set_calendar_day(
                day=dt.date(2026, 3, 2) + dt.timedelta(days=offset), is_workday=False, note="closed"
            )
    # 2 March to 10 April 2026 closed by hand; 11-12 April is a weekend: back on Monday 13.
    assert await add_working_time(cst(2026, 3, 2, 8, 30), hours=1) == cst(2026, 4, 13, 9, 30)
    assert await add_working_time(cst(2026, 3, 2, 8, 30), days=2) == cst(2026, 4, 14, 17, 30)


async def test_add_working_time_takes_hours_or_days(database):
    with pytest.raises(ValueError):
        await add_working_time(cst(2026, 3, 2, 8, 30))
    with pytest.raises(ValueError):
        await add_working_time(cst(2026, 3, 2, 8, 30), hours=1, days=1)
