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


async def _wrong_passwords(api, usernames):
    import asyncio

    responses = await asyncio.gather(
        *[api.post(LOGIN, json={"username": name, "password": "wrong"}) for name in usernames]
    )
    codes = [r.json()["code"] for r in responses]
    return codes.count("auth.invalid_credentials"), codes.count("auth.locked")


async def test_parallel_wrong_passwords_evaluate_exactly_the_allowed_number(api):
    """Attempts are counted before the password is checked: 14 at once for one username,
    5 are evaluated and 9 refused, however the requests interleave."""
    await api.staff("inspector", username="race.target")
    assert await _wrong_passwords(api, ["race.target"] * 14) == (5, 9)


async def test_failures_from_one_address_are_capped_across_usernames(api):
    await api.staff("inspector", username="bystander", password="right-password-9")
    assert await _wrong_passwords(api, [f"spray{i}" for i in range(55)]) == (20, 35)
    # The address is locked for everyone now, the right password included.
    body = assert_problem(
        await api.post(LOGIN, json={"username": "bystander", "password": "right-password-9"}),
        429,
        "auth.locked",
    )
    clock.travel(dt.timedelta(seconds=body["retryAfter"] + 1))
    ok = await api.post(LOGIN, json={"username": "bystander", "password": "right-password-9"})
    assert ok.status_code == 201


async def test_a_right_password_gives_its_address_count_back(api):
    await api.staff("inspector", username="daily.user", password="right-password-8")
    for _ in range(30):  # more sign-ins than the address may fail
        ok = await api.post(LOGIN, json={"username": "daily.user", "password": "right-password-8"})
        assert ok.status_code == 201


async def test_usernames_are_case_insensitive(api):
    admin = await api.staff("admin")
    await api.staff("inspector", username="Chen.Jie", password="right-password-7")
    for name in ("chen.jie", "CHEN.JIE", " Chen.Jie "):
        ok = await api.post(LOGIN, json={"username": name, "password": "right-password-7"})
        assert ok.status_code == 201, (name, ok.text)
    twin = {"username": "CHEN.jie", "password": "another-password", "role": "inspector"}
    assert_problem(
        await api.post("/api/admin/staff", json=twin, headers=admin.headers),
        409,
        "staff.username_taken",
    )
    # Failures of every spelling count against one account.
    for name in ("chen.jie", "CHEN.JIE", "Chen.Jie", "chen.JIE", "CHEN.jie"):
        await api.post(LOGIN, json={"username": name, "password": "bad"})
    assert_problem(
        await api.post(LOGIN, json={"username": "chen.jie", "password": "right-password-7"}),
        429,
        "auth.locked",
    )


async def test_sign_ins_are_audited(api):
    admin = await api.staff("admin", username="auditor")
    await api.post(LOGIN, json={"username": "auditor", "password": "nope"})
    await api.post(LOGIN, json={"username": "nobody.here", "password": "nope"})
    entries = (
        await api.get("/api/admin/audit", params={"targetKind": "sign_in"}, headers=admin.headers)
    ).json()["items"]
    seen = [(e["action"], e["targetId"], e["after"]["outcome"]) for e in entries]
    assert seen == [
        ("staff.sign_in_failed", "nobody.here", "wrong_password"),
        ("staff.sign_in_failed", "auditor", "wrong_password"),
        ("staff.sign_in", "auditor", "ok"),
    ]
    assert all(e["after"]["ip"] == "127.0.0.1" for e in entries)
    assert "nope" not in str(entries)


async def test_no_transaction_is_open_while_a_password_is_hashed(api, monkeypatch):
    """Hashing holds no write lock (SQLite) or connection (PostgreSQL): a wrong password,
    a right one and a new account each hash with no transaction open, and on SQLite another
    writer can take the lock at that moment."""
    import sqlite3

    from piccolo.apps.user.tables import BaseUser

    from core import db

    seen: list[bool] = []
    original = BaseUser.hash_password.__func__

    def spying(cls, *args, **kwargs):
        seen.append(db.in_transaction())
        if db.is_sqlite():
            other = sqlite3.connect(db.engine().path, timeout=0)
            try:
                other.execute("BEGIN IMMEDIATE")  # raises "database is locked" if held
                other.execute("ROLLBACK")
            finally:
                other.close()
        return original(cls, *args, **kwargs)

    admin = await api.staff("admin")
    monkeypatch.setattr(BaseUser, "hash_password", classmethod(spying))
    await api.post(LOGIN, json={"username": "nobody", "password": "x" * 12})
    await api.staff("inspector", username="locker", password="right-password-6")
    await api.post(LOGIN, json={"username": "locker", "password": "wrong-password"})
    made = await api.post(
        "/api/admin/staff",
        json={"username": "fresh.one", "password": "fresh-password-1", "role": "inspector"},
        headers=admin.headers,
    )
    assert made.status_code == 201, made.text
    assert len(seen) == 5 and not any(seen)


async def test_token_subject_is_the_public_id(api):
    import jwt

    session = await api.staff("operator")
    claims = jwt.decode(session.access, options={"verify_signature": False})
    assert claims["sub"].startswith("s_") and claims["sub"] != str(session.subject_id)
    citizen = await api.citizen()
    me = (await api.get("/api/citizen/me", headers=citizen.headers)).json()
    assert jwt.decode(citizen.access, options={"verify_signature": False})["sub"] == me["id"]


async def test_staff_change_their_own_password(api):
    session = await api.staff("inspector", username="mover", password="old-password-1")
    change = "/api/inspector/me/password"
    wrong = {"currentPassword": "not-it", "newPassword": "new-password-1"}
    assert_problem(
        await api.post(change, json=wrong, headers=session.headers), 401, "auth.invalid_credentials"
    )
    short = {"currentPassword": "old-password-1", "newPassword": "short"}
    assert_problem(
        await api.post(change, json=short, headers=session.headers), 422, "staff.invalid"
    )
    ok = {"currentPassword": "old-password-1", "newPassword": "new-password-1"}
    assert (await api.post(change, json=ok, headers=session.headers)).status_code == 204
    assert_problem(
        await api.post("/api/auth/refresh", json={"refreshToken": session.refresh}),
        401,
        "auth.refresh_invalid",
    )
    old = await api.post(LOGIN, json={"username": "mover", "password": "old-password-1"})
    assert_problem(old, 401, "auth.invalid_credentials")
    new = await api.post(LOGIN, json={"username": "mover", "password": "new-password-1"})
    assert new.status_code == 201


async def test_guessing_through_the_password_change_counts_towards_the_lockout(api):
    session = await api.staff("inspector", username="guessed", password="old-password-2")
    for _ in range(5):
        guess = {"currentPassword": "guess", "newPassword": "new-password-2"}
        await api.post("/api/inspector/me/password", json=guess, headers=session.headers)
    assert_problem(
        await api.post(LOGIN, json={"username": "guessed", "password": "old-password-2"}),
        429,
        "auth.locked",
    )


async def test_an_admin_sets_a_password(api):
    admin = await api.staff("admin")
    staff = await api.staff("handler", username="forgetful", password="lost-password-1")
    path = f"/api/admin/staff/{staff.subject_id}/password"
    assert_problem(
        await api.put(path, json={"password": "new-password-3"}, headers=staff.headers),
        403,
        "auth.role_forbidden",
    )
    assert_problem(
        await api.put(path, json={"password": "short"}, headers=admin.headers),
        400,
        "request.invalid",
    )
    assert_problem(
        await api.put(
            "/api/admin/staff/999999/password",
            json={"password": "new-password-3"},
            headers=admin.headers,
        ),
        404,
        "staff.unknown",
    )
    done = await api.put(path, json={"password": "new-password-3"}, headers=admin.headers)
    assert done.status_code == 204
    new = await api.post(LOGIN, json={"username": "forgetful", "password": "new-password-3"})
    assert new.status_code == 201
    trail = (
        await api.get(
            "/api/admin/audit", params={"action": "staff.password"}, headers=admin.headers
        )
    ).json()["items"]
    assert [e["targetId"] for e in trail] == [str(staff.subject_id)]
    assert "new-password-3" not in str(trail)
