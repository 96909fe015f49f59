"""The visibility policy on positions (cases of private categories are shown at the centre
of a fixed ~200 m cell on every public path, and filters use that centre) and the rate
limit of the similar-reports check."""

from __future__ import annotations

import pytest

from org.geo import distance_m, wgs84_to_gcj02
from tests.api.visibility_support import (
    V2,
    World,
    build_world,
    follow,
    open311_list,
    open311_one,
    report,
    similar,
    view,
)
from tests.helpers import assert_problem

# Two points of one cell of the grid (0.002° x 0.0025°), and that cell's centre.
P1 = (36.0574, 120.3745)
P2 = (36.0562, 120.3729)
CENTRE = (36.057, 120.37375)
PRIVATE = "E0502"  # 流浪乞讨: where a person sleeps or begs; accepted at once (no 核实)


@pytest.fixture
async def w(api) -> World:
    return await build_world(api)


def _at(item: dict) -> tuple[float, float]:
    if "location" in item:
        return item["location"]["lat"], item["location"]["lon"]
    return item["lat"], item["long"]


def _is(point, expected) -> bool:
    return abs(point[0] - expected[0]) < 1e-9 and abs(point[1] - expected[1]) < 1e-9


async def _bbox(w: World, west, south, east, north) -> set[str]:
    return set(await open311_list(w, bbox=f"{west},{south},{east},{north}"))


async def test_private_categories_show_a_stable_coarse_position_on_every_public_path(w):
    categories = w.city.operator.headers
    seeded = await w.api.get(f"/api/admin/categories/{PRIVATE}", headers=categories)
    assert seeded.json()["privateLocation"] is True
    first = await report(w, category=PRIVATE, at=P1)
    second = await report(w, category=PRIVATE, at=P2, who=await w.api.citizen())
    ordinary = await report(w, category="E0102", at=P1)
    await w.api.post(f"/api/admin/cases/{ordinary.id}/accept", json={}, headers=categories)

    for _ in range(2):  # the same every time: nothing to average out
        listed = await open311_list(w)
        near = await similar(w, w.bob, first)
        for case in (first, second):
            assert _is(_at(listed[case.id]), CENTRE), listed[case.id]
            assert _is(_at((await open311_one(w, case.id))[1]), CENTRE)
            assert _is(_at(near[case.id]), CENTRE), near[case.id]
        # The distance is to the centre too: the same for both, not ~0 m for the first.
        assert near[first.id]["distanceM"] == near[second.id]["distanceM"]
        assert near[first.id]["distanceM"] == round(distance_m(*P1, *CENTRE))
    assert _is(_at(listed[ordinary.id]), P1)  # other categories: where the problem is

    assert (await follow(w, w.bob, first.id)).status_code == 200
    assert _is(_at((await view(w, w.bob, first.id)).json()), CENTRE)
    gcj = (await view(w, w.bob, first.id, coord_sys="gcj02")).json()["location"]
    expected = wgs84_to_gcj02(*CENTRE)
    assert abs(gcj["lat"] - expected[0]) < 1e-6 and abs(gcj["lon"] - expected[1]) < 1e-6
    assert _is(_at((await view(w, w.alice, first.id)).json()), P1)  # the reporter's own

    # Bounding boxes match the centre: one around the exact point alone finds nothing.
    around_p1 = (P1[1] - 0.0001, P1[0] - 0.0001, P1[1] + 0.0001, P1[0] + 0.0001)
    around_centre = (CENTRE[1] - 0.0001, CENTRE[0] - 0.0001, CENTRE[1] + 0.0001, CENTRE[0] + 0.0001)
    assert await _bbox(w, *around_p1) == {ordinary.id}
    assert await _bbox(w, *around_centre) == {first.id, second.id}


async def test_an_admin_marks_a_category_private(w):
    admin = await w.api.staff("admin")
    ordinary = await report(w, category="E0102", at=P1)
    await w.api.post(
        f"/api/admin/cases/{ordinary.id}/accept", json={}, headers=w.city.operator.headers
    )
    assert _is(_at((await open311_one(w, ordinary.id))[1]), P1)
    marked = await w.api.patch(
        "/api/admin/categories/E0102", json={"privateLocation": True}, headers=admin.headers
    )
    assert marked.status_code == 200 and marked.json()["privateLocation"] is True, marked.text
    assert _is(_at((await open311_one(w, ordinary.id))[1]), CENTRE)
    audit = await w.api.get(
        "/api/admin/audit",
        params={"action": "category.update", "targetId": "E0102"},
        headers=admin.headers,
    )
    assert "private_location" in audit.json()["items"][0]["changed"]


async def test_similar_is_rate_limited_per_citizen(w, monkeypatch):
    from core import settings as settings_module

    filed = await report(w)
    monkeypatch.setenv("CITYOPS_SIMILAR_RATE_LIMIT", "3")
    settings_module.reload_settings()
    try:
        for _ in range(3):
            await similar(w, w.bob, filed)
        limited = await w.api.get(
            "/api/citizen/reports/similar",
            params={"lat": filed.at[0], "lon": filed.at[1], "category": filed.category},
            headers=w.bob.headers,
        )
        assert_problem(limited, 429, "rate_limited")
        assert int(limited.headers["Retry-After"]) >= 1
        assert filed.id in await similar(w, w.alice, filed)  # another citizen's own count
    finally:
        monkeypatch.delenv("CITYOPS_SIMILAR_RATE_LIMIT")
        settings_module.reload_settings()


async def test_open311_bbox_cannot_narrow_a_private_position_down(w):
    """Shrinking boxes around the exact point never find it; only boxes around the cell's
    centre do, whatever the exact point inside the cell."""
    filed = await report(w, category=PRIVATE, at=P1)
    for half in (0.0009, 0.0003, 0.00005):
        box = (P1[1] - half, P1[0] - half, P1[1] + half, P1[0] + half)
        found = filed.id in await _bbox(w, *box)
        contains_centre = box[0] <= CENTRE[1] <= box[2] and box[1] <= CENTRE[0] <= box[3]
        assert found == contains_centre, half
    response = await w.api.get(f"{V2}/requests.json", params={"bbox": "120.3,36.0,120.5,36.1"})
    assert filed.id in {r["service_request_id"] for r in response.json()}
