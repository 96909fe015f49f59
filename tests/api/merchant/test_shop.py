"""Merchants: a merchant account sees and redeems only its shop's rewards' vouchers, at its
shop (the place recorded is the shop's); any other voucher is unknown to it (404), and a
shop's voucher is unknown to city staff."""

import asyncio
import datetime as dt

import pytest

from core import clock
from tests.api.merchant.support import new_merchant, new_shop
from tests.helpers import assert_problem, refreshed
from tests.rewards.support import citizen_id, new_reward, seed_points

REDEEM = "/api/merchant/vouchers/redeem"
REDEMPTIONS = "/api/merchant/redemptions"


async def _voucher(api, citizen, reward: dict) -> dict:
    response = await api.post(
        f"/api/citizen/rewards/{reward['id']}/redeem", headers=citizen.headers
    )
    assert response.status_code == 201, response.text
    return response.json()


async def _redeem(api, merchant, code: str):
    return await api.post(REDEEM, headers=merchant.headers, json={"code": code})


@pytest.fixture
async def city(api):
    admin, citizen = await api.staff("admin"), await api.citizen()
    await seed_points(citizen_id(citizen), 1000)
    shop_a, shop_b = await new_shop(api, admin, "青岛书城"), await new_shop(api, admin, "啤酒街")
    rewards = {
        "a": await new_reward(api, admin, name="书券", cost=10, shop_unit_id=shop_a["id"]),
        "b": await new_reward(api, admin, name="啤酒", cost=10, shop_unit_id=shop_b["id"]),
        "city": await new_reward(api, admin, name="公交卡", cost=10),
    }
    return {
        "admin": admin,
        "citizen": citizen,
        "shops": (shop_a, shop_b),
        "rewards": rewards,
        "a": await new_merchant(api, admin, shop_a),
        "b": await new_merchant(api, admin, shop_b),
    }


async def test_a_merchant_sees_only_its_shops_rewards_and_vouchers(api, city):
    citizen, rewards = city["citizen"], city["rewards"]
    mine = [await _voucher(api, citizen, rewards["a"]) for _ in range(3)]
    for key in ("b", "city"):
        await _voucher(api, citizen, rewards[key])
    shop = await api.get("/api/merchant/rewards", headers=city["a"].headers)
    assert shop.status_code == 200, shop.text
    assert shop.json()["shop"]["name"] == "青岛书城"
    assert [r["id"] for r in shop.json()["items"]] == [rewards["a"]["id"]]
    seen, cursor = [], None
    while True:
        url = f"{REDEMPTIONS}?limit=2" + (f"&cursor={cursor}" if cursor else "")
        page = (await api.get(url, headers=city["a"].headers)).json()
        seen += page["items"]
        if (cursor := page["nextCursor"]) is None:
            break
    assert [item["id"] for item in seen] == [v["id"] for v in reversed(mine)]
    # The tail only: the whole code in a list would let the counter use the voucher.
    assert all(item["voucherTail"] == v["voucherCode"][-4:] for item, v in zip(seen, mine[::-1]))
    assert all(len(item["voucherTail"]) == 4 for item in seen)
    issued = await api.get(f"{REDEMPTIONS}?status=fulfilled", headers=city["a"].headers)
    assert issued.json()["items"] == []


async def test_redeeming_at_the_shop_records_the_shop_and_the_merchant(api, city):
    voucher = await _voucher(api, city["citizen"], city["rewards"]["a"])
    used = await _redeem(api, city["a"], voucher["voucherCode"].replace("-", "").lower())
    assert used.status_code == 200, used.text
    assert used.json()["status"] == "fulfilled" and used.json()["usedPlace"] == "青岛书城"
    mine = await api.get(
        f"/api/citizen/redemptions/{voucher['id']}", headers=city["citizen"].headers
    )
    assert mine.json()["fulfilledPlace"] == "青岛书城"
    listed = (await api.get(REDEMPTIONS, headers=city["a"].headers)).json()["items"][0]
    assert listed["usedBy"] == city["a"].subject_id and listed["usedPlace"] == "青岛书城"
    again = assert_problem(
        await _redeem(api, city["a"], voucher["voucherCode"]), 409, "rewards.voucher_used"
    )
    assert again["usedPlace"] == "青岛书城"


async def test_another_shops_or_the_citys_voucher_is_unknown_to_a_merchant(api, city):
    citizen, rewards = city["citizen"], city["rewards"]
    theirs = await _voucher(api, citizen, rewards["b"])
    citys = await _voucher(api, citizen, rewards["city"])
    for code in (theirs["voucherCode"], citys["voucherCode"], "0000-0000-0000-0000", "nope"):
        assert_problem(await _redeem(api, city["a"], code), 404, "rewards.voucher_unknown")
    # Used by its own shop, it is still unknown (not "used") to the other: nothing leaks.
    assert (await _redeem(api, city["b"], theirs["voucherCode"])).status_code == 200
    assert_problem(
        await _redeem(api, city["a"], theirs["voucherCode"]), 404, "rewards.voucher_unknown"
    )
    assert_problem(
        await api.post(REDEEM, headers=city["a"].headers, json={}), 400, "request.invalid"
    )


async def test_city_staff_cannot_consume_a_shops_voucher(api, city):
    """A shop's voucher is paid for by the shop: a city counter consuming it would leave the
    shop's books wrong, so to city staff it is as unknown as a made-up code."""
    citizen, rewards = city["citizen"], city["rewards"]
    shops = await _voucher(api, citizen, rewards["a"])
    citys = await _voucher(api, citizen, rewards["city"])
    inspector = await api.staff("inspector")
    verify = "/api/inspector/vouchers/verify"

    def body(voucher):
        return {"code": voucher["voucherCode"], "place": "香港中路服务点"}

    for staff in (inspector, city["admin"]):
        refused = await api.post(verify, headers=staff.headers, json=body(shops))
        assert_problem(refused, 404, "rewards.voucher_unknown")
    used = await api.post(verify, headers=inspector.headers, json=body(citys))
    assert used.status_code == 200, used.text
    # Still issued, so the shop redeems it as usual.
    assert (await _redeem(api, city["a"], shops["voucherCode"])).status_code == 200


async def test_expired_and_cancelled_vouchers_are_refused_at_the_shop(api, city):
    admin, citizen = city["admin"], city["citizen"]
    shop_a = city["shops"][0]
    lapsing = await new_reward(api, admin, cost=10, voucher_days=7, shop_unit_id=shop_a["id"])
    expired = await _voucher(api, citizen, lapsing)
    cancelled = await _voucher(api, citizen, city["rewards"]["a"])
    response = await api.post(
        f"/api/citizen/redemptions/{cancelled['id']}/cancel", headers=citizen.headers
    )
    assert response.status_code == 200, response.text
    assert_problem(
        await _redeem(api, city["a"], cancelled["voucherCode"]), 409, "rewards.voucher_cancelled"
    )
    clock.travel(dt.timedelta(days=8))
    merchant = await refreshed(api.client, city["a"])
    assert_problem(
        await _redeem(api, merchant, expired["voucherCode"]), 409, "rewards.voucher_expired"
    )


async def test_parallel_redeems_of_one_voucher_succeed_once(api, city):
    voucher = await _voucher(api, city["citizen"], city["rewards"]["a"])
    responses = await asyncio.gather(
        *(_redeem(api, city["a"], voucher["voucherCode"]) for _ in range(6))
    )
    assert sorted(r.status_code for r in responses) == [200] + [409] * 5, [
        r.text for r in responses
    ]
    for response in responses:
        if response.status_code == 409:
            assert response.json()["code"] == "rewards.voucher_used"


async def test_a_merchant_without_an_active_shop_can_do_nothing(api, city):
    admin, shop_a = city["admin"], city["shops"][0]
    voucher = await _voucher(api, city["citizen"], city["rewards"]["a"])
    off = await api.patch(
        f"/api/admin/org-units/{shop_a['id']}", json={"active": False}, headers=admin.headers
    )
    assert off.status_code == 200, off.text
    for response in (
        await _redeem(api, city["a"], voucher["voucherCode"]),
        await api.get(REDEMPTIONS, headers=city["a"].headers),
        await api.get("/api/merchant/rewards", headers=city["a"].headers),
    ):
        assert_problem(response, 403, "rewards.merchant_without_shop")


async def test_merchant_accounts_and_shop_rewards_are_checked(api, city):
    admin, shop_a = city["admin"], city["shops"][0]
    city_unit = await api.post(
        "/api/admin/org-units",
        json={"kind": "city", "code": "C-M1", "nameZh": "青岛市"},
        headers=admin.headers,
    )
    assert city_unit.status_code == 201, city_unit.text
    staff = "/api/admin/staff"
    base = {"username": "shopkeeper", "password": "merchant-pass-1"}
    for body in (
        {**base, "role": "merchant"},  # no shop
        {**base, "role": "merchant", "orgUnitId": city_unit.json()["id"]},  # not a shop
        {**base, "role": "operator", "orgUnitId": shop_a["id"]},  # city staff in a shop
    ):
        response = await api.post(staff, json=body, headers=admin.headers)
        assert_problem(response, 422, "staff.invalid")
    # Turning a merchant into city staff needs its unit changed too.
    response = await api.patch(
        f"{staff}/{city['a'].subject_id}", json={"role": "inspector"}, headers=admin.headers
    )
    assert_problem(response, 422, "staff.invalid")
    response = await api.patch(
        f"{staff}/{city['a'].subject_id}", json={"clearUnit": True}, headers=admin.headers
    )
    assert_problem(response, 422, "staff.invalid")

    rewards = "/api/admin/rewards"
    for unit_id in (city_unit.json()["id"], 987654):
        body = {"name": "x", "cost": 1, "stock": 1, "fulfilment": "voucher", "shopUnitId": unit_id}
        assert_problem(
            await api.post(rewards, json=body, headers=admin.headers), 422, "rewards.invalid"
        )
    reward_a = city["rewards"]["a"]["id"]
    moved = await api.patch(
        f"{rewards}/{reward_a}", json={"shopUnitId": city["shops"][1]["id"]}, headers=admin.headers
    )
    assert moved.status_code == 200 and moved.json()["shopUnitId"] == city["shops"][1]["id"]
    cleared = await api.patch(
        f"{rewards}/{reward_a}", json={"clearShop": True}, headers=admin.headers
    )
    assert cleared.status_code == 200 and cleared.json()["shopUnitId"] is None


async def test_a_merchant_has_its_own_profile_and_password(api, city):
    merchant, shop_a = city["a"], city["shops"][0]
    me = await api.get("/api/merchant/me", headers=merchant.headers)
    assert me.status_code == 200, me.text
    assert me.json()["role"] == "merchant" and me.json()["orgUnitId"] == shop_a["id"]
    body = {"currentPassword": "merchant-pass-1", "newPassword": "merchant-pass-2"}
    changed = await api.post("/api/merchant/me/password", json=body, headers=merchant.headers)
    assert changed.status_code == 204, changed.text
    username = me.json()["username"]
    login = await api.post(
        "/api/inspector/auth/login", json={"username": username, "password": "merchant-pass-2"}
    )
    assert login.status_code == 201, login.text
