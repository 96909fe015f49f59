"""The reporters' leaderboard (举报排行榜): citizens by accepted reports (立案) that still
stand (cases.reporter_ranks), over a city month or year, citywide or in one district. Names
are masked; citizens who opted out do not appear (the ranks close up)."""

from __future__ import annotations

import datetime as dt

import msgspec

from cases.reporter_ranks import accepted_reports_by_citizen
from core import clock
from core.actors import Actor
from points.errors import InvalidPeriod, UnknownDistrict


class Leader(msgspec.Struct, frozen=True, kw_only=True):
    rank: int
    account_id: int
    name: str
    reports: int


def mask_name(nickname: str) -> str:
    nickname = nickname.strip()
    return nickname[0] + "*" * max(len(nickname) - 1, 1) if nickname else ""


def month_start(moment: dt.datetime | None = None) -> dt.datetime:
    local = (moment or clock.now()).astimezone(clock.city_zone())
    return local.replace(day=1, hour=0, minute=0, second=0, microsecond=0).astimezone(dt.UTC)


def city_period(year: int, month: int | None) -> tuple[dt.datetime, dt.datetime]:
    """[start, end) in UTC of a city month (or of the whole year when ``month`` is None)."""
    zone = clock.city_zone()
    if month is None:
        start, end = dt.datetime(year, 1, 1, tzinfo=zone), dt.datetime(year + 1, 1, 1, tzinfo=zone)
    else:
        start = dt.datetime(year, month, 1, tzinfo=zone)
        end = dt.datetime(year + (month == 12), month % 12 + 1, 1, tzinfo=zone)
    return start.astimezone(dt.UTC), end.astimezone(dt.UTC)


class Period(msgspec.Struct, frozen=True, kw_only=True):
    year: int
    month: int | None  # None: the whole year
    since: dt.datetime
    until: dt.datetime


def period_of(*, month: str | None, year: int | None) -> Period:
    """``month`` "YYYY-MM" or ``year``; neither: this city month."""
    if month is not None and year is not None:
        raise InvalidPeriod()
    if month is not None:
        year_text, _, month_text = month.partition("-")
        picked_year, picked_month = int(year_text), int(month_text)
    elif year is not None:
        picked_year, picked_month = year, None
    else:
        now = clock.city_now()
        picked_year, picked_month = now.year, now.month
    since, until = city_period(picked_year, picked_month)
    return Period(year=picked_year, month=picked_month, since=since, until=until)


async def district_id_of(code: str | None) -> int | None:
    from org.units import get_unit_by_code

    if code is None:
        return None
    unit = await get_unit_by_code(code=code)
    if unit is None or unit.kind != "district" or not unit.active:
        raise UnknownDistrict(district=code)
    return unit.id


async def leaderboard(
    *,
    since: dt.datetime,
    until: dt.datetime,
    district_id: int | None = None,
    limit: int = 20,
) -> list[Leader]:
    from accounts import service as accounts
    from accounts.errors import AccountDisabled

    rows = await accepted_reports_by_citizen(
        since=since,
        until=until,
        district_id=district_id,
        excluded=await accounts.leaderboard_opt_outs(),
        limit=limit,
    )
    leaders: list[Leader] = []
    for row in rows:
        try:
            citizen = await accounts.citizen_profile(
                actor=Actor(kind="citizen", id=row.citizen_id, role="citizen")
            )
        except AccountDisabled:
            continue
        name = (
            mask_name(citizen.nickname)
            or await accounts.masked_citizen_phone(citizen_id=citizen.id)
            or f"市民****{citizen.public_id[-4:]}"
        )
        leaders.append(
            Leader(rank=len(leaders) + 1, account_id=row.citizen_id, name=name, reports=row.reports)
        )
    return leaders
