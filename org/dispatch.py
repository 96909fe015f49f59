"""Dispatch rules: (category, area) -> the unit that handles the case.

Precedence, most specific first (PRECEDENCE below): the category dimension outranks the
area dimension, so an owner named for a category (the gas company for E0403 燃气管道破裂)
wins over a catch-all for an area (a street station that takes everything else in its
street). Within each, narrower wins:
    category:  subcategory code ("E0403")  >  major class ("E04")  >  any ("")
    area:      grid  >  street  >  district  >  anywhere
When no rule matches, the case goes to the unit responsible for its grid; outside every grid
with no rule, there is no target and an operator dispatches by hand.

Urgent categories always come out at priority 1 and marked urgent: the case goes straight to
the unit, point to point, ahead of everything else.

Every rule has a unique slot string, so resolving is one indexed ``slot IN (...)`` query of at
most 12 slots, ordered here in Python.
"""

from __future__ import annotations

from collections.abc import Awaitable
from typing import Literal

import msgspec

from core import clock
from core.db import is_unique_violation
from core.ttlcache import TtlCache
from org.categories import CategoryInfo, parse_code, validate_priority
from org.centres import unit_tree
from org.errors import DispatchRuleExists, InvalidDispatchRule, UnknownGrid
from org.grids import GridInfo
from org.tables import Category, DispatchRule, Grid, OrgUnit
from org.units import get_handling_unit, get_unit

AREA_KINDS: tuple[str, ...] = ("grid", "street", "district", "any")
CATEGORY_SCOPES: tuple[str, ...] = ("category", "major", "any")
PRECEDENCE: tuple[tuple[str, str], ...] = tuple(
    (scope, area) for scope in CATEGORY_SCOPES for area in AREA_KINDS
)
URGENT_PRIORITY = 1


class DispatchTarget(msgspec.Struct, frozen=True, kw_only=True):
    unit_id: int
    priority: int
    urgent: bool
    rule_id: int | None  # None: the grid's responsible unit, no rule matched
    assign_on_duty: bool = False
    matched: Literal[
        "category/grid",
        "category/street",
        "category/district",
        "category/any",
        "major/grid",
        "major/street",
        "major/district",
        "major/any",
        "any/grid",
        "any/street",
        "any/district",
        "any/any",
        "grid_unit",
    ]


class RuleInfo(msgspec.Struct, frozen=True, kw_only=True):
    id: int
    category_code: str
    area_kind: str
    area_id: int | None
    unit_id: int
    priority: int | None
    active: bool
    assign_on_duty: bool = False


def rule_slot(category_code: str, area_kind: str, area_id: int | None) -> str:
    return f"{category_code}|{area_kind}|{'' if area_id is None else area_id}"


def _candidate_slots(category: CategoryInfo, grid: GridInfo | None) -> list[tuple[str, str, str]]:
    """(slot, category scope, area kind) in precedence order."""
    codes = {"category": category.code, "major": category.major_code, "any": ""}
    areas: dict[str, int | None] = {"any": None}
    if grid is not None:
        areas.update(grid=grid.id, street=grid.street_id, district=grid.district_id)
    return [
        (rule_slot(codes[scope], area, areas[area]), scope, area)
        for scope, area in PRECEDENCE
        if area in areas and (area == "any" or areas[area] is not None)
    ]


def _priority(category: CategoryInfo, rule_priority: int | None, asked: int | None) -> int:
    if category.urgent:
        return URGENT_PRIORITY
    if rule_priority is not None:
        return rule_priority
    return asked or category.default_priority


# Every report asks which rule holds; rules change a few times a year. A unit's activity
# is read from the unit tree, which follows unit edits on its own.
_rules: TtlCache[list[dict]] = TtlCache()


def _active_rules(slots: tuple[str, ...]) -> Awaitable[list[dict]]:
    return _rules.get(
        slots,
        lambda: DispatchRule.select(
            DispatchRule.id,
            DispatchRule.slot,
            DispatchRule.unit,
            DispatchRule.priority,
            DispatchRule.assign_on_duty,
        ).where(DispatchRule.slot.is_in(list(slots)) & DispatchRule.active.eq(True)),
    )


async def resolve_unit(
    *, category: CategoryInfo, grid: GridInfo | None, priority: int | None = None
) -> DispatchTarget | None:
    """The unit a case of ``category`` in ``grid`` (None: outside every grid) goes to."""
    candidates = _candidate_slots(category, grid)
    tree = await unit_tree()
    rows = [
        row
        for row in await _active_rules(tuple(slot for slot, _, _ in candidates))
        if (unit := tree.units.get(row["unit"])) is not None and unit[2]
    ]
    by_slot = {row["slot"]: row for row in rows}
    for slot, scope, area in candidates:
        if (row := by_slot.get(slot)) is not None:
            return DispatchTarget(
                unit_id=row["unit"],
                priority=_priority(category, row["priority"], priority),
                urgent=category.urgent,
                rule_id=row["id"],
                matched=f"{scope}/{area}",
                assign_on_duty=bool(row["assign_on_duty"]),
            )
    if (
        grid is not None
        and grid.unit_id is not None
        and await OrgUnit.exists().where((OrgUnit.id == grid.unit_id) & OrgUnit.active.eq(True))
    ):
        return DispatchTarget(
            unit_id=grid.unit_id,
            priority=_priority(category, None, priority),
            urgent=category.urgent,
            rule_id=None,
            matched="grid_unit",
        )
    return None


# --- rule administration -------------------------------------------------------------------


async def _check_category_scope(category_code: str) -> None:
    if category_code == "":
        return
    parse_code(category_code)
    if not await Category.exists().where(Category.code == category_code):
        raise InvalidDispatchRule(reason=f"category {category_code} does not exist")


async def _check_area(area_kind: str, area_id: int | None) -> None:
    if area_kind not in AREA_KINDS:
        raise InvalidDispatchRule(reason=f"area_kind must be one of {', '.join(AREA_KINDS)}")
    if area_kind == "any":
        if area_id is not None:
            raise InvalidDispatchRule(reason="a rule for anywhere has no area_id")
        return
    if area_id is None:
        raise InvalidDispatchRule(reason=f"a {area_kind} rule needs an area_id")
    if area_kind == "grid":
        if not await Grid.exists().where(Grid.id == area_id):
            raise UnknownGrid(grid=area_id)
        return
    area = await get_unit(unit_id=area_id)
    if area.kind != area_kind:
        raise InvalidDispatchRule(reason=f"unit {area_id} is a {area.kind}, not a {area_kind}")


def rule_info(row: dict) -> RuleInfo:
    return RuleInfo(
        id=row["id"],
        category_code=row["category_code"],
        area_kind=row["area_kind"],
        area_id=row["area_id"],
        unit_id=row["unit"],
        priority=row["priority"],
        active=bool(row["active"]),
        assign_on_duty=bool(row.get("assign_on_duty")),
    )


async def create_dispatch_rule(
    *,
    unit_id: int,
    category_code: str = "",
    area_kind: str = "any",
    area_id: int | None = None,
    priority: int | None = None,
    assign_on_duty: bool = False,
) -> RuleInfo:
    """``category_code``: a subcategory ("E0403"), a major class ("E04") or "" for any."""
    await _check_category_scope(category_code)
    await _check_area(area_kind, area_id)
    await get_handling_unit(unit_id=unit_id)
    if priority is not None:
        validate_priority(priority)
    slot = rule_slot(category_code, area_kind, area_id)
    if await DispatchRule.exists().where(DispatchRule.slot == slot):
        raise DispatchRuleExists()
    row = DispatchRule(
        category_code=category_code,
        area_kind=area_kind,
        area_id=area_id,
        unit=unit_id,
        priority=priority,
        assign_on_duty=assign_on_duty,
        slot=slot,
        created_at=clock.now(),
        updated_at=clock.now(),
    )
    try:
        await row.save()
    except Exception as exc:
        if is_unique_violation(exc):
            raise DispatchRuleExists() from None
        raise
    _rules.clear()
    return rule_info(row.to_dict())


async def update_dispatch_rule(
    *,
    rule_id: int,
    unit_id: int | None = None,
    priority: int | None = None,
    clear_priority: bool = False,
    active: bool | None = None,
    assign_on_duty: bool | None = None,
) -> RuleInfo:
    row = await DispatchRule.objects().where(DispatchRule.id == rule_id).first()
    if row is None:
        raise InvalidDispatchRule(reason=f"rule {rule_id} does not exist")
    if unit_id is not None:
        await get_handling_unit(unit_id=unit_id)
        row.unit = unit_id
    if priority is not None:
        row.priority = validate_priority(priority)
    if clear_priority:
        row.priority = None
    if active is not None:
        row.active = active
    if assign_on_duty is not None:
        row.assign_on_duty = assign_on_duty
    row.updated_at = clock.now()
    await row.save()
    _rules.clear()
    return rule_info(row.to_dict())


async def delete_dispatch_rule(*, rule_id: int) -> None:
    await DispatchRule.delete().where(DispatchRule.id == rule_id)
    _rules.clear()


async def list_dispatch_rules() -> list[RuleInfo]:
    rows = (
        await DispatchRule.select()
        .order_by(DispatchRule.category_code)
        .order_by(DispatchRule.area_kind)
        .order_by(DispatchRule.id)
    )
    return [rule_info(row) for row in rows]
