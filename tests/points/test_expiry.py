"""Expiry: oldest first, by expire entries the periodic task writes; idempotent."""

import asyncio
import datetime as dt

from core import clock
from core.periodic import default_tasks
from points import expiry
from points.service import expiry_for
from tests.helpers import refreshed
from tests.rewards.support import (
    balance,
    citizen_id,
    history,
    new_reward,
    public_citizen_id,
    seed_points,
)


def test_points_last_until_the_end_of_the_next_year():
    earned = dt.datetime(2026, 3, 5, 8, 0, tzinfo=dt.UTC)
    assert expiry_for(earned) == dt.datetime(2027, 12, 31, 16, 0, tzinfo=dt.UTC)  # 2028-01-01 CST
    new_year_eve_local = dt.datetime(2026, 12, 31, 17, 0, tzinfo=dt.UTC)  # 01:00 on 1 Jan 2027
    assert expiry_for(new_year_eve_local) == dt.datetime(2028, 12, 31, 16, 0, tzinfo=dt.UTC)


def test_expiry_can_be_turned_off(monkeypatch):
    from core.settings import reload_settings

    monkeypatch.setenv("CITYOPS_POINTS_EXPIRE", "false")
    reload_settings()
    try:
        assert expiry_for(clock.now()) is None
    finally:
        monkeypatch.delenv("CITYOPS_POINTS_EXPIRE")
        reload_settings()


def test_expiry_is_a_registered_periodic_task():
    assert "points-expiry" in [name for name, _, _ in default_tasks()]


async def test_oldest_points_expire_first_and_only_once(api):
    admin, citizen = await api.staff("admin"), await api.citizen()
    cid = citizen_id(citizen)
    now = clock.now()
    await seed_points(cid, 100, expires_at=now + dt.timedelta(days=10))
    await seed_points(cid, 50, expires_at=now + dt.timedelta(days=400))
    reward = await new_reward(api, admin, cost=30, stock=5)
    redemption = (
        await api.post(f"/api/citizen/rewards/{reward['id']}/redeem", headers=citizen.headers)
    ).json()
    summary = (await api.get("/api/citizen/points", headers=citizen.headers)).json()
    # The 30 spent came out of the older lot: 70 of it is left, lapsing in 10 days.
    assert summary["balance"] == 120 and summary["expiringSoon"] == 70
    assert dt.datetime.fromisoformat(summary["expiringAt"]) == (now + dt.timedelta(days=10))

    assert await expiry.expire_points() == 0  # nothing is due yet
    clock.travel(dt.timedelta(days=11))
    citizen = await refreshed(api.client, citizen)
    # Two workers at once: the formula and the account lock make it happen once.
    assert sorted(await asyncio.gather(expiry.expire_points(), expiry.expire_points())) == [0, 70]
    assert await expiry.expire_points() == 0
    assert await balance(api, citizen) == 50
    entries = await history(api, citizen)
    assert [(e["kind"], e["amount"]) for e in entries][:1] == [("expire", -70)]
    assert sum(1 for e in entries if e["kind"] == "expire") == 1

    # The refund of points spent from the lapsed lot lapses too at the next run.
    cancelled = await api.post(
        f"/api/citizen/redemptions/{redemption['id']}/cancel", headers=citizen.headers
    )
    assert cancelled.status_code == 200
    assert await balance(api, citizen) == 80
    assert await expiry.expire_points() == 30
    assert await balance(api, citizen) == 50
    summary = (await api.get("/api/citizen/points", headers=citizen.headers)).json()
    assert summary == {"balance": 50, "expiringSoon": 0, "expiringAt": None, "held": 0}


async def test_expiry_never_takes_more_than_the_balance(api):
    admin, citizen = await api.staff("admin"), await api.citizen()
    cid = citizen_id(citizen)
    await seed_points(cid, 40, expires_at=clock.now() + dt.timedelta(days=1))
    take = await api.post(
        "/api/admin/points/adjust",
        headers=admin.headers,
        json={"citizenId": public_citizen_id(citizen), "amount": -40, "reason": "全部扣回"},
    )
    assert take.status_code == 201
    clock.travel(dt.timedelta(days=2))
    assert await expiry.expire_points() == 0
    citizen = await refreshed(api.client, citizen)
    assert await balance(api, citizen) == 0
