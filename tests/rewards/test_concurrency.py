"""Many redeem requests at once, in-process (SQLite by default; PostgreSQL when
CITYOPS_TEST_DATABASE_URL is set): exactly as many succeed as stock and balances allow."""

import asyncio

import pytest

from core.db import raw
from tests.rewards.support import balance, citizen_id, history, ledger_sums, new_reward, seed_points

COST = 10
CITIZENS = 20
REQUESTS_EACH = 10  # 200 in all


async def _setup(api, *, stock: int):
    admin = await api.staff("admin")
    reward = await new_reward(api, admin, cost=COST, stock=stock)
    citizens = [await api.citizen() for _ in range(CITIZENS)]
    affordable = {}
    for index, citizen in enumerate(citizens):
        # Balances cover 0, 1 or 2 redemptions (plus change), so many requests must fail.
        points = COST * (index % 3) + (index % 3) * 3
        if points:
            await seed_points(citizen_id(citizen), points)
        affordable[citizen_id(citizen)] = index % 3
    return reward, citizens, affordable


async def check_books(
    api, citizens, reward_id: str, *, stock: int, successes: int, seeded: dict[int, int]
) -> None:
    """Stock and balances add up, and the ledger sum is every account's balance."""
    rows = await raw("SELECT stock FROM reward WHERE public_id = {}", reward_id)
    assert rows[0]["stock"] == stock - successes >= 0
    redemptions = await raw("SELECT citizen_id, cost FROM redemption")
    assert len(redemptions) == successes
    spent: dict[int, int] = {}
    for row in redemptions:
        spent[row["citizen_id"]] = spent.get(row["citizen_id"], 0) + row["cost"]
    sums = await ledger_sums()
    for citizen in citizens:
        cid = citizen_id(citizen)
        shown = await balance(api, citizen)
        assert shown == sums.get(cid, 0) == seeded.get(cid, 0) - spent.get(cid, 0) >= 0
        assert sum(e["amount"] for e in await history(api, citizen)) == shown


def _tally(responses) -> tuple[int, dict[str, int]]:
    ok, refused = 0, {}
    for response in responses:
        if response.status_code == 201:
            ok += 1
            continue
        assert response.status_code == 409, response.text
        assert response.headers["content-type"].startswith("application/problem+json")
        code = response.json()["code"]
        assert code in ("rewards.out_of_stock", "points.insufficient"), code
        refused[code] = refused.get(code, 0) + 1
    return ok, refused


@pytest.mark.parametrize("stock", [10, 50])
async def test_200_parallel_redeems(api, stock):
    reward, citizens, affordable = await _setup(api, stock=stock)
    seeded = {cid: COST * n + n * 3 for cid, n in affordable.items() if n}
    url = f"/api/citizen/rewards/{reward['id']}/redeem"
    requests = [api.post(url, headers=c.headers) for c in citizens for _ in range(REQUESTS_EACH)]
    ok, refused = _tally(await asyncio.gather(*requests))
    expected = min(stock, sum(min(n, REQUESTS_EACH) for n in affordable.values()))
    assert ok == expected
    assert refused.get("points.insufficient", 0) > 0
    if stock < expected + 1:
        assert refused.get("rewards.out_of_stock", 0) > 0 or ok == stock
    await check_books(api, citizens, reward["id"], stock=stock, successes=ok, seeded=seeded)


async def test_one_key_sent_20_times_at_once_redeems_once(api):
    admin, citizen = await api.staff("admin"), await api.citizen()
    reward = await new_reward(api, admin, cost=COST, stock=5)
    await seed_points(citizen_id(citizen), 100)
    headers = {**citizen.headers, "Idempotency-Key": "tap-tap-tap"}
    url = f"/api/citizen/rewards/{reward['id']}/redeem"
    responses = await asyncio.gather(*[api.post(url, headers=headers) for _ in range(20)])
    assert {r.status_code for r in responses} == {201}
    assert len({r.json()["id"] for r in responses}) == 1
    assert await balance(api, citizen) == 100 - COST
    await check_books(
        api, [citizen], reward["id"], stock=5, successes=1, seeded={citizen_id(citizen): 100}
    )
