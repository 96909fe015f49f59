"""Tokens used where they do not belong: another audience, a revoked refresh family, a
refresh token as an access token and the reverse, a disabled account's tokens.
(Forged signatures, algorithms, expiry and missing claims: tests/api/test_tokens.py; plain
rotation and reuse: tests/api/test_refresh.py.)"""

import jwt
import pytest
from piccolo.apps.user.tables import BaseUser

from accounts.tables import Citizen, Staff
from tests.api.test_tokens import SECRET
from tests.helpers import assert_problem, bearer

REFRESH = "/api/auth/refresh"
LOGOUT = "/api/auth/logout"
APPS = {"citizen": "/api/citizen/me", "staff": "/api/inspector/me"}


def _resigned(token: str, **changes) -> str:
    """The same claims with ``changes``, signed with the server's own key."""
    claims = jwt.decode(token, options={"verify_signature": False})
    claims.update(changes)
    return jwt.encode(claims, SECRET, algorithm="HS256")


async def _refresh(api, token: str):
    return await api.post(REFRESH, json={"refreshToken": token})


async def _rotate(api, token: str) -> dict:
    response = await _refresh(api, token)
    assert response.status_code == 201, response.text
    return response.json()


@pytest.mark.parametrize("audience", ["admin", "open311", "intake", "Citizen", ""])
async def test_a_well_signed_token_for_an_unknown_audience_is_refused(api, audience):
    citizen = await api.citizen()
    # Control: re-signing alone changes nothing, so only the audience can be to blame.
    same = _resigned(citizen.access)
    assert (await api.get(APPS["citizen"], headers=bearer(same))).status_code == 200
    forged = _resigned(citizen.access, aud=audience)
    for url in APPS.values():
        assert_problem(await api.get(url, headers=bearer(forged)), 403, "auth.wrong_audience")


async def test_an_audience_list_naming_both_apps_is_refused(api):
    """pyjwt would accept a list containing the expected audience; we compare exactly."""
    staff = await api.staff("admin")
    forged = _resigned(staff.access, aud=["staff", "citizen"])
    for url in (*APPS.values(), "/api/admin/cases"):
        assert_problem(await api.get(url, headers=bearer(forged)), 403, "auth.wrong_audience")
    assert (await api.get("/api/admin/cases", headers=staff.headers)).status_code == 200


async def test_logout_revokes_every_token_of_the_family(api):
    session = await api.citizen("fam-logout")
    other_phone = await api.citizen("fam-logout")
    first = await _rotate(api, session.refresh)
    latest = await _rotate(api, first["refreshToken"])
    assert (
        await api.post(LOGOUT, json={"refreshToken": latest["refreshToken"]})
    ).status_code == 204
    for token in (latest["refreshToken"], first["refreshToken"], session.refresh):
        response = await _refresh(api, token)
        assert response.status_code == 401, response.text
        assert response.json()["code"] in ("auth.refresh_invalid", "auth.refresh_reused")
    # The same account signed in on another phone keeps its own family.
    assert (await _refresh(api, other_phone.refresh)).status_code == 201


async def test_reusing_an_old_staff_token_revokes_tokens_rotated_after_it(api):
    staff = await api.staff("inspector", username="reuse.staff")
    first = await _rotate(api, staff.refresh)
    latest = await _rotate(api, first["refreshToken"])
    assert_problem(await _refresh(api, staff.refresh), 401, "auth.refresh_reused")
    for token in (latest["refreshToken"], first["refreshToken"]):
        assert (await _refresh(api, token)).status_code == 401
    # Signing in again starts a new family.
    login = await api.post(
        "/api/inspector/auth/login",
        json={"username": "reuse.staff", "password": "correct-horse-battery"},
    )
    assert (await _refresh(api, login.json()["refreshToken"])).status_code == 201


@pytest.mark.parametrize("kind", ["citizen", "staff"])
async def test_a_refresh_token_is_not_an_access_token(api, kind):
    session = await (api.citizen() if kind == "citizen" else api.staff("operator"))
    assert (await api.get(APPS[kind], headers=session.headers)).status_code == 200
    response = await api.get(APPS[kind], headers=bearer(session.refresh))
    assert_problem(response, 401, "auth.invalid_token")
    # Unharmed by the attempt.
    assert (await _refresh(api, session.refresh)).status_code == 201


@pytest.mark.parametrize("kind", ["citizen", "staff"])
async def test_an_access_token_is_not_a_refresh_token(api, kind):
    session = await (api.citizen() if kind == "citizen" else api.staff("operator"))
    for url in (REFRESH, LOGOUT):
        response = await api.post(url, json={"refreshToken": session.access})
        assert response.status_code in (400, 401), response.text
        assert response.json()["code"] in ("auth.refresh_invalid", "request.invalid")
    # The real refresh token still works: the attempts did not revoke the family.
    assert (await _refresh(api, session.refresh)).status_code == 201


async def test_a_disabled_citizen_cannot_refresh_and_is_served_again_once_enabled(api):
    citizen = await api.citizen("going-away")
    await Citizen.update({Citizen.disabled: True}).where(Citizen.wechat_openid == "going-away")
    assert_problem(await _refresh(api, citizen.refresh), 403, "auth.account_disabled")
    assert_problem(
        await api.get("/api/citizen/points", headers=citizen.headers),
        403,
        "auth.account_disabled",
    )
    await Citizen.update({Citizen.disabled: False}).where(Citizen.wechat_openid == "going-away")
    assert (await api.get("/api/citizen/points", headers=citizen.headers)).status_code == 200


async def test_a_disabled_admins_valid_token_writes_nothing(api):
    admin = await api.staff("admin", username="old.admin")
    body = {"username": "new.inspector", "password": "long-enough-pw", "role": "inspector"}
    await BaseUser.update({BaseUser.active: False}).where(BaseUser.username == "old.admin")
    response = await api.post("/api/admin/staff", json=body, headers=admin.headers)
    assert_problem(response, 403, "auth.account_disabled")
    assert not await Staff.exists().where(Staff.user.username == "new.inspector")
    await BaseUser.update({BaseUser.active: True}).where(BaseUser.username == "old.admin")
    response = await api.post("/api/admin/staff", json=body, headers=admin.headers)
    assert response.status_code == 201, response.text


async def test_a_changed_role_is_renewed_by_refreshing(api):
    """The role-changed answer tells the app to renew its token; the renewed token must
    carry the account's role now, or the app could never get past that answer."""
    session = await api.staff("operator", username="moved.on")
    await Staff.update({Staff.role: "inspector"}).where(Staff.id == session.subject_id)
    assert_problem(
        await api.get("/api/admin/cases", headers=session.headers), 401, "auth.role_changed"
    )
    renewed = await _rotate(api, session.refresh)
    claims = jwt.decode(renewed["accessToken"], options={"verify_signature": False})
    assert claims["role"] == "inspector"
    headers = bearer(renewed["accessToken"])
    assert (await api.get("/api/inspector/tasks", headers=headers)).status_code == 200
    assert_problem(await api.get("/api/admin/cases", headers=headers), 403, "auth.role_forbidden")
