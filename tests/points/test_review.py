"""Farming across accounts: signals flag accounts for review, their awards are held, and an
admin's decision (clear: paid; confirm: forfeited, maybe disabled) is audited and final."""

import asyncio
import contextlib

import httpx
import jwt
import pytest

from core.db import raw, transaction
from core.settings import get_settings, reload_settings
from org.categories import update_category
from tests.cases_city import AUTO_CATEGORY, build_city
from tests.helpers import jpeg_bytes, with_taken_at
from tests.points.support import report_with
from tests.rewards.support import balance, public_citizen_id

REVIEW = "/api/admin/points/review"
REPORTS = "/api/citizen/reports"


@pytest.fixture
async def city(api):
    city = await build_city(api)
    async with transaction():
        await update_category(code=AUTO_CATEGORY, points_on_accept=3, points_on_close=0)
    city.admin = await api.staff("admin")
    return city


async def _report(api, citizen, *, seed: int, client=None, category=AUTO_CATEGORY) -> str:
    photo = with_taken_at(jpeg_bytes(seed=seed))
    return (await report_with(api, citizen, photo, category=category, client=client))["id"]


async def _device(api, citizen, token: str) -> None:
    body = {"platform": "ios", "token": token, "locale": "zh-CN"}
    response = await api.post("/api/citizen/devices", headers=citizen.headers, json=body)
    assert response.status_code == 201, response.text


async def _reviews(api, city, **params) -> dict:
    response = await api.get(REVIEW, params=params, headers=city.admin.headers)
    assert response.status_code == 200, response.text
    return response.json()


def _decide(api, headers, citizen, body):
    return api.post(f"{REVIEW}/{public_citizen_id(citizen)}/decision", json=body, headers=headers)


async def test_one_device_many_accounts_are_flagged_held_and_cleared(api, city):
    farmers = [await api.citizen() for _ in range(3)]
    for farmer in farmers:
        await _device(api, farmer, "a" * 64)
    first = await _reviews(api, city, limit=2)
    rest = await _reviews(api, city, limit=2, cursor=first["nextCursor"])
    listed = [item["citizenId"] for item in first["items"] + rest["items"]]
    assert sorted(listed) == sorted(public_citizen_id(f) for f in farmers)
    assert rest["nextCursor"] is None
    assert first["items"][0]["signals"][0]["signal"] == "shared_device"

    await _report(api, farmers[0], seed=7001)  # auto-accepted: 3 points, held
    assert await balance(api, farmers[0]) == 0
    held = {i["citizenId"]: i["heldPoints"] for i in (await _reviews(api, city))["items"]}
    assert held[public_citizen_id(farmers[0])] == 3
    told = await api.get("/api/citizen/points/held", headers=farmers[0].headers)
    assert [(i["amount"], i["heldFor"]) for i in told.json()["items"]] == [(3, "review")]

    decided = await _decide(api, city.admin.headers, farmers[0], {"decision": "clear"})
    assert decided.status_code == 200, decided.text
    assert decided.json() == {
        "citizenId": public_citizen_id(farmers[0]),
        "decision": "clear",
        "points": 3,
        "disabled": False,
    }
    assert await balance(api, farmers[0]) == 3
    audit = (await api.get("/api/admin/audit", headers=city.admin.headers)).json()["items"]
    assert any(e["action"] == "points.review.clear" for e in audit)
    again = await _decide(api, city.admin.headers, farmers[0], {"decision": "confirm"})
    assert again.status_code == 409 and again.json()["code"] == "points.review_not_open"
    # Cleared: its next report pays at once.
    await _report(api, farmers[0], seed=7002)
    assert await balance(api, farmers[0]) == 6


async def test_confirm_forfeits_and_disables(api, city):
    farmers = [await api.citizen() for _ in range(3)]
    for farmer in farmers:
        await _device(api, farmer, "b" * 64)
    await _report(api, farmers[1], seed=7003)
    decided = await _decide(
        api,
        city.admin.headers,
        farmers[1],
        {"decision": "confirm", "disable": True, "note": "刷分"},
    )
    assert decided.status_code == 200, decided.text
    assert decided.json()["points"] == 3 and decided.json()["disabled"] is True
    held = await raw("SELECT state FROM points_hold")
    assert [row["state"] for row in held] == ["forfeited"]
    refresh = await api.client.post("/api/auth/refresh", json={"refreshToken": farmers[1].refresh})
    assert refresh.status_code in (401, 403)
    assert await balance(api, farmers[0]) == 0


async def test_same_photo_as_another_account_flags_the_copier(api, city):
    first, copier = await api.citizen(), await api.citizen()
    await _report(api, first, seed=7004)
    await _report(api, copier, seed=7004)
    listed = {i["citizenId"]: i["signals"] for i in (await _reviews(api, city))["items"]}
    assert list(listed) == [public_citizen_id(copier)]
    assert listed[public_citizen_id(copier)][0]["signal"] == "same_photo"


async def test_burst_of_rejected_reports_flags_the_reporter(api, city, monkeypatch):
    monkeypatch.setenv("CITYOPS_POINTS_REVIEW_REJECTED_BURST", "2")
    reload_settings()
    try:
        citizen = await api.citizen()
        for seed in (7005, 7006):
            case_id = await _report(api, citizen, seed=seed, category="E0102")  # waits
            response = await api.post(
                f"/api/admin/cases/{case_id}/reject",
                json={"reason": "无效"},
                headers=city.operator.headers,
            )
            assert response.status_code == 200, response.text
        items = (await _reviews(api, city))["items"]
        assert [i["signals"][0]["signal"] for i in items] == ["rejected_burst"]
    finally:
        monkeypatch.delenv("CITYOPS_POINTS_REVIEW_REJECTED_BURST")
        reload_settings()


@contextlib.asynccontextmanager
async def _from(peer: str):
    """The app as served, reached from ``peer`` (no proxy: the peer is the client)."""
    from api.app import create_asgi_app

    transport = httpx.ASGITransport(app=create_asgi_app(get_settings()), client=(peer, 40000))
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        yield client


async def test_many_accounts_from_one_ip_range_are_flagged(api, city, monkeypatch):
    monkeypatch.setenv("CITYOPS_POINTS_REVIEW_ACCOUNTS_PER_IP_RANGE", "2")
    reload_settings()
    try:
        citizens = [await api.citizen() for _ in range(3)]
        for index, citizen in enumerate(citizens[:2]):
            async with _from(f"1.2.3.{10 + index}") as client:
                await _report(api, citizen, seed=7010 + index, client=client)
        async with _from("1.2.4.10") as client:  # another /24
            await _report(api, citizens[2], seed=7012, client=client)
        listed = {i["citizenId"] for i in (await _reviews(api, city))["items"]}
        assert listed == {public_citizen_id(c) for c in citizens[:2]}
    finally:
        monkeypatch.delenv("CITYOPS_POINTS_REVIEW_ACCOUNTS_PER_IP_RANGE")
        reload_settings()


def _subject(signed_in: httpx.Response) -> str:
    return jwt.decode(signed_in.json()["accessToken"], options={"verify_signature": False})["sub"]


async def test_accounts_signing_in_from_one_ip_range_are_flagged(api, city, monkeypatch):
    """Farmers sign their accounts in from one place and may report from anywhere: a
    sign-in (WeChat or SMS) counts as being seen on its IP range."""
    monkeypatch.setenv("CITYOPS_POINTS_REVIEW_ACCOUNTS_PER_IP_RANGE", "2")
    reload_settings()
    try:
        async with _from("5.6.7.20") as client:
            code = api.wechat_code("openid-farm-1")
            wechat = await client.post("/api/citizen/auth/wechat", json={"code": code})
            assert wechat.status_code == 201, wechat.text
            assert (await _reviews(api, city))["items"] == []  # one account is no signal
        async with _from("5.6.7.21") as client:
            phone = "13900139021"
            sent = await client.post("/api/citizen/auth/sms/request", json={"phone": phone})
            assert sent.status_code == 202, sent.text
            body = {"phone": phone, "code": api.sms_outbox[-1]["code"]}
            sms = await client.post("/api/citizen/auth/sms/verify", json=body)
            assert sms.status_code == 201, sms.text
        async with _from("5.6.8.20") as client:  # another /24
            code = api.wechat_code("openid-farm-3")
            assert (await client.post("/api/citizen/auth/wechat", json={"code": code})).is_success
        listed = {i["citizenId"] for i in (await _reviews(api, city))["items"]}
        assert listed == {_subject(wechat), _subject(sms)}
    finally:
        monkeypatch.delenv("CITYOPS_POINTS_REVIEW_ACCOUNTS_PER_IP_RANGE")
        reload_settings()


async def test_bad_decisions_are_refused(api, city):
    farmer = await api.citizen()
    bad = await _decide(api, city.admin.headers, farmer, {"decision": "maybe"})
    assert bad.status_code in (400, 422)
    assert bad.headers["content-type"].startswith("application/problem+json")
    none_open = await _decide(api, city.admin.headers, farmer, {"decision": "clear"})
    assert none_open.status_code == 409 and none_open.json()["code"] == "points.review_not_open"
    unknown = await api.post(
        f"{REVIEW}/c_{'0' * 16}/decision", json={"decision": "clear"}, headers=city.admin.headers
    )
    assert unknown.status_code == 404
    as_operator = await _decide(api, city.operator.headers, farmer, {"decision": "clear"})
    assert as_operator.status_code == 403
    cursor = await api.get(REVIEW, params={"cursor": "junk"}, headers=city.admin.headers)
    assert cursor.status_code == 400


async def test_racing_decisions_pay_or_forfeit_once(api, city):
    """On PostgreSQL this is the real race (CITYOPS_TEST_DATABASE_URL)."""
    farmers = [await api.citizen() for _ in range(3)]
    for farmer in farmers:
        await _device(api, farmer, "c" * 64)
    await _report(api, farmers[2], seed=7020)
    bodies = [{"decision": "clear"}, {"decision": "confirm"}] * 4
    responses = await asyncio.gather(
        *(_decide(api, city.admin.headers, farmers[2], body) for body in bodies)
    )
    assert sorted(r.status_code for r in responses) == [200] + [409] * 7
    won = next(r.json() for r in responses if r.status_code == 200)
    assert await balance(api, farmers[2]) == (3 if won["decision"] == "clear" else 0)
    entries = await raw("SELECT COUNT(*) AS n FROM points_entry WHERE kind = 'earn'")
    assert entries[0]["n"] == (1 if won["decision"] == "clear" else 0)


async def test_award_racing_a_clear_never_pays_twice(api, city):
    farmers = [await api.citizen() for _ in range(3)]
    for farmer in farmers:
        await _device(api, farmer, "d" * 64)
    upload = await api.client.post(
        "/api/citizen/media",
        headers=farmers[0].headers,
        files={"file": ("p.jpg", with_taken_at(jpeg_bytes(seed=7030)), "image/jpeg")},
    )
    body = {
        "category": AUTO_CATEGORY,
        "location": {"lat": 36.0572, "lon": 120.3738},
        "mediaIds": [upload.json()["id"]],
    }
    filed, decided = await asyncio.gather(
        api.post(REPORTS, json=body, headers=farmers[0].headers),
        _decide(api, city.admin.headers, farmers[0], {"decision": "clear"}),
    )
    assert filed.status_code == 201 and decided.status_code == 200
    paid = await balance(api, farmers[0])
    held = await raw("SELECT state FROM points_hold WHERE state = 'held'")
    # Paid once (held then released, or not held at all), or still held: never twice.
    assert (paid, len(held)) in ((3, 0), (0, 1))
