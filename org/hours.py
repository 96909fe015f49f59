"""Working hours per org unit: a unit that works 08:00-12:00,14:00-18:00 (a summer
timetable, a street station's own) has the SLA clocks of the cases it handles count its
hours; a unit without its own counts the city's (CITYOPS_WORKING_HOURS). Holidays and
make-up days are the city's calendar for every unit."""

from __future__ import annotations

from core import clock
from core.ttlcache import TtlCache
from core.working_hours import InvalidHours, Periods, format_periods, parse_periods
from org.calendar import city_hours, periods_of
from org.errors import InvalidWorkingHours, UnknownOrgUnit
from org.tables import OrgUnit
from org.units import UnitInfo, get_unit

# Few units set their own hours; every dispatch asks. One small map, refreshed like the
# other caches of rarely changed rows (CITYOPS_CACHE_CHECK_SECONDS).
_own: TtlCache[dict[int, str]] = TtlCache(max_entries=1)


async def _own_hours() -> dict[int, str]:
    async def load() -> dict[int, str]:
        rows = await OrgUnit.select(OrgUnit.id, OrgUnit.working_hours).where(
            OrgUnit.working_hours != ""
        )
        return {row["id"]: row["working_hours"] for row in rows}

    return await _own.get("units", load)


async def unit_hours(unit_id: int | None) -> Periods:
    """The hours a case handled by ``unit_id`` counts: the unit's own, else the city's."""
    if unit_id is None:
        return city_hours()
    text = (await _own_hours()).get(unit_id)
    return periods_of(text) if text else city_hours()


async def set_unit_hours(*, unit_id: int, hours: str) -> UnitInfo:
    """Give the unit its own hours ("08:00-12:00,14:00-18:00": periods of one day, in order,
    not overlapping). Cases dispatched to it from now on count them; deadlines already set
    stay (they were promised when the case was dispatched)."""
    try:
        text = format_periods(parse_periods(hours))
    except InvalidHours as exc:
        raise InvalidWorkingHours(reason=str(exc)) from None
    return await _store(unit_id, text)


async def clear_unit_hours(*, unit_id: int) -> UnitInfo:
    """The unit counts the city's hours again."""
    return await _store(unit_id, "")


async def _store(unit_id: int, text: str) -> UnitInfo:
    updated = (
        await OrgUnit.update({OrgUnit.working_hours: text, OrgUnit.updated_at: clock.now()})
        .where(OrgUnit.id == unit_id)
        .returning(OrgUnit.id)
    )
    if not updated:
        raise UnknownOrgUnit(unit_id=unit_id)
    _own.clear()
    return await get_unit(unit_id=unit_id, active_only=False)
