"""My grids with polygons and today's duties; admins set the duties."""

import datetime as dt

import pytest

from core import clock
from org.geo import wgs84_to_gcj02
from tests.cases_city import build_city
from tests.helpers import assert_problem

DUTIES = "/api/admin/patrol-duties"
SW_GRID = "370202001001001"


@pytest.fixture
async def city(api):
    return await build_city(api)


def _window(start_h: float, end_h: float) -> dict:
    now = clock.now()
    return {
        "startsAt": (now + dt.timedelta(hours=start_h)).isoformat(),
        "endsAt": (now + dt.timedelta(hours=end_h)).isoformat(),
    }


async def _create(api, city, **body):
    payload = {"staffId": city.inspector.subject_id, "gridCode": SW_GRID, **_window(0, 4), **body}
    return await api.post(DUTIES, json=payload, headers=city.operator.headers)


async def test_my_grids_come_with_polygons_and_todays_duties(api, city):
    created = await _create(api, city, note="早班")
    assert created.status_code == 201, created.text
    await _create(api, city, **_window(48, 52))  # the day after tomorrow: not today
    response = await api.get("/api/inspector/grids", headers=city.inspector.headers)
    assert response.status_code == 200, response.text
    grids = response.json()
    assert len(grids) == 12 and grids[0]["code"] == SW_GRID
    assert grids[0]["geometry"]["type"] == "Polygon"
    ring = grids[0]["geometry"]["coordinates"][0]
    assert ring[0] == ring[-1] and 120.3 < ring[0][0] < 120.4 and 36.0 < ring[0][1] < 36.1
    assert [d["note"] for d in grids[0]["duties"]] == ["早班"]
    assert all(g["duties"] == [] for g in grids[1:])
    shifted = (
        await api.get(
            "/api/inspector/grids", params={"coordSys": "gcj02"}, headers=city.inspector.headers
        )
    ).json()
    lat, lon = wgs84_to_gcj02(ring[0][1], ring[0][0])
    assert shifted[0]["geometry"]["coordinates"][0][0] == [
        pytest.approx(lon, abs=1e-6),
        pytest.approx(lat, abs=1e-6),
    ]
    assert shifted[0]["coordSys"] == "gcj02"


async def test_handlers_have_no_grids(api, city):
    response = await api.get("/api/inspector/grids", headers=city.handler_hw.headers)
    assert response.status_code == 200 and response.json() == []


async def test_admin_lists_and_removes_duties(api, city):
    duty = (await _create(api, city)).json()
    assert duty["staffId"] == city.inspector.subject_id and duty["createdBy"] > 0
    today = clock.city_now().date().isoformat()
    listed = await api.get(
        DUTIES, params={"day": today, "gridCode": SW_GRID}, headers=city.operator.headers
    )
    assert [d["id"] for d in listed.json()] == [duty["id"]]
    other_day = (clock.city_now().date() + dt.timedelta(days=5)).isoformat()
    assert (
        await api.get(DUTIES, params={"day": other_day}, headers=city.operator.headers)
    ).json() == []
    removed = await api.delete(f"{DUTIES}/{duty['id']}", headers=city.operator.headers)
    assert removed.status_code == 204
    assert_problem(
        await api.delete(f"{DUTIES}/{duty['id']}", headers=city.operator.headers),
        404,
        "patrol.duty_not_found",
    )


@pytest.mark.parametrize(
    "body",
    [
        _window(4, 2),  # ends before it starts
        _window(0, 30),  # longer than a day
        _window(-5, -1),  # already over
    ],
)
async def test_invalid_duty_windows_are_refused(api, city, body):
    assert_problem(await _create(api, city, **body), 422, "patrol.invalid_duty")


async def test_duties_are_for_inspectors_of_the_grid(api, city):
    assert_problem(
        await _create(api, city, staffId=city.handler_hw.subject_id), 422, "patrol.invalid_duty"
    )
    stranger = await api.staff("inspector")
    assert_problem(
        await _create(api, city, staffId=stranger.subject_id), 422, "patrol.invalid_duty"
    )
    assert_problem(await _create(api, city, gridCode="999999"), 422, "grid.unknown")
