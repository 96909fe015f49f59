"""GET /api/citizen/places/nearby and /places/{id}: public, sorted, in the asked coordinate
system, open-now in the city's time zone, navigation links per app; bad input refused."""

import datetime as dt
from urllib.parse import parse_qs, urlparse

import pytest

from core import clock
from core import settings as settings_module
from org import geo
from places import index as nearby_index
from tests.helpers import assert_problem
from tests.places.util import CENTER, add_place, fresh_index, nearby, offset  # noqa: F401


async def test_nearby_is_public_sorted_and_filtered_by_kind(api):
    admin = await api.staff("admin")
    far = await add_place(api, admin, name="远处公厕", north=900)
    near = await add_place(api, admin, name="近处公厕", east=100)
    await add_place(api, admin, kind="park", name="中山公园", north=50)
    await add_place(api, admin, name="太远的公厕", north=3000)
    body = await nearby(api, kinds="toilet", radius=1000)
    assert [item["id"] for item in body["items"]] == [near["id"], far["id"]]
    first = body["items"][0]
    assert first["distanceM"] == 100
    assert first["bearingDeg"] == 90
    assert first["kind"] == "toilet" and first["name"] == "近处公厕"
    both = await nearby(api, kinds="toilet,park", radius=1000)
    assert [item["name"] for item in both["items"]] == ["中山公园", "近处公厕", "远处公厕"]
    limited = await nearby(api, kinds="toilet,park", limit=1)
    assert [item["name"] for item in limited["items"]] == ["中山公园"]
    wide = await nearby(api, kinds="toilet", radius=5000)
    assert len(wide["items"]) == 3


async def test_coordinates_in_the_requested_system_and_navigation_links(api):
    admin = await api.staff("admin")
    place = await add_place(api, admin, name="栈桥公厕", east=200)
    wgs = (place["location"]["lat"], place["location"]["lon"])
    gcj_center = geo.wgs84_to_gcj02(*CENTER)
    body = await nearby(api, lat=gcj_center[0], lon=gcj_center[1], coordSys="gcj02")
    item = body["items"][0]
    assert item["distanceM"] == 200  # the query point was converted back to WGS-84
    gcj = geo.wgs84_to_gcj02(*wgs)
    bd = geo.wgs84_to_bd09(*wgs)
    assert item["location"]["coordSys"] == "gcj02"
    assert (item["location"]["lat"], item["location"]["lon"]) == pytest.approx(gcj, abs=3e-7)
    bd_item = (
        await nearby(
            api,
            coordSys="bd09",
            lat=geo.wgs84_to_bd09(*CENTER)[0],
            lon=geo.wgs84_to_bd09(*CENTER)[1],
        )
    )["items"][0]
    assert bd_item["location"]["lat"] == pytest.approx(bd[0], abs=1e-7)
    nav = item["navigation"]
    amap = parse_qs(urlparse(nav["amap"]).query)
    lon_s, lat_s, name = amap["to"][0].split(",")
    assert (float(lat_s), float(lon_s)) == pytest.approx(gcj, abs=2e-6)  # GCJ-02
    assert name == "栈桥公厕" and amap["coordinate"] == ["gaode"]
    baidu = parse_qs(urlparse(nav["baidu"]).query)
    latlng = baidu["destination"][0].split("|")[0].removeprefix("latlng:").split(",")
    assert tuple(map(float, latlng)) == pytest.approx(bd, abs=2e-6)  # BD-09
    assert baidu["coord_type"] == ["bd09ll"]
    tencent = parse_qs(urlparse(nav["tencent"]).query)
    assert tuple(map(float, tencent["tocoord"][0].split(","))) == pytest.approx(gcj, abs=2e-6)
    apple = parse_qs(urlparse(nav["apple"]).query)
    assert tuple(map(float, apple["daddr"][0].split(","))) == pytest.approx(gcj, abs=2e-6)


async def test_apple_maps_gets_wgs84_outside_china(api):
    admin = await api.staff("admin")
    tokyo = (35.68, 139.76)
    await add_place(api, admin, name="Tokyo toilet", center=tokyo, north=10)
    item = (await nearby(api, lat=tokyo[0], lon=tokyo[1]))["items"][0]
    apple = parse_qs(urlparse(item["navigation"]["apple"]).query)
    expected = offset(*tokyo, 10, 0)
    assert tuple(map(float, apple["daddr"][0].split(","))) == pytest.approx(expected, abs=2e-6)


async def test_open_now_in_the_city_time_zone_and_filters(api):
    admin = await api.staff("admin")
    await add_place(
        api,
        admin,
        name="白天",
        hours="Mo-Su 08:00-20:00",
        north=10,
        attributes={"accessible": True},
    )
    await add_place(api, admin, name="全天", hours="24/7", north=20)
    await add_place(
        api,
        admin,
        name="维修中",
        hours="24/7",
        north=30,
        status="maintenance",
        attributes={"accessible": True},
    )
    await add_place(api, admin, name="未知", north=40)
    # 2026-12-01 01:00 UTC is 09:00 in Shanghai: the daytime toilet is open.
    clock.travel(dt.datetime(2026, 12, 1, 1, 0, tzinfo=dt.UTC) - clock.now())
    body = await nearby(api)
    assert {i["name"]: i["openNow"] for i in body["items"]} == {
        "白天": True,
        "全天": True,
        "维修中": False,
        "未知": None,
    }
    assert [i["name"] for i in (await nearby(api, openNow="true"))["items"]] == ["白天", "全天"]
    assert [i["name"] for i in (await nearby(api, accessible="true"))["items"]] == [
        "白天",
        "维修中",
    ]
    # 13:00 UTC is 21:00 in Shanghai.
    clock.travel(dt.timedelta(hours=12))
    assert [i["name"] for i in (await nearby(api, openNow="true"))["items"]] == ["全天"]


async def test_place_detail(api):
    admin = await api.staff("admin")
    place = await add_place(
        api,
        admin,
        kind="parking",
        name="停车场",
        address="香港中路 1 号",
        phone="0532-12345",
        hours="24/7",
        attributes={"total_spaces": 100, "free_spaces": 7, "fee": "5元/时"},
    )
    response = await api.get(f"/api/citizen/places/{place['id']}", params={"coordSys": "bd09"})
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["attributes"] == {"total_spaces": 100, "free_spaces": 7, "fee": "5元/时"}
    assert body["phone"] == "0532-12345" and body["openNow"] is True
    assert body["location"]["coordSys"] == "bd09"
    assert set(body["navigation"]) == {"amap", "baidu", "tencent", "apple"}
    assert_problem(await api.get("/api/citizen/places/999999"), 404, "place.not_found")


async def test_kinds_are_listed_in_the_request_language(api):
    body = (await api.get("/api/citizen/places/kinds")).json()
    assert [k["code"] for k in body["items"]] == [
        "toilet",
        "park",
        "parking",
        "police_kiosk",
        "car_wash",
    ]
    assert body["items"][0]["name"] == "公厕"
    english = (await api.get("/api/citizen/places/kinds", headers={"Accept-Language": "en"})).json()
    assert english["items"][0]["name"] == "Public toilet"


@pytest.mark.parametrize(
    ("params", "status", "code"),
    [
        ({"lat": 91, "lon": 120}, 422, "geo.invalid_coordinates"),
        ({"lat": 36, "lon": -181}, 422, "geo.invalid_coordinates"),
        ({"lat": "nan", "lon": 120}, 422, "geo.invalid_coordinates"),
        ({"lat": "north", "lon": 120}, 400, "request.invalid"),
        ({"lon": 120}, 400, "request.invalid"),
        ({"lat": 36, "lon": 120, "radius": 5001}, 422, "place.radius_too_large"),
        ({"lat": 36, "lon": 120, "radius": 0}, 422, "place.radius_too_large"),
        ({"lat": 36, "lon": 120, "limit": 51}, 422, "place.limit_too_large"),
        ({"lat": 36, "lon": 120, "limit": 0}, 422, "place.limit_too_large"),
        ({"lat": 36, "lon": 120, "kinds": "toilet,spaceport"}, 422, "place.unknown_kind"),
        ({"lat": 36, "lon": 120, "coordSys": "mars"}, 400, "request.invalid"),
    ],
)
async def test_bad_nearby_input(api, params, status, code):
    assert_problem(await api.get("/api/citizen/places/nearby", params=params), status, code)


async def test_nearby_is_rate_limited_per_client(api, monkeypatch):
    from api.limits import nearby_limiter

    monkeypatch.setenv("CITYOPS_PLACES_NEARBY_RATE_LIMIT", "5")
    settings_module.reload_settings()
    nearby_limiter.counts.clear()  # earlier tests' counts in this process and minute
    try:
        for _ in range(5):
            await nearby(api)
        body = assert_problem(
            await api.get("/api/citizen/places/nearby", params={"lat": 36, "lon": 120}),
            429,
            "rate_limited",
        )
        assert body["retryAfter"] >= 1
    finally:
        monkeypatch.delenv("CITYOPS_PLACES_NEARBY_RATE_LIMIT")
        settings_module.reload_settings()
        clock.travel(dt.timedelta(minutes=1))


async def test_a_window_edge_lets_no_second_burst_through(api, monkeypatch):
    """60 a minute, all sent five seconds before a window's edge and 60 more half a second
    after it: a fixed window lets 120 through; the sliding limit none of the second burst
    (the previous window still weighs 59.5 of its 60). The limiter's clock stands still
    during each burst, so a slow machine cannot spread a burst over the edge."""
    import asyncio

    from api.limits import nearby_limiter
    from core import throttle

    monkeypatch.setenv("CITYOPS_PLACES_NEARBY_RATE_LIMIT", "60")
    settings_module.reload_settings()
    nearby_limiter.counts.clear()
    start = clock.now().timestamp()
    # Windows no earlier test counted in (their counts are shared through the database).
    edge = dt.datetime.fromtimestamp(start - start % 60 + 600, dt.UTC)
    params = {"lat": 36, "lon": 120}

    async def burst_at(moment: dt.datetime) -> int:
        monkeypatch.setattr(throttle.clock, "now", lambda: moment)
        answers = await asyncio.gather(
            *[api.get("/api/citizen/places/nearby", params=params) for _ in range(60)]
        )
        return [a.status_code for a in answers].count(200)

    try:
        assert await burst_at(edge - dt.timedelta(seconds=5)) == 60
        assert await burst_at(edge + dt.timedelta(seconds=0.5)) == 0
    finally:
        monkeypatch.undo()
        settings_module.reload_settings()
        clock.travel(dt.timedelta(minutes=12))


async def test_an_edit_by_another_process_is_seen_within_seconds(api):
    """Another replica writes: this process has no local hint, only the version stamp."""
    from core.actors import SYSTEM
    from core.db import transaction
    from places import service as places

    admin = await api.staff("admin")
    await add_place(api, admin, name="原有")
    assert len((await nearby(api))["items"]) == 1
    async with transaction():
        lat, lon = offset(*CENTER, 30, 0)
        await places.create_place(actor=SYSTEM, kind="toilet", name="别处新增", lat=lat, lon=lon)
    nearby_index._state.dirty = False  # as if the write happened in another process
    assert len((await nearby(api))["items"]) == 1  # not yet: the check interval runs
    clock.travel(dt.timedelta(seconds=3))
    assert [i["name"] for i in (await nearby(api))["items"]] == ["原有", "别处新增"]


async def test_edits_moves_and_deletes_are_visible_at_once(api):
    admin = await api.staff("admin")
    place = await add_place(api, admin, name="旧名")
    assert (await nearby(api))["items"][0]["name"] == "旧名"
    lat, lon = offset(*CENTER, 0, 400)
    response = await api.patch(
        f"/api/admin/places/{place['id']}",
        headers=admin.headers,
        json={"name": "新名", "location": {"lat": lat, "lon": lon}},
    )
    assert response.status_code == 200, response.text
    item = (await nearby(api))["items"][0]
    assert (item["name"], item["distanceM"]) == ("新名", 400)
    assert (
        await api.delete(f"/api/admin/places/{place['id']}", headers=admin.headers)
    ).status_code == 204
    assert (await nearby(api))["items"] == []
    assert_problem(await api.get(f"/api/citizen/places/{place['id']}"), 404, "place.not_found")
