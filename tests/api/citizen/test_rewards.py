"""The rewards shop through HTTP: catalogue, redeem, vouchers, my redemptions, cancel."""

import base64
import datetime as dt

import pytest

from core import clock
from tests.helpers import assert_problem, refreshed
from tests.rewards.support import balance, citizen_id, history, new_reward, seed_points


@pytest.fixture
async def admin(api):
    return await api.staff("admin")


async def _redeem(api, citizen, reward_id, key=None):
    headers = {**citizen.headers, **({"Idempotency-Key": key} if key else {})}
    return await api.post(f"/api/citizen/rewards/{reward_id}/redeem", headers=headers)


async def test_catalogue_lists_active_rewards(api, admin):
    citizen = await api.citizen()
    cheap = await new_reward(api, admin, name="环保袋", cost=50, stock=3)
    gone = await new_reward(api, admin, name="雨伞", cost=80, stock=0)
    retired = await new_reward(api, admin, name="旧奖品", cost=10)
    await api.delete(f"/api/admin/rewards/{retired['id']}", headers=admin.headers)
    items = (await api.get("/api/citizen/rewards", headers=citizen.headers)).json()
    assert [(r["id"], r["available"]) for r in items] == [(cheap["id"], True), (gone["id"], False)]
    one = (await api.get(f"/api/citizen/rewards/{cheap['id']}", headers=citizen.headers)).json()
    assert one["name"] == "环保袋" and one["stock"] == 3
    assert_problem(
        await api.get(f"/api/citizen/rewards/{retired['id']}", headers=citizen.headers),
        404,
        "rewards.not_found",
    )


async def test_redeem_debits_points_and_stock_and_returns_a_voucher(api, admin):
    citizen = await api.citizen()
    await seed_points(citizen_id(citizen), 250)
    reward = await new_reward(api, admin, cost=100, stock=2)
    response = await _redeem(api, citizen, reward["id"])
    assert response.status_code == 201, response.text
    body = response.json()
    assert body["status"] == "issued" and body["cost"] == 100 and body["rewardId"] == reward["id"]
    assert len(body["voucherCode"]) == 19 and body["voucherCode"].count("-") == 3
    assert body["qrImage"].startswith("data:image/png;base64,")
    assert base64.b64decode(body["qrImage"].split(",", 1)[1])[:8] == b"\x89PNG\r\n\x1a\n"
    png = await api.get(body["qrUrl"], headers=citizen.headers)
    assert png.status_code == 200 and png.headers["content-type"] == "image/png"
    assert png.content[:4] == b"\x89PNG"
    assert await balance(api, citizen) == 150
    assert [e["kind"] for e in await history(api, citizen)] == ["redeem", "earn"]
    stock = await api.get(f"/api/citizen/rewards/{reward['id']}", headers=citizen.headers)
    assert stock.json()["stock"] == 1
    mine = (await api.get("/api/citizen/redemptions", headers=citizen.headers)).json()
    assert [r["id"] for r in mine["items"]] == [body["id"]] and mine["items"][0]["qrImage"] is None
    one = await api.get(f"/api/citizen/redemptions/{body['id']}", headers=citizen.headers)
    assert one.json()["voucherCode"] == body["voucherCode"] and one.json()["qrImage"]


async def test_redeem_with_the_same_key_twice_redeems_once(api, admin):
    citizen = await api.citizen()
    await seed_points(citizen_id(citizen), 500)
    reward = await new_reward(api, admin, cost=100)
    first = await _redeem(api, citizen, reward["id"], key="redeem-1")
    again = await _redeem(api, citizen, reward["id"], key="redeem-1")
    assert first.status_code == again.status_code == 201
    assert again.headers["idempotent-replayed"] == "true" and again.json() == first.json()
    assert await balance(api, citizen) == 400


async def test_redeem_refusals(api, admin):
    citizen, other = await api.citizen(), await api.citizen()
    await seed_points(citizen_id(citizen), 1000)
    assert_problem(await _redeem(api, citizen, "rw_doesnotexist"), 404, "rewards.not_found")
    assert_problem(await _redeem(api, citizen, "rw_"), 404, "rewards.not_found")
    now = clock.now()
    later = await new_reward(api, admin, valid_from=(now + dt.timedelta(days=1)).isoformat())
    assert_problem(await _redeem(api, citizen, later["id"]), 409, "rewards.not_available")
    over = await new_reward(api, admin, valid_until=(now - dt.timedelta(hours=1)).isoformat())
    assert_problem(await _redeem(api, citizen, over["id"]), 409, "rewards.not_available")
    limited = await new_reward(api, admin, cost=10, per_citizen_limit=2)
    for _ in range(2):
        assert (await _redeem(api, citizen, limited["id"])).status_code == 201
    body = assert_problem(await _redeem(api, citizen, limited["id"]), 409, "rewards.limit_reached")
    assert "2" in body["detail"]
    empty = await new_reward(api, admin, stock=0)
    assert_problem(await _redeem(api, citizen, empty["id"]), 409, "rewards.out_of_stock")
    poor = assert_problem(await _redeem(api, other, limited["id"]), 409, "points.insufficient")
    assert poor["balance"] == 0 and poor["needed"] == 10
    # Refusals changed nothing.
    assert await balance(api, citizen) == 1000 - 20
    assert await balance(api, other) == 0


async def test_cancel_before_use_refunds_points_and_stock(api, admin):
    citizen = await api.citizen()
    await seed_points(citizen_id(citizen), 100)
    reward = await new_reward(api, admin, cost=100, stock=1)
    redemption = (await _redeem(api, citizen, reward["id"])).json()
    assert await balance(api, citizen) == 0
    cancelled = await api.post(
        f"/api/citizen/redemptions/{redemption['id']}/cancel", headers=citizen.headers
    )
    assert cancelled.status_code == 200, cancelled.text
    assert cancelled.json()["status"] == "cancelled" and cancelled.json()["cancelledAt"]
    assert await balance(api, citizen) == 100
    assert [e["kind"] for e in await history(api, citizen)] == ["refund", "redeem", "earn"]
    stock = await api.get(f"/api/citizen/rewards/{reward['id']}", headers=citizen.headers)
    assert stock.json()["stock"] == 1
    assert_problem(
        await api.post(
            f"/api/citizen/redemptions/{redemption['id']}/cancel", headers=citizen.headers
        ),
        409,
        "rewards.already_cancelled",
    )


async def test_cancel_after_use_is_refused(api, admin):
    citizen, inspector = await api.citizen(), await api.staff("inspector")
    await seed_points(citizen_id(citizen), 100)
    reward = await new_reward(api, admin, cost=100)
    redemption = (await _redeem(api, citizen, reward["id"])).json()
    used = await api.post(
        "/api/inspector/vouchers/verify",
        headers=inspector.headers,
        json={"code": redemption["voucherCode"], "place": "市南区便民服务中心"},
    )
    assert used.status_code == 200, used.text
    body = assert_problem(
        await api.post(
            f"/api/citizen/redemptions/{redemption['id']}/cancel", headers=citizen.headers
        ),
        409,
        "rewards.already_fulfilled",
    )
    assert clock.city_now().strftime("%Y-%m-%d") in body["detail"]
    assert await balance(api, citizen) == 0


async def test_redemptions_are_private(api, admin):
    alice, bob = await api.citizen(), await api.citizen()
    await seed_points(citizen_id(alice), 100)
    reward = await new_reward(api, admin, cost=100)
    redemption = (await _redeem(api, alice, reward["id"])).json()
    for url in (
        f"/api/citizen/redemptions/{redemption['id']}",
        f"/api/citizen/redemptions/{redemption['id']}/qr.png",
    ):
        assert_problem(await api.get(url, headers=bob.headers), 404, "rewards.redemption_not_found")
    assert_problem(
        await api.post(f"/api/citizen/redemptions/{redemption['id']}/cancel", headers=bob.headers),
        404,
        "rewards.redemption_not_found",
    )
    assert (await api.get("/api/citizen/redemptions", headers=bob.headers)).json()["items"] == []


async def test_redemption_history_pages(api, admin):
    citizen = await api.citizen()
    await seed_points(citizen_id(citizen), 1000)
    reward = await new_reward(api, admin, cost=10, stock=10)
    ids = []
    for _ in range(5):
        ids.append((await _redeem(api, citizen, reward["id"])).json()["id"])
        clock.travel(dt.timedelta(seconds=1))
    citizen = await refreshed(api.client, citizen)
    seen, cursor = [], None
    while True:
        url = "/api/citizen/redemptions?limit=2" + (f"&cursor={cursor}" if cursor else "")
        page = (await api.get(url, headers=citizen.headers)).json()
        seen += [r["id"] for r in page["items"]]
        cursor = page["nextCursor"]
        if not cursor:
            break
    assert seen == list(reversed(ids))


async def test_redemption_and_earning_reach_the_inbox_queue(api, admin):
    from notify.tables import NotificationJob

    citizen = await api.citizen()
    await seed_points(citizen_id(citizen), 120)
    reward = await new_reward(api, admin, name="公交卡", cost=100, stock=1)
    assert (await _redeem(api, citizen, reward["id"])).status_code == 201
    jobs = await NotificationJob.objects().where(NotificationJob.template == "redemption.ready")
    assert [(j.recipient_kind, j.recipient_id) for j in jobs] == [("citizen", citizen_id(citizen))]
    assert "公交卡" in jobs[0].params
