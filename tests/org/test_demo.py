"""The demo city: idempotent, and a report anywhere in it lands with the right unit."""

from core.db import transaction
from org import grids, service, units
from org.demo import load_org_demo
from org.errors import InvalidCoordinates, UnknownCategory


async def test_loading_the_demo_twice_changes_nothing(database):
    first = await load_org_demo(inspector_staff_ids=[41, 42])
    assert first == "org demo: 134 categories, 24 units, 22 grids, 17 dispatch rules created"
    version = await grids.grids_version()
    second = await load_org_demo(inspector_staff_ids=[41, 42])
    assert second == "org demo: 0 categories, 0 units, 0 grids, 0 dispatch rules created"
    assert await grids.grids_version() == version
    # 1 district + 3 streets + 6 communities + 12 unit grids.
    assert len(await grids.grids_in_view(min_lat=36, min_lon=120, max_lat=37, max_lon=121)) == 22
    assert len(await grids.inspector_grid_ids(staff_id=41)) == 6


async def test_reports_in_the_demo_city_are_placed_and_dispatched(database):
    async with transaction():
        await load_org_demo()
    gas_company = await units.get_unit_by_code(code="370200-GAS")
    # May Fourth Square, reported from a WeChat map (GCJ-02).
    lat, lon = service.geo.from_wgs84(36.0617, 120.3842, "gcj02")
    gas = await service.place_report(category_code="E0403", lat=lat, lon=lon, coord_sys="gcj02")
    assert abs(gas.lat - 36.0617) < 1e-7 and abs(gas.lon - 120.3842) < 1e-7
    assert gas.grid is not None and gas.grid.level == 4 and len(gas.grid.code) == 15
    assert (gas.target.unit_id, gas.target.priority, gas.target.urgent) == (gas_company.id, 1, True)
    assert gas.limit == service.SlaLimit(value=1, unit="hours")

    parking = await service.place_report(category_code="E0505", lat=36.0617, lon=120.3842)
    street = await units.get_unit(unit_id=parking.grid.street_id)
    squad = await units.get_unit(unit_id=parking.target.unit_id)
    assert squad.code == f"{street.code}-ZF" and parking.target.matched == "major/street"
    assert parking.priority == 3

    lamp = await service.place_report(category_code="C0118", lat=36.0617, lon=120.3842)
    assert (await units.get_unit(unit_id=lamp.target.unit_id)).code == "370202-SZ"

    # Out at sea: no grid, the case waits for an operator; the gas company still owns leaks.
    at_sea = await service.place_report(category_code="E0505", lat=36.03, lon=120.38)
    assert at_sea.grid is None and at_sea.target is None
    leak_at_sea = await service.place_report(category_code="E0403", lat=36.03, lon=120.38)
    assert leak_at_sea.grid is None and leak_at_sea.target.unit_id == gas_company.id


async def test_bad_reports_are_refused(database):
    async with transaction():
        await load_org_demo()
    for category_code, lat, lon, error in (
        ("E0599", 36.06, 120.38, UnknownCategory),
        ("E0505", 96.06, 120.38, InvalidCoordinates),
    ):
        try:
            await service.place_report(category_code=category_code, lat=lat, lon=lon)
        except error:
            continue
        raise AssertionError(f"{category_code} at {lat},{lon} was accepted")
