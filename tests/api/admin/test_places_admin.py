"""Admin CRUD of places and kinds, and bulk import (CSV, GeoJSON): all or nothing, every bad
row reported with its line and reason."""

import json
import time

import pytest

from tests.helpers import assert_problem, upload_photo
from tests.places.util import CENTER, add_place, fresh_index, nearby, offset  # noqa: F401


async def test_crud(api):
    admin = await api.staff("admin")
    place = await add_place(
        api,
        admin,
        kind="park",
        name="中山公园",
        address="文登路 28 号",
        hours="05:00-22:00",
        attributes={"facilities": ["健身器材"]},
    )
    assert place["kind"] == "park" and place["hours"] == "05:00-22:00"
    assert place["source"].startswith("staff:")
    one = await api.get(f"/api/admin/places/{place['id']}", headers=admin.headers)
    assert one.json()["name"] == "中山公园"
    changed = await api.patch(
        f"/api/admin/places/{place['id']}",
        headers=admin.headers,
        json={"status": "closed", "phone": "0532-1"},
    )
    assert changed.status_code == 200, changed.text
    assert changed.json()["status"] == "closed" and changed.json()["openNow"] is False
    assert changed.json()["attributes"] == {"facilities": ["健身器材"]}
    listed = await api.get(
        "/api/admin/places", headers=admin.headers, params={"kind": "park", "limit": 1}
    )
    assert [p["id"] for p in listed.json()["items"]] == [place["id"]]
    removed = await api.delete(f"/api/admin/places/{place['id']}", headers=admin.headers)
    assert removed.status_code == 204
    assert_problem(
        await api.get(f"/api/admin/places/{place['id']}", headers=admin.headers),
        404,
        "place.not_found",
    )


async def test_pages(api):
    admin = await api.staff("operator")
    ids = [(await add_place(api, admin, name=f"公厕{i}", north=i))["id"] for i in range(5)]
    seen, cursor = [], None
    while True:
        params = {"limit": 2} | ({"cursor": cursor} if cursor else {})
        body = (await api.get("/api/admin/places", headers=admin.headers, params=params)).json()
        seen += [p["id"] for p in body["items"]]
        cursor = body["nextCursor"]
        if not cursor:
            break
    assert seen == ids


async def test_photos_are_claimed(api):
    admin = await api.staff("admin")
    inspector_photo = await upload_photo(api, admin, app="inspector")
    place = await add_place(api, admin, photos=[inspector_photo])
    assert place["photos"] == [inspector_photo]
    again = await api.post(
        "/api/admin/places",
        headers=admin.headers,
        json={
            "kind": "toilet",
            "name": "x",
            "location": {"lat": 36, "lon": 120},
            "photos": [inspector_photo],
        },
    )
    assert_problem(again, 409, "media.already_attached")


async def test_a_places_photos_are_public_while_it_shows_them(api):
    admin = await api.staff("admin")
    photo = await upload_photo(api, admin, app="inspector")
    place = await add_place(api, admin, photos=[photo])
    citizen = await api.citizen()
    url = f"/api/citizen/media/{photo}/thumb"
    shown = await api.get(url, headers=citizen.headers)
    assert shown.status_code == 200 and shown.headers["content-type"] == "image/jpeg"
    dropped = await api.patch(
        f"/api/admin/places/{place['id']}", headers=admin.headers, json={"photos": []}
    )
    assert dropped.status_code == 200, dropped.text
    assert_problem(await api.get(url, headers=citizen.headers), 404, "media.not_found")


async def test_admins_only(api):
    citizen = await api.citizen()
    inspector = await api.staff("inspector")
    body = {"kind": "toilet", "name": "x", "location": {"lat": 36, "lon": 120}}
    assert (await api.post("/api/admin/places", json=body)).status_code == 401
    assert (
        await api.post("/api/admin/places", json=body, headers=citizen.headers)
    ).status_code in (401, 403)
    assert (
        await api.post("/api/admin/places", json=body, headers=inspector.headers)
    ).status_code == 403


@pytest.mark.parametrize(
    ("body", "status", "code"),
    [
        ({"kind": "spaceport", "name": "x"}, 422, "place.unknown_kind"),
        ({"name": ""}, 422, "place.invalid"),
        ({"location": {"lat": 95, "lon": 120}}, 400, "request.invalid"),
        ({"hours": "Mo-Fr 25:00-26:00"}, 422, "place.invalid_hours"),
        ({"attributes": {"total_spaces": 3}}, 422, "place.invalid"),
        ({"kind": "parking", "attributes": {"total_spaces": -1}}, 422, "place.invalid"),
        (
            {"kind": "parking", "attributes": {"total_spaces": 2, "free_spaces": 3}},
            422,
            "place.invalid",
        ),
        ({"status": "demolished"}, 400, "request.invalid"),
        ({"photos": ["m_nope"]}, 404, "media.not_found"),
    ],
)
async def test_bad_places(api, body, status, code):
    admin = await api.staff("admin")
    full = {"kind": "toilet", "name": "公厕", "location": {"lat": 36.06, "lon": 120.38}} | body
    assert_problem(
        await api.post("/api/admin/places", json=full, headers=admin.headers), status, code
    )


async def test_kinds_are_data(api):
    admin = await api.staff("admin")
    created = await api.post(
        "/api/admin/place-kinds",
        headers=admin.headers,
        json={
            "code": "charging",
            "nameZh": "充电桩",
            "nameEn": "EV charging",
            "attributes": ["total_spaces", "free_spaces", "fee"],
        },
    )
    assert created.status_code == 201, created.text
    assert_problem(
        await api.post(
            "/api/admin/place-kinds",
            headers=admin.headers,
            json={"code": "charging", "nameZh": "充电桩"},
        ),
        409,
        "place.kind_taken",
    )
    assert_problem(
        await api.post(
            "/api/admin/place-kinds",
            headers=admin.headers,
            json={"code": "x2", "nameZh": "x", "attributes": ["wings"]},
        ),
        422,
        "place.invalid",
    )
    assert (await nearby(api, kinds="charging"))["items"] == []  # known, no places yet
    await add_place(
        api, admin, kind="charging", name="充电站", attributes={"total_spaces": 8, "free_spaces": 2}
    )
    assert [i["name"] for i in (await nearby(api, kinds="charging"))["items"]] == ["充电站"]
    patched = await api.patch(
        "/api/admin/place-kinds/charging", headers=admin.headers, json={"active": False}
    )
    assert patched.json()["active"] is False
    kinds = (await api.get("/api/citizen/places/kinds")).json()["items"]
    assert "charging" not in [k["code"] for k in kinds]
    everything = (await api.get("/api/admin/place-kinds", headers=admin.headers)).json()
    assert "charging" in [k["code"] for k in everything["items"]]


def _csv(rows: int) -> str:
    lines = ["name,kind,lat,lon,address,hours,accessible,total_spaces,free_spaces"]
    for i in range(rows):
        lat, lon = offset(*CENTER, (i % 200) * 10, (i // 200) * 10)
        if i % 3 == 0:
            lines.append(f"停车场{i},parking,{lat:.7f},{lon:.7f},路{i}号,24/7,是,100,{i % 100}")
        else:
            lines.append(f"公厕{i},toilet,{lat:.7f},{lon:.7f},路{i}号,06:00-22:00,否,,")
    return "\n".join(lines) + "\n"


async def test_csv_import_of_20000_rows_in_seconds(api):
    admin = await api.staff("admin")
    data = _csv(20_000).encode()
    started = time.perf_counter()
    response = await api.post(
        "/api/admin/places/import",
        content=data,
        headers={**admin.headers, "Content-Type": "text/csv"},
    )
    elapsed = time.perf_counter() - started
    assert response.status_code == 201, response.text[:500]
    assert response.json() == {"imported": 20_000}
    print(f"imported 20,000 CSV rows in {elapsed:.2f} s")
    found = await nearby(api, kinds="parking,toilet", radius=300, limit=50)
    assert len(found["items"]) == 50
    parking = (await nearby(api, kinds="parking", limit=1))["items"][0]
    assert parking["attributes"] == {"accessible": True, "total_spaces": 100, "free_spaces": 0}


async def test_every_bad_row_is_reported_and_nothing_is_imported(api):
    admin = await api.staff("admin")
    data = "\n".join(
        [
            "name,kind,lat,lon,hours,total_spaces",
            "好的,toilet,36.06,120.38,,",
            ",toilet,36.06,120.38,,",  # line 3: no name
            "坏坐标,toilet,91,120.38,,",  # 4
            "非数字,toilet,abc,120.38,,",  # 5
            "未知类型,spaceport,36.06,120.38,,",  # 6
            "缺经度,toilet,36.06,,,",  # 7
            "坏时间,toilet,36.06,120.38,25:00-26:00,",  # 8
            "公厕车位,toilet,36.06,120.38,,10",  # 9: a toilet has no spaces
            "字段多,toilet,36.06,120.38,,,extra",  # 10
        ]
    ).encode()
    response = await api.post(
        "/api/admin/places/import",
        content=data,
        headers={**admin.headers, "Content-Type": "text/csv"},
    )
    body = assert_problem(response, 422, "import.rejected")
    assert [row["line"] for row in body["rows"]] == [3, 4, 5, 6, 7, 8, 9, 10]
    reasons = {row["line"]: row["reason"] for row in body["rows"]}
    assert "name" in reasons[3] and "lat" in reasons[4] and "lat" in reasons[5]
    assert "spaceport" in reasons[6] and "lon" in reasons[7] and "25:00" in reasons[8]
    assert "total_spaces" in reasons[9]
    assert (await nearby(api))["items"] == []


async def test_geojson_import_reports_lines(api):
    admin = await api.staff("admin")
    good = {
        "type": "Feature",
        "geometry": {"type": "Point", "coordinates": [120.385, 36.06]},
        "properties": {
            "name": "栈桥公厕",
            "kind": "toilet",
            "attributes": {"accessible": True, "baby_care": True},
        },
    }
    bad_point = {
        "type": "Feature",
        "geometry": {"type": "Point", "coordinates": [120.3]},
        "properties": {"name": "x", "kind": "toilet"},
    }
    no_kind = {
        "type": "Feature",
        "geometry": {"type": "Point", "coordinates": [120.3, 36]},
        "properties": {"name": "x"},
    }
    text = (
        '{"type": "FeatureCollection",\n "features": [\n'
        + ",\n".join(json.dumps(f, ensure_ascii=False) for f in (good, bad_point, no_kind))
        + "\n]}\n"
    )
    response = await api.post(
        "/api/admin/places/import",
        content=text.encode(),
        headers={**admin.headers, "Content-Type": "application/geo+json"},
    )
    body = assert_problem(response, 422, "import.rejected")
    assert [(r["line"], r["reason"]) for r in body["rows"]] == [
        (4, "Point coordinates must be [longitude, latitude]"),
        (5, "kind is missing"),
    ]
    fixed = text.replace(json.dumps(bad_point, ensure_ascii=False) + ",\n", "").replace(
        json.dumps(no_kind, ensure_ascii=False), json.dumps(good, ensure_ascii=False)
    )
    ok = await api.post(
        "/api/admin/places/import",
        content=fixed.encode(),
        headers={**admin.headers, "Content-Type": "application/geo+json"},
    )
    assert ok.status_code == 201, ok.text
    items = (await nearby(api))["items"]
    assert len(items) == 2 and items[0]["attributes"] == {"accessible": True, "baby_care": True}


@pytest.mark.parametrize(
    ("content", "ctype", "code"),
    [
        (b"", "text/csv", "import.malformed"),
        (b"name,kind,lat,lon\n", "text/csv", "import.malformed"),
        (b"name,name\nx,y\n", "text/csv", "import.malformed"),
        (b"{not json", "application/geo+json", "import.malformed"),
        (b'{"type": "Feature"}', "application/geo+json", "import.malformed"),
        (b"name\nx", "image/png", "import.malformed"),
    ],
)
async def test_unreadable_files(api, content, ctype, code):
    admin = await api.staff("admin")
    response = await api.post(
        "/api/admin/places/import",
        content=content,
        headers={**admin.headers, "Content-Type": ctype},
    )
    assert_problem(response, 422, code)
