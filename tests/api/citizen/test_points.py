"""The citizen's points endpoints: balance, history pages, leaderboard."""

import datetime as dt

from core import clock
from tests.helpers import assert_problem
from tests.rewards.support import citizen_id, seed_points


async def test_balance_of_a_new_citizen(api):
    citizen = await api.citizen()
    response = await api.get("/api/citizen/points", headers=citizen.headers)
    assert response.status_code == 200
    assert response.json() == {"balance": 0, "expiringSoon": 0, "expiringAt": None, "held": 0}
    assert (await api.get("/api/citizen/points")).status_code == 401


async def test_history_pages_newest_first(api):
    citizen, other = await api.citizen(), await api.citizen()
    for amount in (1, 2, 3, 4, 5):
        await seed_points(citizen_id(citizen), amount)
        clock.travel(dt.timedelta(seconds=1))
    await seed_points(citizen_id(other), 99)
    seen, cursor = [], None
    while True:
        url = "/api/citizen/points/history?limit=2" + (f"&cursor={cursor}" if cursor else "")
        response = await api.get(url, headers=citizen.headers)
        assert response.status_code == 200, response.text
        page = response.json()
        assert len(page["items"]) <= 2
        seen += [e["amount"] for e in page["items"]]
        cursor = page["nextCursor"]
        if not cursor:
            break
    assert seen == [5, 4, 3, 2, 1]
    assert_problem(
        await api.get("/api/citizen/points/history?cursor=garbage", headers=citizen.headers),
        400,
        "request.invalid_cursor",
    )
    assert_problem(
        await api.get("/api/citizen/points/history?limit=0", headers=citizen.headers),
        400,
        "request.invalid",
    )
