"""The counters that protect sign-in and uploads hold across processes: two real uvicorn
servers on one PostgreSQL database, every request at once, alternately to each. Exactly the
allowed number is evaluated, never one more because the other process counted late. Only
meaningful on PostgreSQL (SQLite is one file on one machine). SMS caps and redemptions have
their own two-server tests (tests/accounts/test_sms_two_servers.py, tests/rewards/)."""

from __future__ import annotations

import asyncio
import collections
import os

import httpx
import pytest

from tests.helpers import jpeg_bytes
from tests.servers import running_apps

PG_URL = os.environ.get("CITYOPS_TEST_DATABASE_URL", "")
LOGIN = "/api/inspector/auth/login"
UPLOAD = "/api/citizen/media"

pytestmark = [
    pytest.mark.postgres_only,
    pytest.mark.skipif(
        not PG_URL,
        reason="needs PostgreSQL: set CITYOPS_TEST_DATABASE_URL "
        "(two server processes share one database)",
    ),
]


@pytest.fixture
def servers(api):
    env = {
        **os.environ,
        "CITYOPS_DATABASE_URL": PG_URL,
        "CITYOPS_WORKER_IN_PROCESS": "false",
        "CITYOPS_LOG_LEVEL": "WARNING",
        "CITYOPS_MEDIA_DAILY_UPLOADS_CITIZEN": "7",
    }
    with running_apps(env, count=2, extra_args=("--timeout-keep-alive", "60")) as urls:
        yield urls


async def _fire(urls: list[str], send) -> collections.Counter:
    """``send(client, index)`` for each index at once, alternately on each server; counts
    the status of successes and the problem code of refusals."""
    clients = [
        httpx.AsyncClient(base_url=u, timeout=60, limits=httpx.Limits(max_connections=100))
        for u in urls
    ]
    try:
        answers = await asyncio.gather(
            *[send(clients[i % len(clients)], i) for i in range(send.count)]
        )
    finally:
        for client in clients:
            await client.aclose()
    return collections.Counter(
        str(a.status_code) if a.status_code < 400 else a.json()["code"] for a in answers
    )


def _logins(usernames: list[str]):
    async def send(client: httpx.AsyncClient, index: int) -> httpx.Response:
        return await client.post(LOGIN, json={"username": usernames[index], "password": "wrong"})

    send.count = len(usernames)
    return send


async def test_lockout_of_one_username_evaluates_exactly_the_maximum(api, servers):
    await api.staff("inspector", username="two.servers", password="right-password-1")
    tally = await _fire(servers, _logins(["two.servers"] * 30))
    assert tally == {"auth.invalid_credentials": 5, "auth.locked": 25}, tally
    right = await httpx.AsyncClient(base_url=servers[1]).post(
        LOGIN, json={"username": "two.servers", "password": "right-password-1"}
    )
    assert right.status_code == 429 and right.json()["code"] == "auth.locked"


async def test_failures_from_one_address_are_capped_exactly(api, servers):
    tally = await _fire(servers, _logins([f"spray{i}" for i in range(60)]))
    assert tally == {"auth.invalid_credentials": 20, "auth.locked": 40}, tally


async def test_the_daily_upload_quota_holds_exactly(api, servers):
    citizen = await api.citizen()
    photos = [jpeg_bytes(seed=i) for i in range(16)]

    async def send(client: httpx.AsyncClient, index: int) -> httpx.Response:
        files = {"file": (f"IMG_{index:04d}.jpg", photos[index], "image/jpeg")}
        return await client.post(UPLOAD, files=files, headers=citizen.headers)

    send.count = len(photos)
    tally = await _fire(servers, send)
    assert tally == {"201": 7, "media.quota_exceeded": 9}, tally
