"""The organisation tree: which unit may sit under which."""

import pytest

from core.db import transaction
from org import units
from org.errors import InvalidOrgUnit, OrgUnitCodeTaken, UnknownOrgUnit


async def test_the_tree_follows_the_city_shape(database):
    async with transaction():
        city = await units.create_org_unit(
            kind="city", code="370200", name_zh="青岛市", name_en="Qingdao"
        )
        district = await units.create_org_unit(
            kind="district", code="370202", name_zh="市南区", parent_id=city.id
        )
        street = await units.create_org_unit(
            kind="street", code="370202001", name_zh="八大关街道", parent_id=district.id
        )
        await units.create_org_unit(
            kind="community", code="370202001001", name_zh="太平角社区", parent_id=street.id
        )
        department = await units.create_org_unit(
            kind="department", code="CG", name_zh="城市管理局", parent_id=city.id
        )
        await units.create_org_unit(
            kind="work_unit",
            code="CG-GAS",
            name_zh="燃气公司",
            parent_id=department.id,
            phone="0532-96777",
        )
        await units.create_org_unit(
            kind="centre", code="370202-C", name_zh="区中心", parent_id=district.id
        )
    assert [unit.code for unit in await units.list_units(kind="street")] == ["370202001"]
    assert city.name("en") == "Qingdao" and district.name("en") == "市南区"
    tree = await units.unit_kinds_and_parents()
    community = await units.get_unit_by_code(code="370202001001")
    assert units.enclosing(tree, community.id, "district") == district.id
    assert units.enclosing(tree, community.id, "street") == street.id
    assert units.enclosing(tree, department.id, "street") is None


@pytest.mark.parametrize(
    ("kind", "parent_code", "reason"),
    [
        ("street", "370200", "cannot belong to a city"),
        ("community", None, "needs a parent"),
        ("district", "370202", "cannot belong to a district"),
        ("province", "370200", "kind must be"),
    ],
)
async def test_misplaced_units_are_refused(database, kind, parent_code, reason):
    async with transaction():
        city = await units.create_org_unit(kind="city", code="370200", name_zh="青岛市")
        await units.create_org_unit(
            kind="district", code="370202", name_zh="市南区", parent_id=city.id
        )
    parent = None if parent_code is None else await units.get_unit_by_code(code=parent_code)
    with pytest.raises(InvalidOrgUnit) as info:
        async with transaction():
            await units.create_org_unit(
                kind=kind, code="X1", name_zh="新单位", parent_id=parent and parent.id
            )
    assert reason in info.value.detail("en")


async def test_codes_are_unique_and_units_can_be_retired(database):
    async with transaction():
        city = await units.create_org_unit(kind="city", code="370200", name_zh="青岛市")
    with pytest.raises(OrgUnitCodeTaken):
        async with transaction():
            await units.create_org_unit(kind="city", code="370200", name_zh="又一个")
    with pytest.raises(InvalidOrgUnit):
        async with transaction():
            await units.create_org_unit(kind="city", code="has space", name_zh="空格")
    async with transaction():
        renamed = await units.update_org_unit(unit_id=city.id, name_en="Qingdao", active=False)
    assert renamed.name_en == "Qingdao" and not renamed.active
    with pytest.raises(UnknownOrgUnit):
        await units.get_unit(unit_id=city.id)
    assert (await units.get_unit(unit_id=city.id, active_only=False)).code == "370200"
    with pytest.raises(UnknownOrgUnit):
        async with transaction():
            await units.create_org_unit(
                kind="district", code="370202", name_zh="市南区", parent_id=city.id
            )
