"""Grid polygons, point-to-grid lookup and the cross-process cache."""

import json

import pytest

from core.db import raw, transaction
from org import geo, grids
from org.errors import GridCodeTaken, InvalidGrid, InvalidPolygon, UnknownGrid
from org.units import create_org_unit

WEST = "370202001001001"
EAST = "370202001001002"


def square(lon0, lat0, lon1, lat1):
    return {
        "type": "Polygon",
        "coordinates": [[[lon0, lat0], [lon1, lat0], [lon1, lat1], [lon0, lat1], [lon0, lat0]]],
    }


async def two_grids():
    """Two unit grids sharing the edge lon = 120.38, under a community grid."""
    async with transaction():
        await grids.create_grid(
            code="370202001001", name="社区", polygon=square(120.37, 36.05, 120.39, 36.07)
        )
        await grids.create_grid(
            code=WEST,
            name="西网格",
            parent_code="370202001001",
            polygon=square(120.37, 36.05, 120.38, 36.07),
        )
        await grids.create_grid(
            code=EAST,
            name="东网格",
            parent_code="370202001001",
            polygon=square(120.38, 36.05, 120.39, 36.07),
        )


def test_polygon_validation_accepts_geojson_text_and_objects():
    shaped, stored = grids.parse_polygon(json.dumps(square(120.37, 36.05, 120.38, 36.06)))
    assert shaped.is_valid and shaped.area > 0
    assert json.loads(stored)["coordinates"][0][0] == [120.37, 36.05]
    multi = {
        "type": "MultiPolygon",
        "coordinates": [
            square(120.37, 36.05, 120.38, 36.06)["coordinates"],
            square(120.39, 36.05, 120.40, 36.06)["coordinates"],
        ],
    }
    assert grids.parse_polygon(multi)[0].geom_type == "MultiPolygon"


@pytest.mark.parametrize(
    ("polygon", "reason"),
    [
        ("{not json", "JSON"),
        ({"type": "Point", "coordinates": [120.38, 36.06]}, "Polygon"),
        ({"type": "Polygon", "coordinates": []}, "outer ring"),
        (
            {
                "type": "Polygon",
                "coordinates": [[[120.37, 36.05], [120.38, 36.05], [120.37, 36.05]]],
            },
            "at least 4",
        ),
        (
            {
                "type": "Polygon",
                "coordinates": [
                    [[120.37, 36.05], [120.38, 36.05], [120.38, 36.06], [120.37, 36.06]]
                ],
            },
            "closed",
        ),
        (
            {
                "type": "Polygon",
                "coordinates": [
                    [
                        [120.37, 36.05],
                        [120.38, 36.05],
                        [120.38, 36.06],
                        [120.37, 36.06],
                        [120.37, 36.055],
                    ]
                ],
            },
            "closed",
        ),
        # A bow tie crosses itself.
        (
            {
                "type": "Polygon",
                "coordinates": [
                    [
                        [120.37, 36.05],
                        [120.38, 36.06],
                        [120.38, 36.05],
                        [120.37, 36.06],
                        [120.37, 36.05],
                    ]
                ],
            },
            "Self-intersection",
        ),
        # [lat, lon] instead of GeoJSON's [lon, lat]: the "latitude" 120 is out of range.
        (square(36.05, 120.37, 36.06, 120.38), "longitude, latitude"),
        (
            {
                "type": "Polygon",
                "coordinates": [
                    [["120.37", 36.05], [120.38, 36.05], [120.38, 36.06], [120.37, 36.05]]
                ],
            },
            "longitude, latitude",
        ),
        (
            {
                "type": "Polygon",
                "coordinates": [
                    [[120.37, 36.05], [120.38, 36.05], [120.39, 36.05], [120.37, 36.05]]
                ],
            },
            "Self-intersection",
        ),
    ],
)
def test_invalid_polygons_are_refused_with_a_reason(polygon, reason):
    with pytest.raises(InvalidPolygon) as info:
        grids.parse_polygon(polygon)
    assert reason.lower() in info.value.detail("en").lower()
    assert info.value.status == 422


def test_polygons_drawn_on_a_chinese_map_are_stored_in_wgs84():
    gcj = [
        geo.wgs84_to_gcj02(lat, lon)
        for lon, lat in square(120.37, 36.05, 120.38, 36.06)["coordinates"][0]
    ]
    drawn = {"type": "Polygon", "coordinates": [[[lon, lat] for lat, lon in gcj]]}
    _, stored = grids.parse_polygon(drawn, coord_sys="gcj02")
    for (lon, lat), (want_lon, want_lat) in zip(
        json.loads(stored)["coordinates"][0],
        square(120.37, 36.05, 120.38, 36.06)["coordinates"][0],
        strict=True,
    ):
        assert geo.distance_m(lat, lon, want_lat, want_lon) < 0.01


async def test_a_point_falls_in_exactly_one_grid(database):
    await two_grids()
    assert (await grids.locate(lat=36.06, lon=120.375)).code == WEST
    assert (await grids.locate(lat=36.06, lon=120.385)).code == EAST
    # On the shared edge, and on a shared corner: the smallest code, every time.
    assert (await grids.locate(lat=36.06, lon=120.38)).code == WEST
    assert (await grids.locate(lat=36.05, lon=120.38)).code == WEST
    # The outer boundary belongs to the grid it bounds.
    assert (await grids.locate(lat=36.07, lon=120.39)).code == EAST


async def test_a_point_outside_every_grid_has_no_grid(database):
    await two_grids()
    assert await grids.locate(lat=36.10, lon=120.38) is None
    assert await grids.locate(lat=-33.86, lon=151.21) is None


async def test_without_any_grid_every_point_is_unassigned(database):
    assert await grids.locate(lat=36.06, lon=120.38) is None


async def test_the_deepest_grid_wins_over_its_parent(database):
    await two_grids()
    async with transaction():
        # The community has a strip with no unit grid: the community grid answers there.
        await grids.update_grid(code="370202001001", polygon=square(120.37, 36.05, 120.39, 36.08))
    assert (await grids.locate(lat=36.075, lon=120.38)).code == "370202001001"
    assert (await grids.locate(lat=36.06, lon=120.38)).level == 2


async def test_grid_codes_and_parents(database):
    await two_grids()
    with pytest.raises(GridCodeTaken):
        async with transaction():
            await grids.create_grid(code=WEST, name="重复", polygon=square(120, 36, 120.1, 36.1))
    with pytest.raises(InvalidGrid):
        async with transaction():
            await grids.create_grid(
                code="370299001",
                name="错层",
                parent_code="370202001001",
                polygon=square(120, 36, 120.1, 36.1),
            )
    with pytest.raises(UnknownGrid):
        async with transaction():
            await grids.create_grid(
                code="370202009001",
                name="无父",
                parent_code="370202009",
                polygon=square(120, 36, 120.1, 36.1),
            )
    with pytest.raises(InvalidGrid):
        async with transaction():
            await grids.create_grid(code="A-1", name="字母", polygon=square(120, 36, 120.1, 36.1))
    west = await grids.get_grid(code=WEST)
    assert (west.level, west.name) == (2, "西网格")
    assert (west.street_id, west.district_id) == (None, None)


async def test_a_grid_knows_its_street_and_district_through_its_area(database):
    async with transaction():
        city = await create_org_unit(kind="city", code="370200", name_zh="青岛市")
        district = await create_org_unit(
            kind="district", code="370202", name_zh="市南区", parent_id=city.id
        )
        street = await create_org_unit(
            kind="street", code="370202001", name_zh="八大关街道", parent_id=district.id
        )
        community = await create_org_unit(
            kind="community", code="370202001001", name_zh="太平角社区", parent_id=street.id
        )
        created = await grids.create_grid(
            code=WEST,
            name="网格",
            unit_id=street.id,
            area_id=community.id,
            polygon=square(120.37, 36.05, 120.38, 36.07),
        )
    assert (created.area_id, created.street_id, created.district_id) == (
        community.id,
        street.id,
        district.id,
    )
    assert (await grids.locate(lat=36.06, lon=120.375)) == created
    with pytest.raises(InvalidGrid):
        async with transaction():
            await grids.create_grid(
                code="370202001001002",
                name="网格",
                area_id=city.id,
                polygon=square(120.38, 36.05, 120.39, 36.07),
            )


async def test_changes_reach_the_cached_index_at_once(database):
    await two_grids()
    assert await grids.locate(lat=36.06, lon=120.395) is None
    async with transaction():
        await grids.update_grid(code=EAST, polygon=square(120.38, 36.05, 120.40, 36.07))
    assert (await grids.locate(lat=36.06, lon=120.395)).code == EAST
    async with transaction():
        await grids.update_grid(code=EAST, active=False)
    assert (await grids.locate(lat=36.06, lon=120.395)) is None
    assert (await grids.locate(lat=36.06, lon=120.38)).code == WEST


async def test_another_process_changing_grids_is_noticed_through_the_stamp(database):
    await two_grids()
    assert (await grids.locate(lat=36.06, lon=120.385)).code == EAST
    cached = grids._index
    # What another worker process does: change the row and bump the stamp, nothing else.
    async with transaction():
        await raw(
            "UPDATE grid SET polygon = {} WHERE code = {}",
            json.dumps(square(120.40, 36.05, 120.41, 36.07)),
            EAST,
        )
        await grids.bump_grids_version()
    assert (await grids.locate(lat=36.06, lon=120.385)).code == "370202001001"  # the parent
    assert (await grids.locate(lat=36.06, lon=120.405)).code == EAST
    assert grids._index is not cached
    # With nothing changed, the index is reused.
    rebuilt = grids._index
    await grids.locate(lat=36.06, lon=120.405)
    assert grids._index is rebuilt


async def test_a_rolled_back_change_does_not_stick_in_the_cache(database):
    await two_grids()

    class Abort(Exception):
        pass

    with pytest.raises(Abort):
        async with transaction():
            await grids.create_grid(
                code="370202001001003", name="临时", polygon=square(120.39, 36.05, 120.40, 36.07)
            )
            # Seen inside its own transaction...
            assert (await grids.locate(lat=36.06, lon=120.395)).code == "370202001001003"
            raise Abort
    # ...and gone once it rolled back: the stamp went back, so the cache is rebuilt.
    assert await grids.locate(lat=36.06, lon=120.395) is None


async def test_inspectors_are_assigned_to_grids(database):
    await two_grids()
    async with transaction():
        await grids.assign_inspector(grid_code=WEST, staff_id=7)
        await grids.assign_inspector(grid_code=WEST, staff_id=7)  # idempotent
        await grids.assign_inspector(grid_code=EAST, staff_id=7)
        await grids.assign_inspector(grid_code=EAST, staff_id=8)
    west, east = await grids.get_grid(code=WEST), await grids.get_grid(code=EAST)
    assert await grids.inspector_grid_ids(staff_id=7) == sorted([west.id, east.id])
    assert await grids.grid_inspector_ids(grid_id=east.id) == [7, 8]
    async with transaction():
        await grids.unassign_inspector(grid_code=EAST, staff_id=7)
    assert await grids.inspector_grid_ids(staff_id=7) == [west.id]
    with pytest.raises(UnknownGrid):
        async with transaction():
            await grids.assign_inspector(grid_code="999", staff_id=7)


async def test_grids_in_view_use_the_bounding_boxes(database):
    await two_grids()
    in_view = await grids.grids_in_view(
        min_lat=36.055, min_lon=120.385, max_lat=36.06, max_lon=120.395
    )
    assert [grid.code for grid in in_view] == ["370202001001", EAST]
    assert await grids.grids_in_view(min_lat=37, min_lon=121, max_lat=38, max_lon=122) == []
