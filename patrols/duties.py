"""Patrol duties: an admin assigns an inspector a grid for a shift window; the app shows
today's."""

from __future__ import annotations

import datetime as dt

from accounts import service as accounts
from core import clock
from core.actors import Actor
from org import grids
from patrols import errors
from patrols.tables import PatrolDuty

MAX_SHIFT = dt.timedelta(hours=24)


def _invalid(reason: str, reason_zh: str) -> errors.InvalidDuty:
    return errors.InvalidDuty(reason=reason, reason_zh=reason_zh)


async def create_duty(
    *,
    actor: Actor,
    staff_id: int,
    grid_code: str,
    starts_at: dt.datetime,
    ends_at: dt.datetime,
    note: str = "",
) -> PatrolDuty:
    starts_at, ends_at = clock.as_utc(starts_at), clock.as_utc(ends_at)
    if ends_at <= starts_at:
        raise _invalid("the shift must end after it starts", "结束时间须晚于开始时间")
    if ends_at - starts_at > MAX_SHIFT:
        raise _invalid("a shift lasts at most 24 hours", "单个班次不超过 24 小时")
    if ends_at <= clock.now():
        raise _invalid("the shift is already over", "该班次已结束")
    if staff_id not in await accounts.staff_ids_with_role(roles=("inspector",)):
        raise _invalid("the staff member is not an inspector", "该人员不是网格员")
    grid = await grids.get_grid(code=grid_code)
    if grid.id not in await grids.inspector_grid_ids(staff_id=staff_id):
        raise _invalid("the inspector is not assigned to this grid", "该网格员未分配到此网格")
    duty = PatrolDuty(
        staff_id=staff_id,
        grid_id=grid.id,
        starts_at=starts_at,
        ends_at=ends_at,
        note=note.strip(),
        created_by=actor.id,
        created_at=clock.now(),
    )
    await duty.save()
    return duty


async def delete_duty(*, actor: Actor, duty_id: int) -> None:
    deleted = await PatrolDuty.delete().where(PatrolDuty.id == duty_id).returning(PatrolDuty.id)
    if not deleted:
        raise errors.DutyNotFound()


def _overlapping(since: dt.datetime, until: dt.datetime):
    return (PatrolDuty.starts_at < until) & (PatrolDuty.ends_at > since)


async def list_duties(
    *,
    staff_id: int | None = None,
    grid_code: str | None = None,
    day: dt.date | None = None,
    limit: int = 200,
) -> list[PatrolDuty]:
    """Duties, soonest first; ``day`` is a day in the city's time zone."""
    query = PatrolDuty.objects()
    if staff_id is not None:
        query = query.where(PatrolDuty.staff_id == staff_id)
    if grid_code is not None:
        query = query.where(PatrolDuty.grid_id == (await grids.get_grid(code=grid_code)).id)
    if day is not None:
        since = dt.datetime.combine(day, dt.time(), tzinfo=clock.city_zone()).astimezone(dt.UTC)
        query = query.where(_overlapping(since, since + dt.timedelta(days=1)))
    return (
        await query.order_by(PatrolDuty.starts_at)
        .order_by(PatrolDuty.id)
        .limit(max(1, min(limit, 500)))
    )


async def duties_between(
    *, staff_id: int, since: dt.datetime, until: dt.datetime
) -> list[PatrolDuty]:
    return (
        await PatrolDuty.objects()
        .where((PatrolDuty.staff_id == staff_id) & _overlapping(since, until))
        .order_by(PatrolDuty.starts_at)
        .order_by(PatrolDuty.id)
    )


async def duty_grid_ids(*, staff_id: int, since: dt.datetime, until: dt.datetime) -> list[int]:
    rows = await duties_between(staff_id=staff_id, since=since, until=until)
    return sorted({row.grid_id for row in rows})


def today() -> tuple[dt.datetime, dt.datetime]:
    start = clock.start_of_city_day()
    return start, clock.start_of_city_day(start + dt.timedelta(hours=36))
