"""SMS caps across processes: two real uvicorn servers on one PostgreSQL database send
through the Aliyun fake, all requests at once. Exactly the cap is sent, never 52 of 50.
Only meaningful on PostgreSQL (SQLite is one file on one machine)."""

from __future__ import annotations

import asyncio
import collections
import os

import httpx
import pytest

from tests.servers import running_apps
from tests.sms_support import received, reset, vendor_env

PG_URL = os.environ.get("CITYOPS_TEST_DATABASE_URL", "")
REQUEST = "/api/citizen/auth/sms/request"
VERIFY = "/api/citizen/auth/sms/verify"

pytestmark = [
    pytest.mark.postgres_only,
    pytest.mark.skipif(
        not PG_URL,
        reason="needs PostgreSQL: set CITYOPS_TEST_DATABASE_URL "
        "(two server processes share one database)",
    ),
]


def _servers(**settings: str):
    env = {
        **os.environ,
        **vendor_env("aliyun"),
        "CITYOPS_DATABASE_URL": PG_URL,
        "CITYOPS_WORKER_IN_PROCESS": "false",
        "CITYOPS_LOG_LEVEL": "WARNING",
        **{f"CITYOPS_{k.upper()}": v for k, v in settings.items()},
    }
    return running_apps(env, count=2, extra_args=("--timeout-keep-alive", "60"))


@pytest.fixture
def no_interval(api):
    reset()
    with _servers(
        sms_resend_interval_seconds="0", sms_daily_cap_per_phone="3", sms_daily_cap_per_ip="20"
    ) as urls:
        yield urls
    reset()


@pytest.fixture
def with_interval(api):
    reset()
    with _servers(sms_resend_interval_seconds="60") as urls:
        yield urls
    reset()


async def _fire(urls: list[str], path: str, bodies: list[dict], ip: str) -> collections.Counter:
    """Post every body at once, alternately to each server, from client ``ip`` (uvicorn
    takes X-Forwarded-For from the loopback proxy); counts status or problem code."""
    headers = {"X-Forwarded-For": ip}
    limits = httpx.Limits(max_connections=len(bodies))
    clients = [httpx.AsyncClient(base_url=u, timeout=60, limits=limits) for u in urls]
    try:
        answers = await asyncio.gather(
            *[
                clients[i % len(clients)].post(path, json=body, headers=headers)
                for i, body in enumerate(bodies)
            ]
        )
    finally:
        for client in clients:
            await client.aclose()
    return collections.Counter(
        str(a.status_code) if a.status_code < 400 else a.json()["code"] for a in answers
    )


async def test_the_daily_cap_per_ip_holds_exactly(no_interval):
    phones = [{"phone": f"1370000{i:04d}"} for i in range(100)]
    tally = await _fire(no_interval, REQUEST, phones, ip="10.1.0.1")
    assert tally == {"202": 20, "sms.daily_cap": 80}, tally
    assert len(received("aliyun")) == 20


async def test_the_daily_cap_per_phone_holds_exactly(no_interval):
    tally = await _fire(no_interval, REQUEST, [{"phone": "13800138000"}] * 30, ip="10.1.0.2")
    assert tally == {"202": 3, "sms.daily_cap": 27}
    assert [t["phone"] for t in received("aliyun")] == ["13800138000"] * 3


async def test_the_resend_interval_holds_exactly(with_interval):
    tally = await _fire(with_interval, REQUEST, [{"phone": "13800138001"}] * 30, ip="10.1.0.3")
    assert tally == {"202": 1, "sms.too_soon": 29}
    assert len(received("aliyun")) == 1


async def test_parallel_wrong_guesses_count_exactly_the_maximum(no_interval):
    phone = "13800138002"
    assert (await _fire(no_interval, REQUEST, [{"phone": phone}], ip="10.1.0.4")) == {"202": 1}
    code = received("aliyun")[-1]["params"]["code"]
    wrong = [{"phone": phone, "code": f"{(int(code) + n) % 10**6:06d}"} for n in range(1, 31)]
    tally = await _fire(no_interval, VERIFY, wrong, ip="10.1.0.4")
    assert tally == {"sms.code_invalid": 5, "sms.locked": 25}
    right = await _fire(no_interval, VERIFY, [{"phone": phone, "code": code}], ip="10.1.0.4")
    assert right == {"sms.locked": 1}
