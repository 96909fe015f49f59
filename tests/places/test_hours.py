"""Opening hours: the parser and open-now, including spans past midnight and exceptions."""

import datetime as dt

import pytest

from places.errors import InvalidHours
from places.hours import parse_hours


def at(day: str, time: str) -> dt.datetime:
    return dt.datetime.fromisoformat(f"{day}T{time}")


def test_weekly_schedule_and_weekend():
    hours = parse_hours("Mo-Fr 07:00-21:00; Sa,Su 08:00-18:00")
    assert hours.is_open(at("2026-11-30", "07:00"))  # Monday
    assert not hours.is_open(at("2026-11-30", "21:00"))  # the end is exclusive
    assert not hours.is_open(at("2026-11-28", "07:30"))  # Saturday
    assert hours.is_open(at("2026-11-28", "17:59"))


def test_past_midnight_runs_into_the_next_day():
    hours = parse_hours("Fr,Sa 18:00-02:00")
    assert hours.is_open(at("2026-11-28", "01:30"))  # Saturday night... from Friday
    assert hours.is_open(at("2026-11-29", "01:59"))  # from Saturday
    assert not hours.is_open(at("2026-11-30", "01:00"))  # Sunday had no span
    assert not hours.is_open(at("2026-11-27", "17:00"))


def test_dated_exceptions_replace_the_week():
    hours = parse_hours("06:00-22:00; 2026-10-01 off; 2026-10-02 09:00-12:00")
    assert hours.is_open(at("2026-09-30", "06:00"))
    assert not hours.is_open(at("2026-10-01", "12:00"))
    assert hours.is_open(at("2026-10-02", "11:00"))
    assert not hours.is_open(at("2026-10-02", "13:00"))


def test_always_and_unknown():
    assert parse_hours("24/7").always
    assert parse_hours("00:00-24:00").always
    assert parse_hours("Mo-Su 00:00-24:00").always
    assert parse_hours("") is None


@pytest.mark.parametrize(
    "text",
    ["Mo-Fr", "Xx 08:00-10:00", "25:00-26:00", "08:00", "2026-02-30 off", "08:00-08:00", "Mo 8-9"],
)
def test_bad_hours_are_refused(text):
    with pytest.raises(InvalidHours):
        parse_hours(text)
