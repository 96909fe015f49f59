"""Duty rosters (值班): who of a unit is on duty when. Alerts and urgent pages go to the
on-duty staff of a centre or unit; with nobody on the roster right now, to all of its staff
of the right roles (a unit without a roster is not left unheard)."""

from __future__ import annotations

import datetime as dt

import msgspec

from accounts import service as accounts
from core import clock
from org.errors import InvalidDutyShift, UnknownDutyShift
from org.tables import DutyShift
from org.units import get_unit

MAX_SHIFT = dt.timedelta(days=7)


class ShiftInfo(msgspec.Struct, frozen=True, kw_only=True):
    id: int
    unit_id: int
    staff_id: int
    starts_at: dt.datetime
    ends_at: dt.datetime


def _info(row: dict) -> ShiftInfo:
    return ShiftInfo(
        id=row["id"],
        unit_id=row["unit"],
        staff_id=row["staff_id"],
        starts_at=clock.as_utc(row["starts_at"]),
        ends_at=clock.as_utc(row["ends_at"]),
    )


async def create_shift(
    *, unit_id: int, staff_id: int, starts_at: dt.datetime, ends_at: dt.datetime
) -> ShiftInfo:
    await get_unit(unit_id=unit_id)
    starts_at, ends_at = clock.as_utc(starts_at), clock.as_utc(ends_at)
    if not starts_at < ends_at <= starts_at + MAX_SHIFT:
        raise InvalidDutyShift(reason="a shift ends after it starts, within 7 days")
    if await accounts.staff_unit_id(staff_id=staff_id) != unit_id:
        raise InvalidDutyShift(reason="only staff of the unit can be on its duty roster")
    row = DutyShift(
        unit=unit_id,
        staff_id=staff_id,
        starts_at=starts_at,
        ends_at=ends_at,
        created_at=clock.now(),
    )
    await row.save()
    return _info(row.to_dict())


async def delete_shift(*, shift_id: int, unit_ids: frozenset[int] | None = None) -> None:
    row = await DutyShift.select().where(DutyShift.id == shift_id).first()
    if row is None or (unit_ids is not None and row["unit"] not in unit_ids):
        raise UnknownDutyShift(shift_id=shift_id)
    await DutyShift.delete().where(DutyShift.id == shift_id)


async def list_shifts(
    *, unit_ids: frozenset[int] | None, since: dt.datetime, until: dt.datetime
) -> list[ShiftInfo]:
    """Shifts overlapping [since, until), of these units (None: every unit)."""
    query = DutyShift.select().where((DutyShift.ends_at > since) & (DutyShift.starts_at < until))
    if unit_ids is not None:
        query = query.where(DutyShift.unit.is_in(sorted(unit_ids) or [-1]))
    return [_info(row) for row in await query.order_by(DutyShift.starts_at).limit(1000)]


async def on_duty(*, unit_id: int, at: dt.datetime | None = None) -> list[int]:
    """Staff of the unit on duty at ``at`` (now), who still belong to it."""
    now = at or clock.now()
    rows = await DutyShift.select(DutyShift.staff_id).where(
        (DutyShift.unit == unit_id) & (DutyShift.starts_at <= now) & (DutyShift.ends_at > now)
    )
    members = set(await accounts.staff_ids_of_unit(unit_id=unit_id))
    return sorted({row["staff_id"] for row in rows} & members)


async def who_to_tell(*, unit_id: int, roles: tuple[str, ...]) -> list[int]:
    """The on-duty staff of the unit in these roles, or, with none on duty, all of them."""
    staff = set(await accounts.staff_ids_of_unit(unit_id=unit_id, roles=roles))
    duty = [s for s in await on_duty(unit_id=unit_id) if s in staff]
    return duty or sorted(staff)
