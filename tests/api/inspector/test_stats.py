"""My numbers: reports, on-time verifications and checks, rework rate, patrol km, coverage."""

import datetime as dt

import pytest

from core import clock
from tests.api.inspector.field import citizen_report, ok, photo, resolved_case
from tests.cases_city import build_city
from tests.helpers import assert_problem

STATS = "/api/inspector/me/stats"


@pytest.fixture
async def city(api):
    return await build_city(api)


async def test_week_and_month_numbers(api, city):
    to_verify = await citizen_report(api, await api.citizen())
    await ok(api, city.inspector, to_verify, "verify", {"valid": True})
    reworked = await resolved_case(api, city)
    await ok(api, city.inspector, reworked, "check", {"passed": False, "reason": "没扫干净"})
    closed = await resolved_case(api, city)
    await ok(api, city.inspector, closed, "close", {"mediaIds": [await photo(api, city.inspector)]})
    start = clock.now() - dt.timedelta(minutes=2)
    patrol = (
        await api.post(
            "/api/inspector/patrols",
            json={"occurredAt": start.isoformat()},
            headers=city.inspector.headers,
        )
    ).json()
    fixes = [
        {
            "at": (start + dt.timedelta(seconds=5 * i)).isoformat(),
            "lat": 36.0575,
            "lon": 120.3712 + i * 0.00007,
        }
        for i in range(21)
    ]
    await api.post(
        f"/api/inspector/patrols/{patrol['id']}/track",
        json={"fixes": fixes},
        headers=city.inspector.headers,
    )
    await api.post(
        f"/api/inspector/patrols/{patrol['id']}/end", json={}, headers=city.inspector.headers
    )
    for period in ("week", "month"):
        response = await api.get(STATS, params={"period": period}, headers=city.inspector.headers)
        assert response.status_code == 200, response.text
        stats = response.json()
        assert stats["period"] == period
        assert stats["reportsFiled"] == 2  # the two patrol reports behind resolved_case
        assert (stats["verifications"], stats["verificationsOnTime"]) == (1, 1)
        assert (stats["checks"], stats["checksOnTime"]) == (2, 2)
        assert stats["reworkRate"] == 0.5
        assert stats["patrols"] == 1 and stats["patrolKm"] == pytest.approx(0.126, abs=0.005)
        assert 0 < stats["coverage"] < 0.05 and len(stats["grids"]) == 12


async def test_an_idle_handler_has_zeros(api, city):
    stats = (await api.get(STATS, headers=city.handler_sz.headers)).json()
    assert stats["reportsFiled"] == 0 and stats["reworkRate"] is None
    assert stats["patrolKm"] == 0 and stats["coverage"] is None and stats["grids"] == []


async def test_unknown_period_is_refused(api, city):
    response = await api.get(STATS, params={"period": "year"}, headers=city.inspector.headers)
    assert_problem(response, 400, "request.invalid")
