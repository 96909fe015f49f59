"""Scanning vouchers: consumed once; a second scan says when and where."""

import pytest

from core import clock
from tests.helpers import assert_problem
from tests.rewards.support import citizen_id, new_reward, seed_points

VERIFY = "/api/inspector/vouchers/verify"


@pytest.fixture
async def voucher(api):
    admin, citizen = await api.staff("admin"), await api.citizen()
    await seed_points(citizen_id(citizen), 100)
    reward = await new_reward(
        api, admin, cost=100, fulfilment="pickup", pickup_place="市南区便民服务中心"
    )
    response = await api.post(
        f"/api/citizen/rewards/{reward['id']}/redeem", headers=citizen.headers
    )
    assert response.status_code == 201, response.text
    return response.json(), citizen


async def test_voucher_is_consumed_once(api, voucher):
    redemption, citizen = voucher
    staff = await api.staff("inspector")
    used = await api.post(
        VERIFY,
        headers=staff.headers,
        json={"code": redemption["voucherCode"], "place": "香港中路服务点"},
    )
    assert used.status_code == 200, used.text
    body = used.json()
    assert body["status"] == "fulfilled" and body["usedPlace"] == "香港中路服务点"
    assert body["redemptionId"] == redemption["id"] and body["usedAt"]
    mine = await api.get(f"/api/citizen/redemptions/{redemption['id']}", headers=citizen.headers)
    assert mine.json()["status"] == "fulfilled"
    assert mine.json()["fulfilledPlace"] == "香港中路服务点"

    other = await api.staff("handler")
    again = assert_problem(
        await api.post(
            VERIFY,
            headers={**other.headers, "Accept-Language": "en"},
            json={"code": redemption["voucherCode"], "place": "另一个柜台"},
        ),
        409,
        "rewards.voucher_used",
    )
    assert again["usedPlace"] == "香港中路服务点" and again["usedAt"].startswith(
        body["usedAt"][:16]
    )
    assert "香港中路服务点" in again["detail"]
    assert clock.city_now().strftime("%Y-%m-%d") in again["detail"]


async def test_code_may_be_typed_loosely(api, voucher):
    redemption, _ = voucher
    staff = await api.staff("inspector")
    typed = redemption["voucherCode"].replace("-", " ").lower()
    used = await api.post(VERIFY, headers=staff.headers, json={"code": typed, "place": "柜台"})
    assert used.status_code == 200, used.text


async def test_forged_and_cancelled_vouchers(api, voucher):
    redemption, citizen = voucher
    staff = await api.staff("inspector")
    for forged in ("0000-0000-0000-0000", "not a code", "ABCD"):
        assert_problem(
            await api.post(VERIFY, headers=staff.headers, json={"code": forged, "place": "柜台"}),
            404,
            "rewards.voucher_unknown",
        )
    assert_problem(
        await api.post(VERIFY, headers=staff.headers, json={"code": "X"}), 400, "request.invalid"
    )
    cancel = await api.post(
        f"/api/citizen/redemptions/{redemption['id']}/cancel", headers=citizen.headers
    )
    assert cancel.status_code == 200
    assert_problem(
        await api.post(
            VERIFY, headers=staff.headers, json={"code": redemption["voucherCode"], "place": "柜台"}
        ),
        409,
        "rewards.voucher_cancelled",
    )


async def test_citizens_cannot_verify(api, voucher):
    redemption, citizen = voucher
    response = await api.post(
        VERIFY, headers=citizen.headers, json={"code": redemption["voucherCode"], "place": "柜台"}
    )
    assert response.status_code in (401, 403)
