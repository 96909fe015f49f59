"""SMS one-time codes: hashed, 5 minutes, 5 tries, rate limited per phone and IP."""

import datetime as dt

import pytest

from accounts.tables import SmsChallenge
from core import clock
from tests.helpers import assert_problem

REQUEST = "/api/citizen/auth/sms/request"
VERIFY = "/api/citizen/auth/sms/verify"


async def test_request_and_verify_signs_in_and_stores_e164(api):
    code = await api.sms_code("138 0013 8000")
    stored = await SmsChallenge.objects().first()
    assert stored.phone == "+8613800138000" and code not in stored.code_hash
    response = await api.post(VERIFY, json={"phone": "+86 13800138000", "code": code})
    assert response.status_code == 201
    me = await api.get(
        "/api/citizen/me", headers={"Authorization": f"Bearer {response.json()['accessToken']}"}
    )
    assert me.json()["phone"] == "+8613800138000"


async def test_same_phone_signs_in_to_the_same_account(api):
    first = await api.citizen_by_phone("13800138001")
    clock.travel(dt.timedelta(minutes=2))
    second = await api.citizen_by_phone("13800138001")
    me1 = (await api.get("/api/citizen/me", headers=first.headers)).json()
    me2 = (await api.get("/api/citizen/me", headers=second.headers)).json()
    assert me1["id"] == me2["id"]


@pytest.mark.parametrize("phone", ["12345", "23800138000", "1380013800", "+1 415 555 0100", "abc"])
async def test_invalid_phone(api, phone):
    assert_problem(await api.post(REQUEST, json={"phone": phone}), 422, "accounts.invalid_phone")


async def test_second_request_within_a_minute_is_refused(api):
    await api.sms_code("13800138002")
    body = assert_problem(
        await api.post(REQUEST, json={"phone": "13800138002"}), 429, "sms.too_soon"
    )
    assert 0 < body["retryAfter"] <= 60
    clock.travel(dt.timedelta(seconds=61))
    assert (await api.post(REQUEST, json={"phone": "13800138002"})).status_code == 202


async def test_daily_cap_per_phone(api):
    for _ in range(10):
        await api.sms_code("13800138003")
        clock.travel(dt.timedelta(seconds=61))
    assert_problem(await api.post(REQUEST, json={"phone": "13800138003"}), 429, "sms.daily_cap")


async def test_daily_cap_per_ip(api):
    for index in range(50):
        await api.sms_code(f"1370000{index:04d}")
    assert_problem(await api.post(REQUEST, json={"phone": "13799999999"}), 429, "sms.daily_cap")


async def test_wrong_code_counts_and_the_sixth_try_is_locked(api):
    code = await api.sms_code("13800138004")
    wrong = "000000" if code != "000000" else "111111"
    for left in (4, 3, 2, 1, 0):
        body = assert_problem(
            await api.post(VERIFY, json={"phone": "13800138004", "code": wrong}),
            400,
            "sms.code_invalid",
        )
        assert str(left) in body["detail"]
    # The right code no longer helps: the challenge is locked.
    assert_problem(
        await api.post(VERIFY, json={"phone": "13800138004", "code": code}), 429, "sms.locked"
    )


async def test_code_expires_after_five_minutes(api):
    code = await api.sms_code("13800138005")
    clock.travel(dt.timedelta(minutes=5, seconds=1))
    assert_problem(
        await api.post(VERIFY, json={"phone": "13800138005", "code": code}), 400, "sms.code_expired"
    )


async def test_code_is_single_use(api):
    code = await api.sms_code("13800138006")
    assert (await api.post(VERIFY, json={"phone": "13800138006", "code": code})).status_code == 201
    assert_problem(
        await api.post(VERIFY, json={"phone": "13800138006", "code": code}), 400, "sms.code_expired"
    )


async def test_verify_without_request(api):
    assert_problem(
        await api.post(VERIFY, json={"phone": "13800138007", "code": "123456"}),
        400,
        "sms.code_expired",
    )


@pytest.mark.parametrize("code", ["12345", "1234567", "abcdef", ""])
async def test_malformed_code(api, code):
    assert_problem(
        await api.post(VERIFY, json={"phone": "13800138008", "code": code}), 400, "request.invalid"
    )


async def test_wechat_account_links_a_phone(api):
    session = await api.citizen("o-phone-link")
    code = await api.sms_code("13800138009")
    linked = await api.post(
        VERIFY, json={"phone": "13800138009", "code": code}, headers=session.headers
    )
    assert linked.status_code == 201
    me = (await api.get("/api/citizen/me", headers=session.headers)).json()
    assert me["phone"] == "+8613800138009" and me["wechatLinked"]


async def test_linking_a_phone_owned_by_another_citizen_is_a_409(api):
    await api.citizen_by_phone("13800138010")
    other = await api.citizen("o-other")
    clock.travel(dt.timedelta(minutes=2))
    code = await api.sms_code("13800138010")
    assert_problem(
        await api.post(VERIFY, json={"phone": "13800138010", "code": code}, headers=other.headers),
        409,
        "accounts.phone_taken",
    )


async def test_console_sender_prints_a_masked_number(capsys):
    from accounts.sms import ConsoleSmsSender

    await ConsoleSmsSender().send_code(phone="+8613800138011", code="424242", ttl_minutes=5)
    out = capsys.readouterr().out
    assert "424242" in out and "138****8011" in out and "13800138011" not in out
