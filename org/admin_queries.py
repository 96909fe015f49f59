"""Read helpers for the admin configuration screens: everything, inactive rows included,
in a stable order (the citizen-facing readers only show what is in use)."""

from __future__ import annotations

import datetime as dt

import msgspec

from org.calendar import load_calendar
from org.categories import CategoryInfo, category_info
from org.dispatch import RuleInfo, rule_info
from org.errors import InvalidDispatchRule, UnknownCategory
from org.tables import CalendarDay, Category, DispatchRule, SlaPolicy


class PolicyInfo(msgspec.Struct, frozen=True, kw_only=True):
    category_code: str | None
    priority: int
    limit_value: int
    limit_unit: str


class DayInfo(msgspec.Struct, frozen=True, kw_only=True):
    day: dt.date
    is_workday: bool
    overridden: bool
    note: str
    name: str = ""
    imported: bool = False


async def list_categories(*, include_inactive: bool = False) -> list[CategoryInfo]:
    query = Category.select().order_by(Category.code)
    if not include_inactive:
        query = query.where(Category.active.eq(True))
    return [category_info(row) for row in await query]


async def category_by_code(*, code: str) -> CategoryInfo:
    row = await Category.select().where(Category.code == code).first()
    if row is None:
        raise UnknownCategory(code=code)
    return category_info(row)


async def list_sla_policies() -> list[PolicyInfo]:
    rows = await SlaPolicy.select(
        SlaPolicy.category.code, SlaPolicy.priority, SlaPolicy.limit_value, SlaPolicy.limit_unit
    ).order_by(SlaPolicy.slot)
    return [
        PolicyInfo(
            category_code=r["category.code"],
            priority=r["priority"],
            limit_value=r["limit_value"],
            limit_unit=r["limit_unit"],
        )
        for r in rows
    ]


async def dispatch_rule(*, rule_id: int) -> RuleInfo:
    row = await DispatchRule.select().where(DispatchRule.id == rule_id).first()
    if row is None:
        raise InvalidDispatchRule(reason=f"rule {rule_id} does not exist")
    return rule_info(row)


async def calendar_days(*, first: dt.date, last: dt.date) -> list[DayInfo]:
    """Every day of the range as it counts for SLA clocks, overrides marked."""
    calendar = await load_calendar(first, last)
    rows = await CalendarDay.select().where((CalendarDay.day >= first) & (CalendarDay.day <= last))
    stored = {
        (r["day"] if isinstance(r["day"], dt.date) else dt.date.fromisoformat(r["day"])): r
        for r in rows
    }
    days, day = [], first
    while day <= last:
        row = stored.get(day)
        days.append(
            DayInfo(
                day=day,
                is_workday=calendar.is_workday(day),
                overridden=row is not None,
                note=row["note"] if row else "",
                name=row["name"] if row else "",
                imported=row is not None and row["source"] == "import",
            )
        )
        day += dt.timedelta(days=1)
    return days
