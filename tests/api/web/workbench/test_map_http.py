"""The workbench map over HTTP: the page, and its JSON layers scoped like the case list and
drawn in the tiles' coordinate system (converted on the server, fixed vectors)."""

from __future__ import annotations

import datetime as dt

import pytest

from accounts.tables import Staff
from core import clock
from org.geo import to_wgs84, wgs84_to_gcj02
from tests.api.web.workbench.support import signed_in
from tests.cases_city import IN_GRID
from tests.levels_city import build_levels, file_report


async def _operator_in(api, unit_id: int | None, role: str = "operator"):
    session = await signed_in(api, role)
    if unit_id is not None:
        await Staff.update({Staff.org_unit_id: unit_id}).where(Staff.id == session.subject_id)
    return session


async def test_map_page_in_both_locales_with_csp_and_table(api):
    levels = await build_levels(api)
    number = (await file_report(api))[0]
    await _operator_in(api, levels.centres["city"])
    page = await api.get("/workbench/map")
    assert page.status_code == 200, page.text
    assert page.headers["content-language"] == "zh-CN" and "HX-Request" in page.headers["vary"]
    csp = page.headers["content-security-policy"]
    assert "script-src 'self';" in csp and "'unsafe" not in csp
    html = page.text
    assert '<html lang="zh-CN">' in html and "<h1>地图</h1>" in html
    assert 'data-wb-map="overview"' in html and 'data-coord-sys="wgs84"' in html
    assert "vendor/leaflet-1.9.4/leaflet.js" in html and "workbench/map.js?v=" in html
    assert "未配置底图" in html  # no tiles: grids and points on a plain background
    case = await api.get(f"/api/admin/cases/{number}", headers=levels.city_op.headers)
    assert case.json()["case"]["number"] in html
    assert "<caption>" in html and 'scope="col"' in html
    en = await api.get("/workbench/map", headers={"Accept-Language": "en"})
    assert '<html lang="en">' in en.text and "<h1>Map</h1>" in en.text
    assert "No base map configured" in en.text and en.headers["content-language"] == "en"


async def test_map_layers_are_in_the_tiles_coordinate_system(api, settings_env):
    levels = await build_levels(api)
    await file_report(api)
    await _operator_in(api, levels.centres["city"])
    wgs = (await api.get("/workbench/map/data/cases")).json()
    assert wgs["coordSys"] == "wgs84" and not wgs["truncated"]
    (point,) = wgs["points"]
    assert (point["lat"], point["lon"]) == pytest.approx(IN_GRID, abs=1e-7)
    assert point["light"] in ("green", "none")
    settings_env(CITYOPS_MAP_TILE_COORD_SYS="gcj02")
    gcj = (await api.get("/workbench/map/data/cases")).json()
    assert gcj["coordSys"] == "gcj02"
    shifted = (gcj["points"][0]["lat"], gcj["points"][0]["lon"])
    assert shifted == pytest.approx(wgs84_to_gcj02(*IN_GRID), abs=1e-7)
    assert abs(shifted[1] - IN_GRID[1]) > 0.003  # hundreds of metres: drawn where it is
    grids = (await api.get("/workbench/map/data/grids")).json()
    assert grids["coordSys"] == "gcj02" and grids["type"] == "FeatureCollection"
    kinds = {f["properties"]["kind"] for f in grids["features"]}
    assert {"grid", "district", "street"} <= kinds
    lon, lat = grids["features"][0]["geometry"]["coordinates"][0][0]
    back = to_wgs84(lat, lon, "gcj02")
    assert 36 < back[0] < 36.2 and 120.2 < back[1] < 120.5


async def test_map_cases_and_grids_follow_the_scope(api):
    levels = await build_levels(api)
    await file_report(api)  # 市南区
    await _operator_in(api, levels.centres["north"])
    assert (await api.get("/workbench/map/data/cases")).json()["points"] == []
    features = (await api.get("/workbench/map/data/grids")).json()["features"]
    codes = {f["properties"].get("code") for f in features if f["properties"]["kind"] == "grid"}
    assert codes == {"370203", "370203001"}
    page = await api.get("/workbench/map")
    assert "C2" not in page.text.split('id="map-cases"')[1].split("</table>")[0]
    await _operator_in(api, levels.centres["district"])
    assert len((await api.get("/workbench/map/data/cases")).json()["points"]) == 1


async def test_heat_is_binned_on_the_server(api):
    levels = await build_levels(api)
    for seed in range(3):
        await file_report(api, seed=seed)
    await _operator_in(api, levels.centres["city"])
    today = clock.now().astimezone(clock.city_zone()).date()
    heat = await api.get(
        "/workbench/map/data/heat",
        params={"from": (today - dt.timedelta(days=1)).isoformat(), "to": today.isoformat()},
    )
    assert heat.status_code == 200, heat.text
    body = heat.json()
    assert body["max"] == 3 and len(body["cells"]) == 1
    lat, lon, count = body["cells"][0]
    assert count == 3 and abs(lat - IN_GRID[0]) <= 0.001 and abs(lon - IN_GRID[1]) <= 0.001


@pytest.mark.parametrize(
    ("params", "status"),
    [
        ({"from": "2026-03-02", "to": "2026-03-01"}, 422),  # backwards
        ({"from": "2026-01-01", "to": "2026-06-01"}, 422),  # longer than the map draws
        ({"from": "2026-13-01", "to": "2026-03-01"}, 400),  # no such day
        ({"from": "2026-03-01", "to": "2026-03-02", "cell": "5"}, 400),  # cell too coarse
        ({"to": "2026-03-02"}, 400),  # from missing
    ],
)
async def test_heat_refuses_bad_periods(api, params, status):
    await signed_in(api, "operator")
    response = await api.get("/workbench/map/data/heat", params=params)
    assert response.status_code == status, response.text
    if status == 422:
        assert response.headers["content-type"].startswith("application/problem+json")
        assert response.json()["code"] == "request.invalid_range"


async def _patrol(api, inspector) -> str:
    start = await api.post(
        "/api/inspector/patrols",
        json={"location": {"lat": IN_GRID[0], "lon": IN_GRID[1]}},
        headers=inspector.headers,
    )
    assert start.status_code == 201, start.text
    patrol_id = start.json()["id"]
    now = clock.now()
    fixes = [
        {
            "at": (now + dt.timedelta(seconds=10 * i)).isoformat(),
            "lat": IN_GRID[0] + i * 1e-4,
            "lon": IN_GRID[1],
        }
        for i in range(5)
    ]
    clock.travel(dt.timedelta(minutes=1))
    track = await api.post(
        f"/api/inspector/patrols/{patrol_id}/track",
        json={"fixes": fixes},
        headers=inspector.headers,
    )
    assert track.status_code == 200, track.text
    return patrol_id


async def test_patrol_tracks_for_supervisors_only_and_in_scope(api, settings_env):
    levels = await build_levels(api)
    patrol_id = await _patrol(api, levels.city.inspector)  # an inspector of 市南区's grids
    day = clock.now().astimezone(clock.city_zone()).date().isoformat()
    await _operator_in(api, levels.centres["district"], role="supervisor")
    listed = await api.get("/workbench/map/data/patrols", params={"day": day})
    assert listed.status_code == 200, listed.text
    assert [p["id"] for p in listed.json()] == [patrol_id]
    page = await api.get("/workbench/map", params={"day": day})
    assert f'data-track-url="/workbench/map/data/patrols/{patrol_id}"' in page.text
    settings_env(CITYOPS_MAP_TILE_COORD_SYS="gcj02")
    track = (await api.get(f"/workbench/map/data/patrols/{patrol_id}")).json()
    assert track["coordSys"] == "gcj02" and len(track["runs"]) == 1
    first = track["runs"][0][0]
    assert (first[0], first[1]) == pytest.approx(wgs84_to_gcj02(*IN_GRID), abs=1e-7)
    # Another district's supervisor: the patrol is not theirs to see.
    await _operator_in(api, levels.centres["north"], role="supervisor")
    assert (await api.get("/workbench/map/data/patrols", params={"day": day})).json() == []
    hidden = await api.get(f"/workbench/map/data/patrols/{patrol_id}")
    assert hidden.status_code == 404
    # Operators see no patrols at all.
    await _operator_in(api, levels.centres["district"])
    assert (await api.get(f"/workbench/map/data/patrols/{patrol_id}")).status_code == 403
    assert "data-track-url" not in (await api.get("/workbench/map")).text


async def test_places_layer_in_tile_coordinates(api, settings_env):
    from core.actors import SYSTEM
    from core.db import transaction
    from places import service as places

    async with transaction():
        await places.create_place(
            actor=SYSTEM, kind="toilet", name="栈桥公厕", lat=31.1774276, lon=121.5272106
        )
    await signed_in(api, "operator")
    settings_env(CITYOPS_MAP_TILE_COORD_SYS="gcj02")
    (point,) = (await api.get("/workbench/map/data/places")).json()["points"]
    # eviltransform's Shanghai vector
    assert (point["lat"], point["lon"]) == pytest.approx(
        (31.17530398364597, 121.531541859215), abs=1e-6
    )
    assert point["name"] == "栈桥公厕"
