"""The citizen's points endpoints: balance, history pages, leaderboard."""

import datetime as dt

from core import clock
from core.db import transaction
from points import service as ledger
from tests.helpers import assert_problem
from tests.rewards.support import citizen_id, seed_points


async def _accepted(account_id: int, case_id: int, points: int = 5) -> None:
    """What the award on 立案 writes (the full flow is in tests/points)."""
    async with transaction():
        await ledger.post(
            account_id=account_id,
            amount=points,
            kind="earn",
            reference=f"case:{case_id}:accept",
            subject=f"case:{case_id}",
            reason="accept",
        )


async def test_balance_of_a_new_citizen(api):
    citizen = await api.citizen()
    response = await api.get("/api/citizen/points", headers=citizen.headers)
    assert response.status_code == 200
    assert response.json() == {"balance": 0, "expiringSoon": 0, "expiringAt": None}
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


async def test_leaderboard_this_month_masked(api):
    zhang, li, wang = await api.citizen(), await api.citizen(), await api.citizen()
    await api.patch("/api/citizen/me", json={"nickname": "张三丰"}, headers=zhang.headers)
    await api.patch("/api/citizen/me", json={"nickname": "李四"}, headers=li.headers)
    # Last month's reports do not count.
    clock.travel(dt.timedelta(days=-40))
    for case in range(100, 105):
        await _accepted(citizen_id(wang), case)
    clock.reset()
    await _accepted(citizen_id(zhang), 1)
    await _accepted(citizen_id(li), 2)
    await _accepted(citizen_id(li), 3, points=0)  # capped awards count as reports too
    await _accepted(citizen_id(zhang), 4)
    await _accepted(citizen_id(li), 5)
    async with transaction():  # case 5 was found invalid: the award was reversed
        await ledger.post(
            account_id=citizen_id(li),
            amount=-5,
            kind="adjust",
            reference="case:5:reversal",
            subject="case:5",
        )
    await seed_points(citizen_id(wang), 500)  # points without reports do not rank
    board = await api.get("/api/citizen/points/leaderboard", headers=li.headers)
    assert board.status_code == 200
    body = board.json()
    assert body["month"] == clock.city_now().strftime("%Y-%m")
    assert [(x["rank"], x["name"], x["acceptedReports"], x["me"]) for x in body["leaders"]] == [
        (1, "张**", 2, False),
        (2, "李*", 2, True),
    ]
    assert "三丰" not in board.text
