"""Coordinates on the wire (api.geo): every position carries the `coordSys` it is in, and an
app may set its system once (the `Coord-Sys` request header) instead of on every request;
an explicit ?coordSys wins. So an app that forgets ?coordSys=gcj02 gets WGS-84 pins that say
so, never pins ~500 m off without a word. EXIF hints come back in the system asked for."""

from __future__ import annotations

import pytest

from org.geo import distance_m, wgs84_to_bd09, wgs84_to_gcj02
from tests.api.inspector.field import _dms, patrol_report
from tests.api.visibility_support import World, build_world, report
from tests.helpers import assert_problem
from tests.media import samples

P = (36.0572, 120.3738)
GCJ = wgs84_to_gcj02(*P)


@pytest.fixture
async def w(api) -> World:
    return await build_world(api)


def _at(location: dict) -> tuple[float, float]:
    return location["lat"], location["lon"]


async def test_positions_say_their_system_and_the_header_sets_the_default(w):
    filed = await report(w, at=P)
    url = f"/api/citizen/reports/{filed.id}"
    assert distance_m(*P, *GCJ) > 400  # what is at stake in Qingdao

    forgot = (await w.api.get(url, headers=w.alice.headers)).json()["location"]
    assert forgot["coordSys"] == "wgs84" and _at(forgot) == pytest.approx(P)

    app = {**w.alice.headers, "Coord-Sys": "gcj02"}  # set once in the app's HTTP client
    shown = (await w.api.get(url, headers=app)).json()["location"]
    assert shown["coordSys"] == "gcj02" and _at(shown) == pytest.approx(GCJ, abs=1e-6)
    explicit = await w.api.get(url, params={"coordSys": "bd09"}, headers=app)
    assert explicit.json()["location"]["coordSys"] == "bd09"  # the query wins
    assert _at(explicit.json()["location"]) == pytest.approx(wgs84_to_bd09(*P), abs=1e-6)
    listed = await w.api.get("/api/citizen/reports", headers=app)
    assert {item["location"]["coordSys"] for item in listed.json()["items"]} == {"gcj02"}

    bad = await w.api.get(url, headers={**w.alice.headers, "Coord-Sys": "mars"})
    assert_problem(bad, 400, "request.invalid")


async def test_the_public_map_and_nearby_places_follow_the_header(w):
    from tests.places.util import add_place

    admin = await w.api.staff("admin")
    await add_place(w.api, admin, center=P)
    box = f"{GCJ[1] - 0.01},{GCJ[0] - 0.01},{GCJ[1] + 0.01},{GCJ[0] + 0.01}"
    answer = await w.api.get(
        "/api/public/cases", params={"bbox": box}, headers={"Coord-Sys": "gcj02"}
    )
    assert answer.status_code == 200 and answer.json()["coordSys"] == "gcj02"
    nearby = await w.api.get(
        "/api/citizen/places/nearby",
        params={"lat": GCJ[0], "lon": GCJ[1]},
        headers={"Coord-Sys": "gcj02"},
    )
    assert nearby.status_code == 200, nearby.text
    (place,) = nearby.json()["items"]
    assert place["location"]["coordSys"] == "gcj02"
    assert _at(place["location"]) == pytest.approx(GCJ, abs=1e-6)


def _jpeg_at(lat: float, lon: float) -> bytes:
    return samples.jpeg((320, 240), exif=samples.exif_block(lat=_dms(lat), lon=_dms(lon)))


async def test_exif_hints_come_back_in_the_system_asked_for(w):
    data = _jpeg_at(*P)  # cameras write WGS-84
    files = {"file": ("p.jpg", data, "image/jpeg")}
    plain = await w.api.post("/api/citizen/media", headers=w.alice.headers, files=files)
    hints = plain.json()["hints"]
    assert hints["coordSys"] == "wgs84" and _at(hints) == pytest.approx(P, abs=1e-5)
    asked = await w.api.post(
        "/api/citizen/media",
        params={"coordSys": "gcj02"},
        headers=w.alice.headers,
        files={"file": ("q.jpg", _jpeg_at(P[0] + 0.0001, P[1]), "image/jpeg")},
    )
    assert asked.status_code == 201, asked.text
    hints = asked.json()["hints"]
    expected = wgs84_to_gcj02(P[0] + 0.0001, P[1])
    assert hints["coordSys"] == "gcj02" and _at(hints) == pytest.approx(expected, abs=1e-5)

    # The staff's case view: the camera's position beside the case's, in one system.
    inspector = w.city.inspector
    upload = await w.api.post(
        "/api/inspector/media",
        headers=inspector.headers,
        files={"file": ("r.jpg", _jpeg_at(*P), "image/jpeg")},
    )
    made = await patrol_report(w.api, inspector, photos=[upload.json()["id"]], at=P)
    assert made.status_code == 201, made.text
    case_id = made.json()["case"]["id"]
    view = await w.api.get(
        f"/api/inspector/cases/{case_id}", headers={**inspector.headers, "Coord-Sys": "gcj02"}
    )
    body = view.json()
    (photo,) = body["photos"]
    assert photo["coordSys"] == "gcj02" and body["case"]["location"]["coordSys"] == "gcj02"
    assert (photo["takenLat"], photo["takenLon"]) == pytest.approx(GCJ, abs=1e-5)
    assert _at(body["case"]["location"]) == pytest.approx(GCJ, abs=1e-6)


async def test_bodies_without_coord_sys_are_read_in_the_header_system(w):
    from tests.helpers import upload_photo

    app = {**w.alice.headers, "Coord-Sys": "gcj02"}
    photo = await upload_photo(w.api.client, w.alice, seed=4242)
    body = {
        "category": "E0102",
        "location": {"lat": GCJ[0], "lon": GCJ[1]},  # a WeChat map's point, no coordSys
        "mediaIds": [photo],
        "description": "路边有垃圾",
    }
    made = await w.api.post("/api/citizen/reports", json=body, headers=app)
    assert made.status_code == 201, made.text
    assert made.json()["location"]["coordSys"] == "gcj02"
    stored = await w.api.get(f"/api/citizen/reports/{made.json()['id']}", headers=w.alice.headers)
    assert _at(stored.json()["location"]) == pytest.approx(P, abs=1e-5)  # not ~500 m off
    # Without the header, a body without coordSys is WGS-84, as before.
    plain = {**body, "location": {"lat": P[0], "lon": P[1]}, "mediaIds": []}
    plain["mediaIds"] = [await upload_photo(w.api.client, w.alice, seed=4243)]
    made = await w.api.post("/api/citizen/reports", json=plain, headers=w.alice.headers)
    assert made.status_code == 201, made.text
    assert _at(made.json()["location"]) == pytest.approx(P, abs=1e-6)
