"""GET /api/public/cases: the public map, within the visibility policy (cases.visibility),
clustered when zoomed out, in the coordinate system asked for, and hostile to bad input."""

from __future__ import annotations

import pytest

from org.geo import wgs84_to_gcj02
from tests.api.visibility_support import World, build_world, operator, report
from tests.helpers import assert_problem

MAP = "/api/public/cases"
P1 = (36.0574, 120.3745)  # in the cell whose centre is CENTRE (0.002° x 0.0025°)
CENTRE = (36.057, 120.37375)
FAR = (36.0665, 120.3935)
PRIVATE = "E0502"  # 流浪乞讨: private position, accepted at once
BOX = "120.36,36.05,120.40,36.07"


@pytest.fixture
async def w(api) -> World:
    return await build_world(api)


async def _map(w: World, **params) -> dict:
    response = await w.api.get(MAP, params={"bbox": BOX, **params})
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("application/geo+json")
    body = response.json()
    assert body["type"] == "FeatureCollection"
    return body


def _near(point, expected, tolerance=1e-7) -> bool:
    return all(abs(a - b) < tolerance for a, b in zip(point, expected, strict=True))


async def test_points_show_public_cases_only_at_their_public_position(w):
    pending = await report(w, at=P1)  # reported, not yet accepted: not public
    accepted = await report(w, at=P1, description="电话13800000000的人说的")
    await operator(w, accepted.id, "accept")
    private = await report(w, category=PRIVATE, at=P1, who=w.bob)

    body = await _map(w, zoom=17)
    assert body["clustered"] is False and body["coordSys"] == "wgs84"
    by_id = {f["properties"]["id"]: f for f in body["features"]}
    assert set(by_id) == {accepted.id, private.id}, pending.id
    lon, lat = by_id[private.id]["geometry"]["coordinates"]
    assert _near((lat, lon), CENTRE)  # never the exact point
    lon, lat = by_id[accepted.id]["geometry"]["coordinates"]
    assert _near((lat, lon), P1)  # a pothole is where it is
    text = str(body)
    assert "138" not in text and "description" not in text and "reporter" not in text
    # A box around the exact private point alone does not find it (filters use the centre).
    tight = f"{P1[1] - 0.0001},{P1[0] - 0.0001},{P1[1] + 0.0001},{P1[0] + 0.0001}"
    around = await _map(w, zoom=18, bbox=tight)
    assert {f["properties"]["id"] for f in around["features"]} == {accepted.id}

    only = await _map(w, zoom=17, category=PRIVATE, state="dispatched,accepted")
    assert [f["properties"]["id"] for f in only["features"]] == [private.id]


async def test_zoomed_out_cases_come_as_counts_per_cell(w):
    for _ in range(3):
        await report(w, category=PRIVATE, at=P1, who=await w.api.citizen())
    far = await report(w, at=FAR)
    await operator(w, far.id, "accept")

    body = await _map(w, zoom=12)
    assert body["clustered"] is True and body["zoom"] == 12
    clusters = {f["properties"]["count"]: f["geometry"]["coordinates"] for f in body["features"]}
    assert sorted(clusters) == [1, 3]
    lon, lat = clusters[3]
    assert _near((lat, lon), CENTRE, 1e-6)  # the mean of public positions: the cell centre
    lon, lat = clusters[1]
    assert _near((lat, lon), FAR, 1e-6)
    # Without a zoom, a city-sized box is a zoomed-out view: clustered too.
    derived = await _map(w, bbox="119.5,35.5,121.5,37.0")
    assert derived["clustered"] is True
    assert sum(f["properties"]["count"] for f in derived["features"]) == 4


async def test_gcj02_box_and_answer(w):
    private = await report(w, category=PRIVATE, at=P1)
    lat, lon = wgs84_to_gcj02(*CENTRE)
    box = f"{lon - 0.001},{lat - 0.001},{lon + 0.001},{lat + 0.001}"  # a GCJ-02 box
    body = await _map(w, zoom=17, bbox=box, coordSys="gcj02")
    assert body["coordSys"] == "gcj02"
    (feature,) = body["features"]
    assert feature["properties"]["id"] == private.id
    assert _near(feature["geometry"]["coordinates"], (round(lon, 7), round(lat, 7)), 1e-6)
    # The same box read as WGS-84 is ~500 m off: nothing there.
    assert (await _map(w, zoom=17, bbox=box))["features"] == []


@pytest.mark.parametrize(
    ("params", "status", "code"),
    [
        ({}, 400, "request.invalid"),
        ({"bbox": "1,2,3"}, 400, "public.bad_query"),
        ({"bbox": "a,b,c,d"}, 400, "public.bad_query"),
        ({"bbox": "10,10,5,5"}, 400, "public.bad_query"),
        ({"bbox": "nan,0,1,1"}, 400, "public.bad_query"),
        ({"bbox": "-200,0,1,1"}, 400, "public.bad_query"),
        ({"bbox": BOX, "state": "reported"}, 400, "public.bad_query"),
        (
            {"bbox": BOX, "category": ",".join(f"E{i:04}" for i in range(60))},
            400,
            "public.bad_query",
        ),
        ({"bbox": BOX, "zoom": "23"}, 400, "request.invalid"),
        ({"bbox": BOX, "coordSys": "mars"}, 400, "request.invalid"),
        ({"bbox": "-180,-90,180,90", "zoom": "12"}, 400, "public.bbox_too_large"),
    ],
)
async def test_bad_map_queries_are_problems(api, params, status, code):
    assert_problem(await api.get(MAP, params=params), status, code)


async def test_the_map_is_rate_limited_per_client(api, settings_env):
    from api.limits import public_map_limiter

    settings_env(CITYOPS_PUBLIC_MAP_RATE_LIMIT="2")
    public_map_limiter.counts.clear()  # earlier tests' counts in this process and minute
    for _ in range(2):
        assert (await api.get(MAP, params={"bbox": BOX})).status_code == 200
    limited = await api.get(MAP, params={"bbox": BOX})
    assert_problem(limited, 429, "rate_limited")
    assert int(limited.headers["Retry-After"]) >= 1


async def test_one_public_case_shows_the_public_view_only(w):
    pending = await report(w, at=P1)
    assert_problem(await w.api.get(f"{MAP}/{pending.id}"), 404, "case.not_found")
    assert_problem(await w.api.get(f"{MAP}/c_nothing"), 404, "case.not_found")
    hidden = await report(w, category=PRIVATE, at=P1, anonymous=True, description="门口有人")
    response = await w.api.get(f"{MAP}/{hidden.id}", params={"coordSys": "gcj02"})
    assert response.status_code == 200 and response.json()["coordSys"] == "gcj02"
    feature = response.json()
    assert feature["properties"]["description"] == "" and feature["properties"]["address"] == ""
    lat, lon = wgs84_to_gcj02(*CENTRE)
    assert _near(feature["geometry"]["coordinates"], (lon, lat), 1e-6)
    shown = await report(w, at=P1, description="井盖缺失")
    await operator(w, shown.id, "accept")
    text = (await w.api.get(f"{MAP}/{shown.id}")).json()["properties"]
    assert text["description"] == "井盖缺失" and "reporter" not in str(text)
