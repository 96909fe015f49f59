"""The redeem race across processes: two real uvicorn servers on one PostgreSQL database,
as N stateless API replicas run in production. Only meaningful on PostgreSQL (SQLite is one
file on one machine), so it runs when CITYOPS_TEST_DATABASE_URL is set."""

import asyncio
import os
from pathlib import Path

import httpx
import pytest

from tests.rewards.support import citizen_id, new_reward, seed_points
from tests.rewards.test_concurrency import COST, REQUESTS_EACH, _setup, _tally, check_books
from tests.servers import running_apps

ROOT = Path(__file__).resolve().parents[2]
PG_URL = os.environ.get("CITYOPS_TEST_DATABASE_URL", "")

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
    """Two API processes against the test database (the schema is already migrated)."""
    env = {
        **os.environ,
        "CITYOPS_DATABASE_URL": PG_URL,
        "CITYOPS_WORKER_IN_PROCESS": "false",
        "CITYOPS_DB_POOL_MAX": "10",
        "CITYOPS_LOG_LEVEL": "WARNING",
    }
    with running_apps(env, count=2, extra_args=("--timeout-keep-alive", "60")) as urls:
        yield urls


async def _fire(urls, requests):
    """``requests``: (path, headers) pairs, sent alternately to the servers, all at once."""
    limits = httpx.Limits(max_connections=len(requests), max_keepalive_connections=20)
    clients = [httpx.AsyncClient(base_url=url, timeout=60, limits=limits) for url in urls]
    try:
        return await asyncio.gather(
            *[
                clients[i % len(clients)].post(path, headers=headers)
                for i, (path, headers) in enumerate(requests)
            ]
        )
    finally:
        for client in clients:
            await client.aclose()


@pytest.mark.parametrize("stock", [10, 50])
async def test_200_parallel_redeems_on_two_servers(api, servers, stock):
    reward, citizens, affordable = await _setup(api, stock=stock)
    seeded = {cid: COST * n + n * 3 for cid, n in affordable.items() if n}
    path = f"/api/citizen/rewards/{reward['id']}/redeem"
    requests = [(path, c.headers) for c in citizens for _ in range(REQUESTS_EACH)]
    ok, refused = _tally(await _fire(servers, requests))
    assert ok == min(stock, sum(min(n, REQUESTS_EACH) for n in affordable.values()))
    assert refused.get("points.insufficient", 0) > 0
    await check_books(api, citizens, reward["id"], stock=stock, successes=ok, seeded=seeded)


async def test_one_key_20_times_on_two_servers_redeems_once(api, servers):
    admin, citizen = await api.staff("admin"), await api.citizen()
    reward = await new_reward(api, admin, cost=COST, stock=5)
    await seed_points(citizen_id(citizen), 100)
    headers = {**citizen.headers, "Idempotency-Key": "double-tap-two-servers"}
    path = f"/api/citizen/rewards/{reward['id']}/redeem"
    responses = await _fire(servers, [(path, headers)] * 20)
    assert {r.status_code for r in responses} == {201}
    assert len({r.json()["id"] for r in responses}) == 1
    await check_books(
        api, [citizen], reward["id"], stock=5, successes=1, seeded={citizen_id(citizen): 100}
    )
