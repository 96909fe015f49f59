"""Rotating refresh tokens; reuse revokes the whole family."""

import asyncio
import datetime as dt

from core import clock
from tests.helpers import assert_problem, bearer

REFRESH = "/api/auth/refresh"


async def _refresh(api, token):
    return await api.post(REFRESH, json={"refreshToken": token})


async def test_refresh_rotates(api):
    session = await api.citizen()
    first = await _refresh(api, session.refresh)
    assert first.status_code == 201
    new = first.json()
    assert new["refreshToken"] != session.refresh
    assert (await api.get("/api/citizen/me", headers=bearer(new["accessToken"]))).status_code == 200
    assert (await _refresh(api, new["refreshToken"])).status_code == 201


async def test_reuse_revokes_the_family(api):
    session = await api.citizen()
    rotated = (await _refresh(api, session.refresh)).json()["refreshToken"]
    assert_problem(await _refresh(api, session.refresh), 401, "auth.refresh_reused")
    # The thief's reuse also ends the legitimate holder's newer token.
    assert_problem(await _refresh(api, rotated), 401, "auth.refresh_invalid")


async def test_other_families_survive_a_reuse(api):
    phone_one = await api.citizen("o-fam")
    phone_two = await api.citizen("o-fam")
    await _refresh(api, phone_one.refresh)
    await _refresh(api, phone_one.refresh)
    assert (await _refresh(api, phone_two.refresh)).status_code == 201


async def test_parallel_refreshes_of_one_token_let_one_through(api):
    session = await api.citizen()
    results = await asyncio.gather(*[_refresh(api, session.refresh) for _ in range(5)])
    assert sorted(r.status_code for r in results).count(201) == 1


async def test_logout_revokes(api):
    session = await api.staff("inspector")
    assert (
        await api.post("/api/auth/logout", json={"refreshToken": session.refresh})
    ).status_code == 204
    assert_problem(await _refresh(api, session.refresh), 401, "auth.refresh_invalid")


async def test_expired_refresh_token(api):
    session = await api.citizen()
    clock.travel(dt.timedelta(days=31))
    assert_problem(await _refresh(api, session.refresh), 401, "auth.refresh_invalid")


async def test_unknown_refresh_token(api):
    assert_problem(await _refresh(api, "x" * 43), 401, "auth.refresh_invalid")
    assert_problem(
        await api.post("/api/auth/logout", json={"refreshToken": "x" * 43}),
        401,
        "auth.refresh_invalid",
    )


async def test_refresh_keeps_audience_and_role(api):
    import jwt

    session = await api.staff("admin")
    new = (await _refresh(api, session.refresh)).json()
    claims = jwt.decode(new["accessToken"], options={"verify_signature": False})
    assert (claims["aud"], claims["role"]) == ("staff", "admin")
