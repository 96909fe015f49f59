"""Staff sign-in: one answer for every failure, lockout after repeated failures."""

import datetime as dt

from piccolo.apps.user.tables import BaseUser

from core import clock
from tests.helpers import assert_problem

LOGIN = "/api/inspector/auth/login"


async def test_login_and_me(api):
    session = await api.staff("handler", username="li.na", display_name="李娜", phone="13800138000")
    me = await api.get("/api/inspector/me", headers=session.headers)
    assert me.status_code == 200
    assert me.json() == {
        "id": session.subject_id,
        "username": "li.na",
        "displayName": "李娜",
        "role": "handler",
        "orgUnitId": None,
        "phone": "+8613800138000",
        "locale": "zh-CN",
    }


async def test_wrong_password_and_unknown_user_look_the_same(api):
    await api.staff("inspector", username="zhang.wei")
    wrong = await api.post(LOGIN, json={"username": "zhang.wei", "password": "nope"})
    unknown = await api.post(LOGIN, json={"username": "nobody", "password": "nope"})
    assert_problem(wrong, 401, "auth.invalid_credentials")
    assert_problem(unknown, 401, "auth.invalid_credentials")
    strip = lambda body: {k: v for k, v in body.items() if k != "requestId"}  # noqa: E731
    assert strip(wrong.json()) == strip(unknown.json())


async def test_lockout_after_five_failures_even_with_the_right_password(api):
    await api.staff("inspector", username="wang.fang", password="right-password-1")
    for _ in range(5):
        assert_problem(
            await api.post(LOGIN, json={"username": "wang.fang", "password": "bad"}),
            401,
            "auth.invalid_credentials",
        )
    body = assert_problem(
        await api.post(LOGIN, json={"username": "wang.fang", "password": "right-password-1"}),
        429,
        "auth.locked",
    )
    assert body["retryAfter"] > 0
    clock.travel(dt.timedelta(seconds=body["retryAfter"] + 1))
    assert (
        await api.post(LOGIN, json={"username": "wang.fang", "password": "right-password-1"})
    ).status_code == 201


async def test_unknown_usernames_lock_out_too(api):
    for _ in range(5):
        await api.post(LOGIN, json={"username": "ghost", "password": "bad"})
    assert_problem(
        await api.post(LOGIN, json={"username": "ghost", "password": "bad"}), 429, "auth.locked"
    )


async def test_success_resets_the_failure_count(api):
    await api.staff("inspector", username="zhao.lei", password="right-password-2")
    for _ in range(4):
        await api.post(LOGIN, json={"username": "zhao.lei", "password": "bad"})
    assert (
        await api.post(LOGIN, json={"username": "zhao.lei", "password": "right-password-2"})
    ).status_code == 201
    for _ in range(4):
        await api.post(LOGIN, json={"username": "zhao.lei", "password": "bad"})
    assert (
        await api.post(LOGIN, json={"username": "zhao.lei", "password": "right-password-2"})
    ).status_code == 201


async def test_disabled_staff_cannot_sign_in_or_refresh(api):
    session = await api.staff("inspector", username="gone", password="right-password-3")
    await BaseUser.update({BaseUser.active: False}).where(BaseUser.username == "gone")
    assert_problem(
        await api.post(LOGIN, json={"username": "gone", "password": "right-password-3"}),
        403,
        "auth.account_disabled",
    )
    assert_problem(
        await api.post("/api/auth/refresh", json={"refreshToken": session.refresh}),
        403,
        "auth.account_disabled",
    )


async def test_piccolo_user_without_staff_profile_cannot_sign_in(api):
    from core.db import transaction

    async with transaction():
        await BaseUser.create_user(username="bare", password="bare-password", email="b@x.invalid")
    assert_problem(
        await api.post(LOGIN, json={"username": "bare", "password": "bare-password"}),
        401,
        "auth.invalid_credentials",
    )


async def test_role_is_in_the_token(api):
    import jwt

    session = await api.staff("operator")
    claims = jwt.decode(session.access, options={"verify_signature": False})
    assert claims["role"] == "operator" and claims["aud"] == "staff" and claims["iss"] == "cityops"
    assert {"exp", "iat", "jti", "sub"} <= claims.keys()
    assert claims["exp"] - claims["iat"] == 900


async def test_a_disabled_account_is_refused_at_once_with_its_access_token(api):
    session = await api.staff("inspector", username="leaving")
    assert (await api.get("/api/inspector/me", headers=session.headers)).status_code == 200
    await BaseUser.update({BaseUser.active: False}).where(BaseUser.username == "leaving")
    assert_problem(
        await api.get("/api/inspector/me", headers=session.headers), 403, "auth.account_disabled"
    )


async def test_a_changed_role_invalidates_the_access_token(api):
    from accounts.tables import Staff

    session = await api.staff("operator", username="demoted")
    await Staff.update({Staff.role: "inspector"}).where(Staff.id == session.subject_id)
    assert_problem(
        await api.get("/api/admin/cases", headers=session.headers), 401, "auth.role_changed"
    )


async def test_a_disabled_citizen_is_refused(api):
    from accounts.tables import Citizen

    citizen = await api.citizen_by_phone("13800138555")
    await Citizen.update({Citizen.disabled: True}).where(Citizen.phone == "+8613800138555")
    assert_problem(
        await api.get("/api/citizen/reports", headers=citizen.headers), 403, "auth.account_disabled"
    )
