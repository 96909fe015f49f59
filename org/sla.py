"""SLA limits per (category, priority), deadlines and the traffic light.

Which limit applies to a case of category C at priority P, first match wins:
1. an SlaPolicy row for (C, P);
2. C's own limit, when P is C's default priority;
3. an SlaPolicy row for (any category, P), e.g. "every urgent case: 2 hours";
4. C's own limit.
Units: "hours" counts clock time (emergencies do not wait for Monday), "working_hours" and
"working_days" count working time on the calendar (org.calendar). The limits of the other
timed stages (org.stages) may also be in "minutes" of clock time.
"""

from __future__ import annotations

import datetime as dt

import msgspec

from core import clock
from core.db import raw
from core.ttlcache import TtlCache
from core.working_hours import Periods
from org import calendar
from org.categories import SLA_UNITS, CategoryInfo, validate_priority
from org.errors import InvalidSlaLimit, UnknownCategory
from org.tables import Category, SlaPolicy


class SlaLimit(msgspec.Struct, frozen=True, kw_only=True):
    value: int
    unit: str

    @property
    def counts_working_time(self) -> bool:
        return self.unit in ("working_hours", "working_days")

    @property
    def amount(self) -> dt.timedelta:
        """The limit as clock time ("hours", "minutes") or as working time on the city's hours."""
        return self.amount_in(None)

    def amount_in(self, periods: Periods | None) -> dt.timedelta:
        """The limit on a calendar of ``periods`` (a unit's hours): a working day is as long
        as that calendar's working day."""
        if self.unit == "working_days":
            return calendar.working_amount(days=self.value, periods=periods)
        if self.unit == "minutes":
            return dt.timedelta(minutes=self.value)
        return dt.timedelta(hours=self.value)


class SlaStatus(msgspec.Struct, frozen=True, kw_only=True):
    elapsed: dt.timedelta
    limit: dt.timedelta
    light: calendar.Light
    overdue: bool


def sla_limit_of(value: int, unit: str) -> SlaLimit:
    if unit not in SLA_UNITS or value <= 0:
        raise InvalidSlaLimit(value=value, unit=unit)
    return SlaLimit(value=value, unit=unit)


def policy_slot(category_id: int | None, priority: int) -> str:
    return f"{'*' if category_id is None else category_id}:{priority}"


# Read by every dispatch; a city has a handful of policies, edited a few times a year.
_policies: TtlCache[dict[str, SlaLimit]] = TtlCache(max_entries=1)


async def _load_policies() -> dict[str, SlaLimit]:
    rows = await SlaPolicy.select(SlaPolicy.slot, SlaPolicy.limit_value, SlaPolicy.limit_unit)
    return {row["slot"]: SlaLimit(value=row["limit_value"], unit=row["limit_unit"]) for row in rows}


async def sla_limit(*, category: CategoryInfo, priority: int | None = None) -> SlaLimit:
    priority = validate_priority(priority or category.default_priority)
    own = SlaLimit(value=category.sla_value, unit=category.sla_unit)
    policies = await _policies.get("all", _load_policies)
    if (specific := policies.get(policy_slot(category.id, priority))) is not None:
        return specific
    if priority == category.default_priority:
        return own
    return policies.get(policy_slot(None, priority), own)


def stage_limit(*, category: CategoryInfo, stage: str) -> SlaLimit:
    """The limit of a case's accept, dispatch or verify stage (handle: ``sla_limit``)."""
    value, unit = category.stage_limit(stage)
    return SlaLimit(value=value, unit=unit)


async def set_sla_policy(
    *, category_code: str | None, priority: int, limit_value: int, limit_unit: str
) -> SlaLimit:
    """Create or replace the limit for (category, priority); no category: every category."""
    validate_priority(priority)
    limit = sla_limit_of(limit_value, limit_unit)
    category_id = None
    if category_code is not None:
        row = await Category.select(Category.id).where(Category.code == category_code).first()
        if row is None:
            raise UnknownCategory(code=category_code)
        category_id = row["id"]
    await raw(
        "INSERT INTO sla_policy (category, priority, limit_value, limit_unit, slot, updated_at) "
        "VALUES ({}, {}, {}, {}, {}, {}) ON CONFLICT (slot) DO UPDATE SET "
        "limit_value = EXCLUDED.limit_value, limit_unit = EXCLUDED.limit_unit, "
        "updated_at = EXCLUDED.updated_at",
        category_id,
        priority,
        limit.value,
        limit.unit,
        policy_slot(category_id, priority),
        clock.now(),
    )
    _policies.clear()
    return limit


async def remove_sla_policy(*, category_code: str | None, priority: int) -> None:
    category_id = None
    if category_code is not None:
        row = await Category.select(Category.id).where(Category.code == category_code).first()
        if row is None:
            raise UnknownCategory(code=category_code)
        category_id = row["id"]
    await SlaPolicy.delete().where(SlaPolicy.slot == policy_slot(category_id, priority))
    _policies.clear()


async def deadline_for(
    *, limit: SlaLimit, start: dt.datetime, hours: Periods | None = None
) -> dt.datetime:
    """``hours``: the handling unit's working hours (org.hours.unit_hours), else the city's."""
    start = clock.as_utc(start)
    if limit.counts_working_time:
        (deadline,) = await calendar.add_working_times(start, [limit.amount_in(hours)], hours=hours)
        return deadline
    return start + limit.amount


async def sla_deadline(
    *, category: CategoryInfo, priority: int | None = None, start: dt.datetime
) -> dt.datetime:
    """When a case of ``category`` at ``priority`` dispatched at ``start`` is due (UTC)."""
    return await deadline_for(
        limit=await sla_limit(category=category, priority=priority), start=start
    )


async def sla_status(
    *,
    limit: SlaLimit,
    start: dt.datetime,
    at: dt.datetime | None = None,
    hours: Periods | None = None,
) -> SlaStatus:
    """How much of the limit has passed at ``at`` (default now) and the light it shows;
    ``hours`` as for deadline_for."""
    at = clock.as_utc(at or clock.now())
    if limit.counts_working_time:
        elapsed = await calendar.working_time_between(start, at, hours=hours)
    else:
        elapsed = at - clock.as_utc(start)
    elapsed = max(elapsed, dt.timedelta(0))
    amount = limit.amount_in(hours)
    light = calendar.sla_light(elapsed=elapsed, limit=amount)
    return SlaStatus(elapsed=elapsed, limit=amount, light=light, overdue=elapsed > amount)
