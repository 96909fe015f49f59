"""Dispatch rules: the most specific rule wins, in the documented order."""

import pytest

from core.db import transaction
from org import dispatch, grids, units
from org.categories import get_category
from org.categories_seed import seed_categories
from org.errors import DispatchRuleExists, InvalidDispatchRule, UnknownGrid, UnknownOrgUnit


def square(lon0, lat0, lon1, lat1):
    return {
        "type": "Polygon",
        "coordinates": [[[lon0, lat0], [lon1, lat0], [lon1, lat1], [lon0, lat1], [lon0, lat0]]],
    }


async def city():
    """A district with two streets, one grid in each street, and a unit per rule level."""
    async with transaction():
        await seed_categories()
        top = await units.create_org_unit(kind="city", code="C", name_zh="青岛市")
        district = await units.create_org_unit(
            kind="district", code="D", name_zh="市南区", parent_id=top.id
        )
        street = await units.create_org_unit(
            kind="street", code="S1", name_zh="街道一", parent_id=district.id
        )
        other_street = await units.create_org_unit(
            kind="street", code="S2", name_zh="街道二", parent_id=district.id
        )
        community = await units.create_org_unit(
            kind="community", code="S1-C1", name_zh="社区", parent_id=street.id
        )
        await grids.create_grid(
            code="1001",
            name="网格一",
            unit_id=street.id,
            area_id=community.id,
            polygon=square(120.37, 36.05, 120.38, 36.06),
        )
        await grids.create_grid(
            code="2001",
            name="网格二",
            unit_id=other_street.id,
            area_id=other_street.id,
            polygon=square(120.38, 36.05, 120.39, 36.06),
        )
        handlers = {}
        for scope, area in dispatch.PRECEDENCE:
            handlers[(scope, area)] = await units.create_org_unit(
                kind="work_unit",
                code=f"U-{scope}-{area}",
                name_zh=f"{scope}/{area}",
                parent_id=top.id,
            )
    grid = await grids.get_grid(code="1001")
    return grid, handlers


def area_of(grid, area):
    return {"grid": grid.id, "street": grid.street_id, "district": grid.district_id, "any": None}[
        area
    ]


def scope_code(scope, category):
    return {"category": category.code, "major": category.major_code, "any": ""}[scope]


async def test_the_most_specific_rule_wins_in_the_documented_order(database):
    grid, handlers = await city()
    parking = await get_category(code="E0505")
    rules = {}
    async with transaction():
        for (scope, area), unit in handlers.items():
            rules[(scope, area)] = rule = await dispatch.create_dispatch_rule(
                category_code=scope_code(scope, parking),
                area_kind=area,
                area_id=area_of(grid, area),
                unit_id=unit.id,
            )
            assert (rule.unit_id, rule.area_kind, rule.active) == (unit.id, area, True)
    assert dispatch.PRECEDENCE[0] == ("category", "grid")
    assert dispatch.PRECEDENCE[-1] == ("any", "any")
    # Take the winning rule away, one level at a time: the next level takes over.
    for scope, area in dispatch.PRECEDENCE:
        target = await dispatch.resolve_unit(category=parking, grid=grid)
        assert target.matched == f"{scope}/{area}"
        assert target.unit_id == handlers[(scope, area)].id
        assert target.rule_id == rules[(scope, area)].id
        async with transaction():
            await dispatch.delete_dispatch_rule(rule_id=rules[(scope, area)].id)
    # No rule left: the unit answerable for the grid.
    target = await dispatch.resolve_unit(category=parking, grid=grid)
    assert (target.matched, target.unit_id, target.rule_id) == ("grid_unit", grid.unit_id, None)
    assert target.priority == 3 and not target.urgent
    # Outside every grid and no rule: nobody; an operator dispatches.
    assert await dispatch.resolve_unit(category=parking, grid=None) is None


async def test_category_specificity_outranks_area_specificity(database):
    grid, handlers = await city()
    gas = await get_category(code="E0403")
    async with transaction():
        # The street station takes everything in its street...
        await dispatch.create_dispatch_rule(
            category_code="",
            area_kind="street",
            area_id=grid.street_id,
            unit_id=handlers[("any", "street")].id,
        )
        # ...but gas leaks anywhere go to the gas company.
        await dispatch.create_dispatch_rule(
            category_code="E0403", unit_id=handlers[("category", "any")].id
        )
    target = await dispatch.resolve_unit(category=gas, grid=grid)
    assert target.unit_id == handlers[("category", "any")].id
    parking = await get_category(code="E0505")
    assert (await dispatch.resolve_unit(category=parking, grid=grid)).unit_id == handlers[
        ("any", "street")
    ].id
    # Outside every grid the gas company still gets the gas leak.
    assert (await dispatch.resolve_unit(category=gas, grid=None)).matched == "category/any"


async def test_rules_for_one_area_do_not_reach_another(database):
    grid, handlers = await city()
    other = await grids.get_grid(code="2001")
    parking = await get_category(code="E0505")
    async with transaction():
        await dispatch.create_dispatch_rule(
            category_code="E05",
            area_kind="street",
            area_id=grid.street_id,
            unit_id=handlers[("major", "street")].id,
        )
        await dispatch.create_dispatch_rule(
            category_code="E05",
            area_kind="district",
            area_id=grid.district_id,
            unit_id=handlers[("major", "district")].id,
        )
    assert (await dispatch.resolve_unit(category=parking, grid=grid)).matched == "major/street"
    assert (await dispatch.resolve_unit(category=parking, grid=other)).matched == "major/district"


async def test_urgent_categories_go_out_at_top_priority(database):
    grid, handlers = await city()
    gas = await get_category(code="E0403")
    async with transaction():
        await dispatch.create_dispatch_rule(
            category_code="E04", priority=3, unit_id=handlers[("major", "any")].id
        )
    target = await dispatch.resolve_unit(category=gas, grid=grid, priority=4)
    assert (target.priority, target.urgent) == (1, True)
    # Urgent with no rule at all: straight to the grid's unit, still at priority 1.
    async with transaction():
        await dispatch.update_dispatch_rule(
            rule_id=(await dispatch.list_dispatch_rules())[0].id, active=False
        )
    target = await dispatch.resolve_unit(category=gas, grid=grid)
    assert (target.matched, target.priority, target.urgent) == ("grid_unit", 1, True)


async def test_a_rule_may_set_the_priority(database):
    grid, handlers = await city()
    parking = await get_category(code="E0505")
    async with transaction():
        rule = await dispatch.create_dispatch_rule(
            category_code="E0505", priority=2, unit_id=handlers[("category", "any")].id
        )
    assert (await dispatch.resolve_unit(category=parking, grid=grid, priority=4)).priority == 2
    async with transaction():
        await dispatch.update_dispatch_rule(rule_id=rule.id, clear_priority=True)
    assert (await dispatch.resolve_unit(category=parking, grid=grid, priority=4)).priority == 4
    assert (await dispatch.resolve_unit(category=parking, grid=grid)).priority == 3


async def test_inactive_rules_and_units_are_skipped(database, settings_env):
    # Rules and units are cached: an edit still holds at once in the process that made it.
    settings_env(CITYOPS_CACHE_CHECK_SECONDS="3600")
    grid, handlers = await city()
    parking = await get_category(code="E0505")
    async with transaction():
        rule = await dispatch.create_dispatch_rule(
            category_code="E0505",
            area_kind="grid",
            area_id=grid.id,
            unit_id=handlers[("category", "grid")].id,
        )
        await dispatch.create_dispatch_rule(
            category_code="E05", unit_id=handlers[("major", "any")].id
        )
    assert (await dispatch.resolve_unit(category=parking, grid=grid)).matched == "category/grid"
    async with transaction():
        await dispatch.update_dispatch_rule(rule_id=rule.id, active=False)
    assert (await dispatch.resolve_unit(category=parking, grid=grid)).matched == "major/any"
    async with transaction():
        await dispatch.update_dispatch_rule(rule_id=rule.id, active=True)
    assert (await dispatch.resolve_unit(category=parking, grid=grid)).matched == "category/grid"
    async with transaction():
        await units.update_org_unit(unit_id=handlers[("category", "grid")].id, active=False)
    assert (await dispatch.resolve_unit(category=parking, grid=grid)).matched == "major/any"
    async with transaction():
        await dispatch.delete_dispatch_rule(rule_id=rule.id)
        await units.update_org_unit(unit_id=handlers[("category", "grid")].id, active=True)
    assert (await dispatch.resolve_unit(category=parking, grid=grid)).matched == "major/any"


async def test_rule_validation(database):
    grid, handlers = await city()
    unit_id = handlers[("any", "any")].id
    bad = [
        {"category_code": "E0599"},  # no such category
        {"category_code": "Z05"},
        {"area_kind": "province", "area_id": 1},
        {"area_kind": "any", "area_id": grid.id},
        {"area_kind": "street"},
        {"area_kind": "street", "area_id": grid.district_id},  # a district, not a street
        {"category_code": "E05", "priority": 9},
    ]
    for fields in bad:
        with pytest.raises(Exception) as info:
            async with transaction():
                await dispatch.create_dispatch_rule(unit_id=unit_id, **fields)
        assert info.value.status == 422, fields
    with pytest.raises(UnknownGrid):
        async with transaction():
            await dispatch.create_dispatch_rule(unit_id=unit_id, area_kind="grid", area_id=999)
    with pytest.raises(UnknownOrgUnit):
        async with transaction():
            await dispatch.create_dispatch_rule(unit_id=99999, category_code="E05")
    async with transaction():
        await dispatch.create_dispatch_rule(unit_id=unit_id, category_code="E05")
    with pytest.raises(DispatchRuleExists):
        async with transaction():
            await dispatch.create_dispatch_rule(unit_id=unit_id, category_code="E05")
    with pytest.raises(InvalidDispatchRule):
        async with transaction():
            await dispatch.update_dispatch_rule(rule_id=99999, active=False)
