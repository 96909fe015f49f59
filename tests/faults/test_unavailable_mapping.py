"""Each way the database driver says "I cannot reach the database right now" is a 503
problem with Retry-After (api/errors.py, core/db.is_unavailable); any other database error
stays a 500. The restart test (test_database_restart.py) shows the real thing; this pins
every case, SQLite's busy timeout included, on the suite's database."""

from __future__ import annotations

import sqlite3

import asyncpg
import pytest

from tests.helpers import assert_problem

UNAVAILABLE = [
    ConnectionRefusedError(111, "Connect call failed"),
    asyncpg.CannotConnectNowError("the database system is starting up"),
    asyncpg.AdminShutdownError("terminating connection due to administrator command"),
    asyncpg.ConnectionDoesNotExistError("connection was closed in the middle of operation"),
    asyncpg.InterfaceError(
        "cannot call Transaction.rollback(): the underlying connection is closed"
    ),
    asyncpg.InternalClientError("cannot switch to state 15; another operation (2) is in progress"),
    asyncpg.TooManyConnectionsError("sorry, too many clients already"),
    sqlite3.OperationalError("database is locked"),
]


async def _profile_raising(api, monkeypatch, exc: BaseException):
    import accounts.service

    async def fail(**_):
        raise exc

    monkeypatch.setattr(accounts.service, "citizen_profile", fail)
    citizen = await api.citizen()
    return await api.get("/api/citizen/me", headers=citizen.headers)


@pytest.mark.parametrize("exc", UNAVAILABLE, ids=lambda exc: type(exc).__name__)
async def test_database_unreachable_is_a_503_with_retry_after(api, monkeypatch, exc):
    response = await _profile_raising(api, monkeypatch, exc)
    body = assert_problem(response, 503, "service.unavailable")
    assert int(response.headers["retry-after"]) == body["retryAfter"] > 0


@pytest.mark.parametrize(
    "exc",
    [sqlite3.OperationalError("no such table: media"), asyncpg.UndefinedTableError("no table")],
    ids=lambda exc: type(exc).__name__,
)
async def test_other_database_errors_stay_500(api, monkeypatch, exc):
    response = await _profile_raising(api, monkeypatch, exc)
    assert_problem(response, 500, "internal")
    assert "retry-after" not in response.headers
