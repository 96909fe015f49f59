"""Admin: the catalogue, points adjustments, redemption lists and CSV export."""

import csv
import io

import pytest

from tests.helpers import assert_problem
from tests.rewards.support import (
    balance,
    citizen_id,
    history,
    new_reward,
    public_citizen_id,
    seed_points,
)

ADJUST = "/api/admin/points/adjust"


@pytest.fixture
async def admin(api):
    return await api.staff("admin")


async def test_reward_crud(api, admin):
    reward = await new_reward(
        api,
        admin,
        name="公园年卡",
        cost=500,
        stock=5,
        fulfilment="coupon",
        partner="市园林局",
        per_citizen_limit=1,
    )
    assert reward["id"].startswith("rw_") and reward["partner"] == "市园林局"
    listed = (await api.get("/api/admin/rewards", headers=admin.headers)).json()
    assert [r["reward"]["id"] for r in listed] == [reward["id"]]
    changed = await api.patch(
        f"/api/admin/rewards/{reward['id']}",
        headers=admin.headers,
        json={"stock": 20, "cost": 450, "description": "一年内有效"},
    )
    assert changed.status_code == 200, changed.text
    assert (changed.json()["reward"]["stock"], changed.json()["reward"]["cost"]) == (20, 450)
    deleted = await api.delete(f"/api/admin/rewards/{reward['id']}", headers=admin.headers)
    assert deleted.status_code == 204
    one = (await api.get(f"/api/admin/rewards/{reward['id']}", headers=admin.headers)).json()
    assert one["active"] is False
    revived = await api.patch(
        f"/api/admin/rewards/{reward['id']}", headers=admin.headers, json={"active": True}
    )
    assert revived.json()["active"] is True
    assert_problem(
        await api.get("/api/admin/rewards/rw_unknown", headers=admin.headers),
        404,
        "rewards.not_found",
    )


@pytest.mark.parametrize(
    ("body", "status", "code"),
    [
        ({"cost": 0}, 400, "request.invalid"),
        ({"cost": -5}, 400, "request.invalid"),
        ({"stock": -1}, 400, "request.invalid"),
        ({"fulfilment": "cash"}, 400, "request.invalid"),
        ({"fulfilment": "pickup"}, 422, "rewards.invalid"),
        ({"fulfilment": "coupon"}, 422, "rewards.invalid"),
        ({"name": "  "}, 422, "rewards.invalid"),
        (
            {"validFrom": "2026-12-01T00:00:00Z", "validUntil": "2026-11-01T00:00:00Z"},
            422,
            "rewards.invalid",
        ),
        ({"surprise": 1}, 400, "request.invalid"),
    ],
)
async def test_reward_bad_input(api, admin, body, status, code):
    payload = {"name": "雨伞", "cost": 100, "stock": 1, "fulfilment": "voucher", **body}
    assert_problem(
        await api.post("/api/admin/rewards", json=payload, headers=admin.headers), status, code
    )


async def test_only_admins_change_the_catalogue_and_points(api, admin):
    operator, inspector, citizen = (
        await api.staff("operator"),
        await api.staff("inspector"),
        await api.citizen(),
    )
    body = {"name": "雨伞", "cost": 100, "stock": 1, "fulfilment": "voucher"}
    assert_problem(
        await api.post("/api/admin/rewards", json=body, headers=operator.headers),
        403,
        "auth.role_forbidden",
    )
    assert (await api.get("/api/admin/rewards", headers=operator.headers)).status_code == 200
    assert (await api.get("/api/admin/rewards", headers=inspector.headers)).status_code == 403
    adjust = {"citizenId": public_citizen_id(citizen), "amount": 10, "reason": "补发"}
    assert_problem(
        await api.post(ADJUST, json=adjust, headers=operator.headers), 403, "auth.role_forbidden"
    )


async def test_adjust_is_audited_in_the_ledger(api, admin):
    from points.tables import PointsEntry

    citizen = await api.citizen()
    cid = public_citizen_id(citizen)
    up = await api.post(
        ADJUST,
        json={"citizenId": cid, "amount": 30, "reason": "补发活动积分"},
        headers={**admin.headers, "Idempotency-Key": "adj-1"},
    )
    assert up.status_code == 201, up.text
    assert (up.json()["amount"], up.json()["balance"]) == (30, 30)
    replay = await api.post(
        ADJUST,
        json={"citizenId": cid, "amount": 30, "reason": "补发活动积分"},
        headers={**admin.headers, "Idempotency-Key": "adj-1"},
    )
    assert replay.json() == up.json()
    down = await api.post(
        ADJUST, json={"citizenId": cid, "amount": -20, "reason": "误发"}, headers=admin.headers
    )
    assert down.status_code == 201 and down.json()["balance"] == 10
    rows = (
        await PointsEntry.select()
        .where(PointsEntry.account_id == citizen_id(citizen))
        .order_by(PointsEntry.id)
    )
    assert [
        (r["kind"], r["amount"], r["reason"], r["actor_kind"], r["actor_id"]) for r in rows
    ] == [
        ("adjust", 30, "补发活动积分", "staff", admin.subject_id),
        ("adjust", -20, "误发", "staff", admin.subject_id),
    ]
    assert rows[0]["expires_at"] is not None
    assert await balance(api, citizen) == 10
    assert [e["amount"] for e in await history(api, citizen)] == [-20, 30]
    account = await api.get(f"/api/admin/points/accounts/{cid}", headers=admin.headers)
    assert account.json()["balance"] == 10


async def test_adjust_bad_input(api, admin):
    citizen = await api.citizen()
    cid = public_citizen_id(citizen)
    await seed_points(citizen_id(citizen), 50)
    cases = [
        ({"citizenId": cid, "amount": 0, "reason": "x"}, 422, "points.invalid_amount"),
        ({"citizenId": cid, "amount": -10}, 422, "points.reason_required"),
        ({"citizenId": cid, "amount": 10, "reason": "   "}, 422, "points.reason_required"),
        ({"citizenId": cid, "amount": 0}, 422, "points.reason_required"),
        ({"citizenId": cid, "amount": -51, "reason": "扣回"}, 409, "points.insufficient"),
        (
            {"citizenId": "c_0000000000000000", "amount": 10, "reason": "x"},
            404,
            "points.account_unknown",
        ),
        ({"citizenId": 7, "amount": 10, "reason": "x"}, 400, "request.invalid"),
        ({"citizenId": cid, "amount": "ten", "reason": "x"}, 400, "request.invalid"),
        ({"amount": 10, "reason": "x"}, 400, "request.invalid"),
    ]
    for body, status, code in cases:
        assert_problem(await api.post(ADJUST, json=body, headers=admin.headers), status, code)
    assert await balance(api, citizen) == 50


async def test_redemption_list_and_csv_export(api, admin):
    alice, bob, staff = await api.citizen(), await api.citizen(), await api.staff("inspector")
    for who in (alice, bob):
        await seed_points(citizen_id(who), 300)
    umbrella = await new_reward(api, admin, name="=雨伞", cost=100)
    bag = await new_reward(api, admin, name="环保袋", cost=50)
    made = []
    for who, reward in ((alice, umbrella), (bob, umbrella), (alice, bag)):
        response = await api.post(
            f"/api/citizen/rewards/{reward['id']}/redeem", headers=who.headers
        )
        made.append(response.json())
    await api.post(
        "/api/inspector/vouchers/verify",
        headers=staff.headers,
        json={"code": made[0]["voucherCode"], "place": "服务点"},
    )
    everything = (await api.get("/api/admin/redemptions", headers=admin.headers)).json()
    assert [r["id"] for r in everything["items"]] == [m["id"] for m in reversed(made)]
    assert "voucherCode" not in everything["items"][0]
    used = (await api.get("/api/admin/redemptions?status=fulfilled", headers=admin.headers)).json()
    assert [r["id"] for r in used["items"]] == [made[0]["id"]]
    of_bag = (
        await api.get(f"/api/admin/redemptions?rewardId={bag['id']}", headers=admin.headers)
    ).json()
    assert [r["id"] for r in of_bag["items"]] == [made[2]["id"]]
    paged = (await api.get("/api/admin/redemptions?limit=2", headers=admin.headers)).json()
    rest = (
        await api.get(
            f"/api/admin/redemptions?limit=2&cursor={paged['nextCursor']}", headers=admin.headers
        )
    ).json()
    assert [r["id"] for r in paged["items"] + rest["items"]] == [m["id"] for m in reversed(made)]
    assert_problem(
        await api.get("/api/admin/redemptions?status=lost", headers=admin.headers),
        400,
        "request.invalid",
    )

    export = await api.get("/api/admin/redemptions/export.csv", headers=admin.headers)
    assert export.status_code == 200 and export.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(export.content.decode("utf-8-sig"))))
    assert len(rows) == 3 and {r["id"] for r in rows} == {m["id"] for m in made}
    first = next(r for r in rows if r["id"] == made[0]["id"])
    assert first["status"] == "fulfilled" and first["fulfilled_place"] == "服务点"
    assert first["reward_name"] == "'=雨伞"  # no formula injection into spreadsheets
    assert made[0]["voucherCode"].replace("-", "") not in export.text


async def test_citizens_are_named_by_public_id_never_the_internal_integer(api, admin):
    citizen = await api.citizen()
    internal = citizen_id(citizen)
    me = (await api.get("/api/citizen/me", headers=citizen.headers)).json()["id"]
    ok = await api.get(f"/api/admin/points/accounts/{me}", headers=admin.headers)
    assert ok.status_code == 200 and ok.json()["citizenId"] == me
    for url in (
        f"/api/admin/points/accounts/{internal}",
        f"/api/admin/redemptions?citizenId={internal}",
    ):
        assert_problem(await api.get(url, headers=admin.headers), 400, "request.invalid")
    body = {"citizenId": str(internal), "amount": 5, "reason": "x"}
    assert_problem(await api.post(ADJUST, json=body, headers=admin.headers), 400, "request.invalid")
