"""Reward types and limits through HTTP: per-citizen limits per city day or month (also under
parallel requests), charitable donations of points, vouchers valid for N days."""

import asyncio
import datetime as dt

import pytest

from core import clock
from core.db import raw
from rewards.limits import period_start
from tests.helpers import assert_problem, refreshed
from tests.rewards.support import balance, citizen_id, history, ledger_sums, new_reward, seed_points

PERIOD = "rewards.period_limit_reached"


@pytest.fixture
async def admin(api):
    return await api.staff("admin")


async def _redeem(api, citizen, reward_id):
    return await api.post(f"/api/citizen/rewards/{reward_id}/redeem", headers=citizen.headers)


def test_period_start_is_the_city_day_or_month():
    moment = dt.datetime(2026, 3, 31, 17, 30, tzinfo=dt.UTC)  # 1 April 01:30 in Shanghai
    assert period_start("day", moment) == dt.datetime(2026, 3, 31, 16, 0, tzinfo=dt.UTC)
    assert period_start("month", moment) == dt.datetime(2026, 3, 31, 16, 0, tzinfo=dt.UTC)
    assert period_start("month", moment - dt.timedelta(hours=2)) == dt.datetime(
        2026, 2, 28, 16, 0, tzinfo=dt.UTC
    )


async def test_daily_limit_per_citizen_resets_the_next_city_day(api, admin):
    citizen, other = await api.citizen(), await api.citizen()
    for session in (citizen, other):
        await seed_points(citizen_id(session), 1000)
    reward = await new_reward(api, admin, cost=10, stock=20, period_limit=2, limit_period="day")
    assert (reward["periodLimit"], reward["limitPeriod"]) == (2, "day")
    first = (await _redeem(api, citizen, reward["id"])).json()
    assert (await _redeem(api, citizen, reward["id"])).status_code == 201
    body = assert_problem(await _redeem(api, citizen, reward["id"]), 409, PERIOD)
    assert (body["limit"], body["period"]) == (2, "day")
    assert (await _redeem(api, other, reward["id"])).status_code == 201  # per citizen
    # A cancelled redemption gives its place back.
    cancel = f"/api/citizen/redemptions/{first['id']}/cancel"
    assert (await api.post(cancel, headers=citizen.headers)).status_code == 200
    assert (await _redeem(api, citizen, reward["id"])).status_code == 201
    assert_problem(await _redeem(api, citizen, reward["id"]), 409, PERIOD)
    clock.travel(dt.timedelta(days=1))
    citizen = await refreshed(api.client, citizen)
    assert (await _redeem(api, citizen, reward["id"])).status_code == 201
    assert await balance(api, citizen) == 1000 - 3 * 10  # the cancelled one refunded


async def test_monthly_limit(api, admin):
    citizen = await api.citizen()
    await seed_points(citizen_id(citizen), 1000)
    reward = await new_reward(api, admin, cost=10, stock=20, period_limit=1, limit_period="month")
    assert (await _redeem(api, citizen, reward["id"])).status_code == 201
    body = assert_problem(await _redeem(api, citizen, reward["id"]), 409, PERIOD)
    assert "每人每月最多兑换 1 次" in body["detail"]


async def test_parallel_redeems_never_pass_the_period_limit_stock_or_balance(api, admin):
    """8 citizens send 6 redeems each at once: each may have 3 a day and afford 4, stock 20."""
    reward = await new_reward(api, admin, cost=10, stock=20, period_limit=3, limit_period="day")
    citizens = [await api.citizen() for _ in range(8)]
    poor = citizens[0]  # can afford one only
    seeded = {citizen_id(c): (10 if c is poor else 40) for c in citizens}
    for cid, points in seeded.items():
        await seed_points(cid, points)
    url = f"/api/citizen/rewards/{reward['id']}/redeem"
    responses = await asyncio.gather(
        *[api.post(url, headers=c.headers) for _ in range(6) for c in citizens]
    )
    codes = [r.json()["code"] for r in responses if r.status_code != 201]
    assert all(r.status_code in (201, 409) for r in responses)
    assert set(codes) <= {PERIOD, "points.insufficient", "rewards.out_of_stock"}
    rows = await raw("SELECT citizen_id, COUNT(*) AS n FROM redemption GROUP BY citizen_id")
    per_citizen = {row["citizen_id"]: int(row["n"]) for row in rows}
    assert per_citizen[citizen_id(poor)] == 1
    assert max(per_citizen.values()) <= 3
    assert sum(per_citizen.values()) == 1 + 3 * 7 - 2 == 20  # 22 allowed, stock 20
    stock = await raw("SELECT stock FROM reward WHERE public_id = {}", reward["id"])
    assert stock[0]["stock"] == 0
    sums = await ledger_sums()
    for cid, points in seeded.items():
        assert sums[cid] == points - 10 * per_citizen.get(cid, 0) >= 0


async def test_donation_gives_points_to_the_charity_at_once(api, admin):
    citizen = await api.citizen()
    await seed_points(citizen_id(citizen), 100)
    reward = await new_reward(
        api,
        admin,
        name="捐 50 积分助学",
        cost=50,
        stock=1000,
        fulfilment="donation",
        partner="青岛市慈善总会",
    )
    done = await _redeem(api, citizen, reward["id"])
    assert done.status_code == 201, done.text
    assert (done.json()["status"], done.json()["expiresAt"]) == ("fulfilled", None)
    entry = (await history(api, citizen))[0]
    assert (entry["amount"], entry["code"], entry["note"]) == (-50, "donated", "青岛市慈善总会")
    assert entry["description"] == "捐赠积分给「青岛市慈善总会」"
    assert_problem(
        await api.post(
            f"/api/citizen/redemptions/{done.json()['id']}/cancel", headers=citizen.headers
        ),
        409,
        "rewards.already_fulfilled",
    )
    assert await balance(api, citizen) == 50


async def test_voucher_valid_for_n_days(api, admin):
    citizen, inspector = await api.citizen(), await api.staff("inspector")
    await seed_points(citizen_id(citizen), 100)
    reward = await new_reward(api, admin, cost=10, voucher_days=7)
    redemption = (await _redeem(api, citizen, reward["id"])).json()
    expires = dt.datetime.fromisoformat(redemption["expiresAt"])
    assert abs(expires - clock.now() - dt.timedelta(days=7)) < dt.timedelta(minutes=1)
    clock.travel(dt.timedelta(days=8))
    inspector = await refreshed(api.client, inspector)
    assert_problem(
        await api.post(
            "/api/inspector/vouchers/verify",
            headers=inspector.headers,
            json={"code": redemption["voucherCode"], "place": "便民服务中心"},
        ),
        409,
        "rewards.voucher_expired",
    )


async def test_reward_type_and_limit_bad_input(api, admin):
    base = {"name": "x", "cost": 10, "stock": 1, "fulfilment": "voucher"}
    for extra, status, code in [
        ({"limitPeriod": "week", "periodLimit": 1}, 400, "request.invalid"),
        ({"periodLimit": 2}, 422, "rewards.invalid"),
        ({"voucherDays": -1}, 400, "request.invalid"),
        ({"fulfilment": "donation"}, 422, "rewards.invalid"),  # no charity named
        ({"fulfilment": "raffle"}, 400, "request.invalid"),
    ]:
        response = await api.post(
            "/api/admin/rewards", json={**base, **extra}, headers=admin.headers
        )
        assert_problem(response, status, code)
