"""Outbound webhooks through the outbox, against a loopback receiver that checks the
HMAC signature with its own code (fakes/webhook_receiver.py): a 12345 platform hears of its
own requests' progress; failures retry with backoff and end as dead letters admins see;
subscriber URLs that could reach inside the network are refused."""

from __future__ import annotations

import datetime as dt

import httpx
import pytest

from accounts.api_keys import create_api_client
from core import clock
from core.db import transaction
from fakes.server import BackgroundServer
from fakes.webhook_receiver import create_webhook_receiver
from notify.providers.webhook import WebhookProvider
from notify.tables import NotificationDelivery
from notify.webhook_signing import sign, verify
from notify.worker import Outbox
from tests.api.open311.test_georeport import V2, _form
from tests.cases_city import build_city
from tests.helpers import assert_problem
from tests.notify.conftest import notify_settings

W = "/api/admin/webhooks"


@pytest.fixture(scope="module")
def receiver():
    server = BackgroundServer(create_webhook_receiver()).start()
    yield server
    server.stop()


@pytest.fixture
async def platform(api, receiver, settings_env):
    settings_env(CITYOPS_WEBHOOK_ALLOWED_HOSTS="127.0.0.1")
    city = await build_city(api)
    admin = await api.staff("admin")
    async with transaction():
        client = await create_api_client(name="hotline-12345", kind="system")
        other = await create_api_client(name="partner-app", kind="system")
    settings = notify_settings(notify_channels="", webhook_allowed_hosts="127.0.0.1")
    box = Outbox(providers={"webhook": WebhookProvider(settings)}, settings=settings)
    yield city, admin, client, other, box
    await box.aclose()


async def _subscribe(api, admin, receiver, **extra) -> dict:
    body = {"name": "12345", "url": f"{receiver.url}/hook", **extra}
    response = await api.post(W, json=body, headers=admin.headers)
    assert response.status_code == 201, response.text
    sub = response.json()
    httpx.post(f"{receiver.url}/__fake__/secret", json={"secret": sub["secret"]})
    return sub


def _received(receiver) -> dict:
    return httpx.get(f"{receiver.url}/__fake__/received").json()


async def test_a_12345_platform_hears_its_own_requests_progress(api, receiver, platform):
    city, admin, client, other, box = platform
    seen_before = len(_received(receiver)["received"])
    sub = await _subscribe(api, admin, receiver, clientId=client.client_id)
    listed = await api.get(W, headers=admin.headers)
    assert [s["secret"] for s in listed.json()] == [None]  # shown once only
    filed = await api.post(f"{V2}/requests.json", data=_form(client.key))
    request_id = filed.json()[0]["service_request_id"]
    await api.post(f"{V2}/requests.json", data=_form(other.key))  # not the platform's
    accepted = await api.post(
        f"/api/admin/cases/{request_id}/accept", json={}, headers=city.operator.headers
    )
    assert accepted.status_code == 200, accepted.text
    await box.drain()
    got = _received(receiver)
    events = got["received"][seen_before:]
    assert [e["event"] for e in events][:2] == ["case.report", "case.accept"]
    assert {e["body"]["caseId"] for e in events} == {request_id}
    assert events[1]["body"]["state"] in ("accepted", "dispatched")
    assert events[1]["body"]["status"] == "open"
    assert (
        await NotificationDelivery.count().where(
            (NotificationDelivery.channel == "webhook") & (NotificationDelivery.status != "sent")
        )
        == 0
    )
    assert sub["eventTypes"] == []


async def test_subscribing_and_unsubscribing_take_effect_at_once(
    api, receiver, platform, settings_env
):
    """Who subscribes is cached (every case step asks); the process that changes it forgets
    at once, so the next step is sent, and after an unsubscribe nothing is queued."""
    city, admin, client, _, box = platform
    settings_env(CITYOPS_CACHE_CHECK_SECONDS="3600")

    async def file() -> str:
        response = await api.post(f"{V2}/requests.json", data=_form(client.key))
        assert response.status_code == 201, response.text
        return response.json()[0]["service_request_id"]

    async def queued() -> int:
        return await NotificationDelivery.count().where(NotificationDelivery.channel == "webhook")

    await file()  # nobody subscribes yet: that answer is cached
    assert await queued() == 0
    sub = await _subscribe(api, admin, receiver, eventTypes=["case.report"])
    await file()
    assert await queued() == 1
    gone = await api.delete(f"{W}/{sub['id']}", headers=admin.headers)
    assert gone.status_code == 204, gone.text
    await file()
    assert await queued() == 1
    await box.drain()


async def test_failures_retry_with_backoff_then_dead_letter(api, receiver, platform):
    city, admin, client, _, box = platform
    await _subscribe(api, admin, receiver, eventTypes=["case.report"])
    httpx.post(f"{receiver.url}/__fake__/fail", json={"status": 503, "times": 100})
    await api.post(f"{V2}/requests.json", data=_form(client.key))
    await box.drain()
    [row] = await NotificationDelivery.select().where(NotificationDelivery.channel == "webhook")
    assert row["status"] == "pending" and row["attempts"] == 1
    assert row["available_at"] > clock.now()  # backoff: not again at once
    for _ in range(5):
        clock.travel(dt.timedelta(hours=1))
        await box.drain()
    [row] = await NotificationDelivery.select().where(NotificationDelivery.channel == "webhook")
    assert row["status"] == "dead" and row["attempts"] == 4 and "503" in row["last_error"]
    admin = await api.staff("admin")  # the first one's token ran out as the clock moved
    dead = await api.get(
        "/api/admin/notifications/dead", params={"channel": "webhook"}, headers=admin.headers
    )
    assert dead.status_code == 200, dead.text
    assert len(dead.json()["items"]) == 1
    httpx.post(f"{receiver.url}/__fake__/fail", json={"status": 503, "times": 0})


async def test_a_wrong_signature_is_refused_and_not_retried(api, receiver, platform):
    _, admin, client, _, box = platform
    await _subscribe(api, admin, receiver)
    httpx.post(f"{receiver.url}/__fake__/secret", json={"secret": "not-the-secret"})
    refused_before = _received(receiver)["refused"]
    await api.post(f"{V2}/requests.json", data=_form(client.key))
    await box.drain()
    assert _received(receiver)["refused"] == refused_before + 1
    [row] = await NotificationDelivery.select().where(NotificationDelivery.channel == "webhook")
    assert row["status"] == "dead" and "401" in row["last_error"]


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1/hook",  # loopback, not allowed here
        "https://10.1.2.3/hook",
        "https://169.254.169.254/latest/meta-data",
        "https://[::1]/hook",
        "ftp://example.com/hook",
        "https://user:pw@example.com/hook",
        "http://example.com/hook",  # http outside the allow-list
    ],
)
async def test_subscriber_urls_that_reach_inside_are_refused(api, url):
    admin = await api.staff("admin")
    response = await api.post(W, json={"name": "x", "url": url}, headers=admin.headers)
    assert_problem(response, 422, "webhook.url_refused")


async def test_unknown_event_types_are_refused(api, settings_env, receiver):
    settings_env(CITYOPS_WEBHOOK_ALLOWED_HOSTS="127.0.0.1")
    admin = await api.staff("admin")
    body = {"name": "x", "url": f"{receiver.url}/hook", "eventTypes": ["case.explode"]}
    response = await api.post(W, json=body, headers=admin.headers)
    assert_problem(response, 422, "webhook.event_unknown")


def test_signatures_verify_and_go_stale():
    body = b'{"type":"case.accept"}'
    header = sign("s3cret", body)
    assert verify("s3cret", body, header)
    assert not verify("other", body, header)
    assert not verify("s3cret", body + b" ", header)
    old = sign("s3cret", body, timestamp=1_000_000)
    assert not verify("s3cret", body, old)
