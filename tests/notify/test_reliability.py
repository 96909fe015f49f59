"""A real `cityops worker` process is killed with SIGKILL in the middle of a batch and
started again: every notification is delivered, none is lost, and no device gets more than
one duplicate (only the batch in flight at the kill can be sent twice)."""

import asyncio
import collections
import os
import signal
import subprocess
import tempfile
import time

import httpx

from accounts.devices import register_device
from core.actors import Actor
from core.db import raw, transaction
from core.settings import get_settings
from notify.preferences import report_subscriptions
from notify.service import enqueue
from notify.tables import InboxMessage, NotificationDelivery
from tests.notify.conftest import build_outbox, citizen_id, fake_env, notify_settings
from tests.servers import cli_process

OWNERS = 60
TEMPLATES = ("case.accepted", "case.dispatched", "case.resolved")
WECHAT_CITIZENS = 6


def _start_worker(log) -> subprocess.Popen:
    env = {
        **os.environ,
        **fake_env(),
        "CITYOPS_NOTIFY_LEASE_SECONDS": "3",
        "CITYOPS_NOTIFY_INTERVAL_SECONDS": "0.2",
        "CITYOPS_NOTIFY_BATCH_SIZE": "40",
        "CITYOPS_NOTIFY_SEND_TIMEOUT_SECONDS": "2",
        "CITYOPS_WORKER_IN_PROCESS": "false",
    }
    return cli_process(env, log, "worker")


async def _count(status: str) -> int:
    rows = await raw("SELECT COUNT(*) AS n FROM notification_delivery WHERE status = {}", status)
    return rows[0]["n"]


async def _wait(predicate, within: float, what: str):
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        if await predicate():
            return
        await asyncio.sleep(0.005)
    raise AssertionError(f"timed out waiting for {what}")


async def test_sigkill_mid_batch_then_restart_loses_nothing(api, apns_fake, fcm_fake):
    # The fake's public key must match the worker's generated APNs key (same var dir).
    (await build_outbox(notify_settings()).aclose())
    wechat = api.wechat_url
    template_id = get_settings().wechat_case_template_id
    for i in range(WECHAT_CITIZENS):
        openid = f"openid-rel-{i}"
        await api.citizen(openid)
        cid = await citizen_id(openid)
        httpx.post(
            f"{wechat}/__fake__/subscribe",
            json={"openid": openid, "templateId": template_id, "count": len(TEMPLATES)},
        )
        async with transaction():
            await report_subscriptions(
                actor=Actor(kind="citizen", id=cid, role="citizen"),
                accepted=[template_id] * len(TEMPLATES),
            )
    async with transaction():
        for owner in range(1, OWNERS + 1):
            actor = Actor(kind="staff", id=owner, role="handler")
            await register_device(
                actor=actor,
                platform="ios",
                token=f"ios{owner:061d}",
                app_version="1",
                locale="zh-CN",
            )
            await register_device(
                actor=actor,
                platform="android",
                token=f"and{owner:077d}",
                app_version="1",
                locale="en",
            )
    citizens = [r["id"] for r in await raw("SELECT id FROM citizen ORDER BY id")]
    async with transaction():
        # Template-major, as events arrive in practice: a device appears once per batch.
        for template in TEMPLATES:
            for owner in range(1, OWNERS + 1):
                await enqueue(
                    recipient_kind="staff",
                    recipient_id=owner,
                    template=template,
                    params={"caseId": f"c_{owner}_{template}", "number": "N"},
                )
            for cid in citizens:
                await enqueue(
                    recipient_kind="citizen",
                    recipient_id=cid,
                    template=template,
                    params={"caseId": f"w_{cid}_{template}", "number": "N"},
                )
    expected_push = OWNERS * len(TEMPLATES)
    apns_fake.delay = fcm_fake.delay = 0.03  # a batch takes a while: kill inside one

    with tempfile.TemporaryFile() as log:
        worker = _start_worker(log)
        try:

            async def mid_batch():
                return len(apns_fake.received) >= expected_push // 3 and await _count("sending") > 0

            await _wait(mid_batch, 60, "the first worker to be mid-batch")
            worker.send_signal(signal.SIGKILL)
            worker.wait(10)
            in_flight = await _count("sending")
            received_at_kill = len(apns_fake.received) + len(fcm_fake.received)
            assert received_at_kill < 2 * expected_push
            worker = _start_worker(log)

            async def all_done():
                rows = await raw(
                    "SELECT COUNT(*) AS n FROM notification_delivery WHERE status <> 'sent'"
                )
                pending_jobs = await raw(
                    "SELECT COUNT(*) AS n FROM notification_job WHERE status <> 'done'"
                )
                return rows[0]["n"] == 0 and pending_jobs[0]["n"] == 0

            await _wait(all_done, 90, "every delivery to be sent")
        finally:
            worker.send_signal(signal.SIGKILL)
            worker.wait(10)
            log.seek(0)
            output = log.read().decode(errors="replace")
    assert "Traceback" not in output, output[-3000:]

    total_jobs = (OWNERS + len(citizens)) * len(TEMPLATES)
    assert await InboxMessage.count() == total_jobs
    wechat_sent = httpx.get(f"{wechat}/__fake__/sent").json()
    assert await NotificationDelivery.count() == 2 * expected_push + len(citizens) * len(TEMPLATES)
    per_device: dict[str, collections.Counter] = collections.defaultdict(collections.Counter)
    for push in apns_fake.received:
        per_device[push.token][push.payload["notificationId"]] += 1
    for body in fcm_fake.received:
        message = body["message"]
        per_device[message["token"]][message["data"]["notificationId"]] += 1
    for message in wechat_sent:
        per_device[message["touser"]][message["page"]] += 1
    assert len(per_device) == 2 * OWNERS + len(citizens)
    for device, counts in per_device.items():
        assert len(counts) == len(TEMPLATES), device  # none lost
        assert sum(counts.values()) - len(counts) <= 1, (device, counts)  # <= one duplicate
    duplicates = sum(sum(c.values()) - len(c) for c in per_device.values())
    assert duplicates <= in_flight
