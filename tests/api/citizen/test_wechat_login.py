"""WeChat mini-program sign-in through the real client against the loopback fake."""

import httpx
import pytest

from tests.helpers import assert_problem

WECHAT = "/api/citizen/auth/wechat"


async def test_new_openid_creates_a_citizen_and_the_same_openid_finds_it(api):
    first = await api.post(WECHAT, json={"code": api.wechat_code("o-alice")})
    assert first.status_code == 201
    body = first.json()
    assert body["tokenType"] == "Bearer" and body["audience"] == "citizen"
    assert "session_key" not in first.text and "sessionKey" not in first.text
    me1 = (
        await api.get("/api/citizen/me", headers={"Authorization": f"Bearer {body['accessToken']}"})
    ).json()
    again = await api.post(WECHAT, json={"code": api.wechat_code("o-alice")})
    me2 = (
        await api.get(
            "/api/citizen/me", headers={"Authorization": f"Bearer {again.json()['accessToken']}"}
        )
    ).json()
    assert me1["id"] == me2["id"] and me1["wechatLinked"] is True
    assert me1["id"].startswith("c_")


async def test_reused_code_is_a_409(api):
    code = api.wechat_code("o-bob")
    assert (await api.post(WECHAT, json={"code": code})).status_code == 201
    assert_problem(await api.post(WECHAT, json={"code": code}), 409, "wechat.code_used")


async def test_unknown_code_is_a_400(api):
    assert_problem(await api.post(WECHAT, json={"code": "made-up"}), 400, "wechat.invalid_code")


@pytest.mark.parametrize(
    ("errcode", "status", "code"),
    [
        (40029, 400, "wechat.invalid_code"),
        (40163, 409, "wechat.code_used"),
        (45011, 429, "wechat.rate_limited"),
        (-1, 503, "wechat.busy"),
        (40226, 502, "wechat.error"),
        (500, 503, "wechat.unavailable"),
    ],
)
async def test_wechat_error_codes_become_distinct_problems(api, errcode, status, code):
    api.wechat_fail(errcode)
    assert_problem(await api.post(WECHAT, json={"code": api.wechat_code("o-x")}), status, code)


async def test_wechat_timeout_is_a_503(api):
    httpx.post(f"{api.wechat_url}/__fake__/delay", json={"seconds": 1.5})
    assert_problem(
        await api.post(WECHAT, json={"code": api.wechat_code("o-slow")}), 503, "wechat.unavailable"
    )


async def test_wrong_app_secret_is_reported_as_wechat_error(api, monkeypatch):
    from core import settings as settings_module

    monkeypatch.setenv("CITYOPS_WECHAT_SECRET", "wrong-secret-wrong-secret")
    settings_module.reload_settings()
    try:
        body = assert_problem(
            await api.post(WECHAT, json={"code": api.wechat_code("o-y")}), 502, "wechat.error"
        )
        assert "40125" in body["detail"]
        assert "wrong-secret" not in str(body)
    finally:
        monkeypatch.undo()
        settings_module.reload_settings()


async def test_empty_code_is_refused_before_calling_wechat(api):
    calls_before = httpx.get(f"{api.wechat_url}/__fake__/calls").json()["calls"]
    assert_problem(await api.post(WECHAT, json={"code": ""}), 400, "request.invalid")
    assert httpx.get(f"{api.wechat_url}/__fake__/calls").json()["calls"] == calls_before


async def test_sms_account_links_wechat_and_both_sign_in_to_it(api):
    phone_session = await api.citizen_by_phone("13912345678")
    linked = await api.post(
        WECHAT, json={"code": api.wechat_code("o-link")}, headers=phone_session.headers
    )
    assert linked.status_code == 201
    by_wechat = await api.post(WECHAT, json={"code": api.wechat_code("o-link")})
    token = by_wechat.json()["accessToken"]
    me = (await api.get("/api/citizen/me", headers={"Authorization": f"Bearer {token}"})).json()
    assert me["phone"] == "+8613912345678" and me["wechatLinked"] is True


async def test_linking_an_openid_owned_by_another_citizen_is_a_409(api):
    await api.citizen("o-taken")
    other = await api.citizen_by_phone("13912345679")
    assert_problem(
        await api.post(WECHAT, json={"code": api.wechat_code("o-taken")}, headers=other.headers),
        409,
        "accounts.wechat_taken",
    )
