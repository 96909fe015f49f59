"""Patrols: start, track batches (any order, duplicates ignored, idempotent), end, summary."""

import datetime as dt
import random

import pytest

from core import clock
from patrols.tables import PatrolFix
from tests.api.inspector.field import patrol_report
from tests.cases_city import IN_GRID, build_city
from tests.helpers import assert_problem

PATROLS = "/api/inspector/patrols"
SW_GRID = "370202001001001"
LAT = 36.0575
LON0, STEP = 120.3712, 0.00007  # ~6.3 m of longitude: one fix every 5 s at walking pace


@pytest.fixture
async def city(api):
    return await build_city(api)


def _walk(start: dt.datetime, n: int) -> list[dict]:
    return [
        {
            "at": (start + dt.timedelta(seconds=5 * i)).isoformat(),
            "lat": LAT,
            "lon": LON0 + i * STEP,
            "accuracy": 8.0,
        }
        for i in range(n)
    ]


async def _start(api, session, **body):
    response = await api.post(PATROLS, json=body, headers=session.headers)
    assert response.status_code == 201, response.text
    return response.json()


async def _track(api, session, patrol_id, fixes, key=None, **extra):
    headers = {**session.headers, **({"Idempotency-Key": key} if key else {})}
    return await api.post(
        f"{PATROLS}/{patrol_id}/track", json={"fixes": fixes, **extra}, headers=headers
    )


async def _duty(api, city, grid_code=SW_GRID):
    response = await api.post(
        "/api/admin/patrol-duties",
        headers=city.operator.headers,
        json={
            "staffId": city.inspector.subject_id,
            "gridCode": grid_code,
            "startsAt": (clock.now() - dt.timedelta(hours=1)).isoformat(),
            "endsAt": (clock.now() + dt.timedelta(hours=7)).isoformat(),
            "note": "早班",
        },
    )
    assert response.status_code == 201, response.text
    return response.json()


async def test_a_patrol_from_start_to_summary(api, city):
    await _duty(api, city)
    begin = clock.now() - dt.timedelta(minutes=10)
    patrol = await _start(
        api, city.inspector, occurredAt=begin.isoformat(), location={"lat": LAT, "lon": LON0}
    )
    assert patrol["state"] == "active" and patrol["fixCount"] == 1
    fixes = _walk(begin, 87)  # ~540 m
    fixes[40] = {**fixes[40], "lat": LAT + 0.01}  # one GPS jump of 1.1 km
    random.Random(4).shuffle(fixes)
    first = await _track(api, city.inspector, patrol["id"], fixes[:50] + fixes[:10], key="t1")
    assert first.status_code == 200, first.text
    assert first.json() == {"accepted": 49, "duplicates": 11, "total": 50}  # t0 came at start
    replay = await _track(api, city.inspector, patrol["id"], fixes[:50] + fixes[:10], key="t1")
    assert replay.json() == first.json() and replay.headers["Idempotent-Replayed"] == "true"
    again = await _track(api, city.inspector, patrol["id"], fixes[40:])  # overlap, no key
    assert again.json() == {"accepted": 37, "duplicates": 10, "total": 87}
    assert await PatrolFix.count() == 87
    filed = (await patrol_report(api, city.inspector, at=(LAT, LON0 + 0.001))).json()
    live = (await api.get(f"{PATROLS}/{patrol['id']}", headers=city.inspector.headers)).json()
    assert live["state"] == "active" and live["summary"]["casesReported"] == [filed["case"]["id"]]
    ended = await api.post(
        f"{PATROLS}/{patrol['id']}/end",
        headers=city.inspector.headers,
        json={"occurredAt": clock.now().isoformat()},
    )
    assert ended.status_code == 200, ended.text
    summary = ended.json()["summary"]
    assert summary["distanceM"] == pytest.approx(86 * 6.3, rel=0.02)  # the jump left out
    assert summary["droppedFixes"] == 1 and summary["fixes"] == 87
    assert 590 <= summary["durationS"] <= 610
    [grid] = summary["grids"]  # the duty's grid only
    assert grid["code"] == SW_GRID and 0.05 < grid["share"] < 0.2
    assert summary["casesReported"] == [filed["case"]["id"]]
    stored = (await api.get(f"{PATROLS}/{patrol['id']}", headers=city.inspector.headers)).json()
    assert stored["summary"] == summary and stored["state"] == "ended"
    listed = (await api.get(PATROLS, headers=city.inspector.headers)).json()
    assert [p["id"] for p in listed] == [patrol["id"]]


async def test_without_duties_every_assigned_grid_is_summarised(api, city):
    patrol = await _start(api, city.inspector)
    await _track(
        api, city.inspector, patrol["id"], _walk(clock.now() - dt.timedelta(minutes=5), 20)
    )
    ended = (
        await api.post(f"{PATROLS}/{patrol['id']}/end", json={}, headers=city.inspector.headers)
    ).json()
    shares = {g["code"]: g["share"] for g in ended["summary"]["grids"]}
    assert len(shares) == 12 and shares[SW_GRID] > 0
    assert sum(1 for share in shares.values() if share > 0) == 1


async def test_one_patrol_at_a_time_and_ending_twice_is_refused(api, city):
    patrol = await _start(api, city.inspector)
    response = await api.post(PATROLS, json={}, headers=city.inspector.headers)
    body = assert_problem(response, 409, "patrol.already_active")
    assert body["activePatrolId"] == patrol["id"]
    url = f"{PATROLS}/{patrol['id']}/end"
    assert (await api.post(url, json={}, headers=city.inspector.headers)).status_code == 200
    assert_problem(
        await api.post(url, json={}, headers=city.inspector.headers), 409, "patrol.ended"
    )
    late = await _track(api, city.inspector, patrol["id"], _walk(clock.now(), 1))
    assert_problem(late, 409, "patrol.ended")


async def test_batches_over_the_limit_are_refused(api, city):
    patrol = await _start(api, city.inspector)
    fixes = _walk(clock.now() - dt.timedelta(hours=2), 1001)
    body = assert_problem(
        await _track(api, city.inspector, patrol["id"], fixes), 413, "patrol.batch_too_large"
    )
    assert body["limit"] == 1000
    ok = await _track(api, city.inspector, patrol["id"], fixes[:1000])
    assert ok.status_code == 200 and ok.json()["accepted"] == 1000


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        ({"lat": 91.0}, "range"),
        ({"lon": -181.0}, "range"),
        ({"lat": 0.0, "lon": 0.0}, "0,0"),
        ({"accuracy": -1.0}, "accuracy"),
    ],
)
async def test_impossible_fixes_are_refused_with_their_index(api, city, change, reason):
    patrol = await _start(api, city.inspector)
    fixes = _walk(clock.now() - dt.timedelta(minutes=5), 3)
    fixes[2] = {**fixes[2], **change}
    body = assert_problem(
        await _track(api, city.inspector, patrol["id"], fixes), 422, "patrol.invalid_fix"
    )
    assert body["index"] == 2
    assert await PatrolFix.count() == 0  # nothing of a refused batch is kept


async def test_fixes_in_the_future_are_refused(api, city):
    patrol = await _start(api, city.inspector)
    fixes = _walk(clock.now() + dt.timedelta(hours=1), 2)
    body = assert_problem(
        await _track(api, city.inspector, patrol["id"], fixes), 422, "patrol.invalid_fix"
    )
    assert body["index"] == 0
    response = await api.post(
        PATROLS, headers=city.inspector.headers, json={"occurredAt": fixes[0]["at"]}
    )
    assert_problem(response, 422, "request.time_in_future")


async def test_fixes_in_gcj02_are_stored_as_wgs84(api, city):
    from org.geo import wgs84_to_gcj02

    patrol = await _start(api, city.inspector)
    lat, lon = wgs84_to_gcj02(*IN_GRID)
    fixes = [{"at": clock.now().isoformat(), "lat": lat, "lon": lon}]
    response = await _track(api, city.inspector, patrol["id"], fixes, coordSys="gcj02")
    assert response.status_code == 200, response.text
    stored = await PatrolFix.objects().first()
    assert (stored.lat, stored.lon) == (
        pytest.approx(IN_GRID[0], abs=1e-6),
        pytest.approx(IN_GRID[1], abs=1e-6),
    )


async def test_malformed_patrol_ids_and_bodies(api, city):
    assert (await api.get(f"{PATROLS}/nope", headers=city.inspector.headers)).status_code in (
        400,
        404,
    )
    patrol = await _start(api, city.inspector)
    response = await api.post(
        f"{PATROLS}/{patrol['id']}/track", json={"fixes": "x"}, headers=city.inspector.headers
    )
    assert_problem(response, 400, "request.invalid")
