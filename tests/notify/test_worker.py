"""The outbox worker: fan-out, leases, retries and dead letters, quiet hours, opt-outs, the
SLA reminders of the cases package, several workers at once."""

import asyncio
import datetime as dt

import msgspec
import pytest

from accounts.tables import Staff
from cases.sla import check_sla
from cases.tables import Case
from core import clock
from core.db import raw, transaction
from notify.tables import InboxMessage, NotificationDelivery, NotificationJob
from notify.worker import _claim, backoff
from tests.cases_city import AUTO_CATEGORY, IN_GRID, build_city
from tests.helpers import refreshed, upload_photo
from tests.notify.conftest import build_outbox, citizen_id, notify, notify_settings, register

PREFS = "/api/citizen/notifications/preferences"


async def _citizen(api, openid="openid-w"):
    session = await api.citizen(openid)
    await register(api, session, "ios", f"{openid:a<64}")
    await register(api, session, "android", f"{openid:f<80}")
    return session, await citizen_id(openid)


def test_backoff_grows_exponentially_with_jitter_and_a_cap():
    settings = notify_settings(notify_retry_base_seconds=10, notify_retry_max_seconds=300)
    for attempts, full in ((1, 10), (2, 20), (3, 40), (6, 300), (20, 300)):
        delays = {backoff(attempts, settings) for _ in range(50)}
        assert all(full / 2 <= d <= full for d in delays)
        assert len(delays) > 1


async def test_every_job_reaches_the_inbox_and_each_device(api, outbox, apns_fake, fcm_fake):
    _, cid = await _citizen(api)
    await notify(cid)
    await notify(cid, "case.dispatched")
    await outbox.drain()
    assert len(apns_fake.received) == 2 and len(fcm_fake.received) == 2
    assert await InboxMessage.count() == 2
    assert {j.status for j in await NotificationJob.objects()} == {"done"}


async def test_dedupe_key_queues_a_reminder_once():
    async with transaction():
        from notify.service import enqueue

        first = await enqueue(
            recipient_kind="staff",
            recipient_id=1,
            template="sla.yellow",
            params={},
            dedupe_key="sla:1:1",
        )
        second = await enqueue(
            recipient_kind="staff",
            recipient_id=1,
            template="sla.yellow",
            params={},
            dedupe_key="sla:1:1",
        )
    assert (first, second) == (True, False)


async def test_a_fan_out_queues_one_job_per_recipient_however_many(database):
    """One statement per 500 recipients: a city-wide unit of 1,201 staff gets 1,201 jobs,
    each with the same template and parameters and nobody twice."""
    from notify.service import enqueue_each

    async with transaction():
        await enqueue_each(
            recipient_kind="staff",
            recipient_ids=list(range(1, 1202)),
            template="task.new",
            params={"caseId": "k_x", "number": "20261205-00001"},
            urgent=True,
        )
        await enqueue_each(recipient_kind="staff", recipient_ids=[], template="x", params={})
    rows = await NotificationJob.select(
        NotificationJob.recipient_id, NotificationJob.params, NotificationJob.urgent
    ).where(NotificationJob.template == "task.new")
    assert sorted(row["recipient_id"] for row in rows) == list(range(1, 1202))
    assert {msgspec.json.decode(row["params"])["number"] for row in rows} == {"20261205-00001"}
    assert all(row["urgent"] for row in rows)
    assert await NotificationJob.count() == 1201


async def test_dead_letters_are_listed_for_admins_and_can_be_retried(api, outbox, apns_fake):
    session, cid = await _citizen(api)
    operator = await api.staff("operator")
    apns_fake.fail_next(500, "InternalServerError", times=4)
    await notify(cid)
    for _ in range(4):
        await outbox.drain()
        clock.travel(dt.timedelta(hours=1))
    operator = await refreshed(api.client, operator)
    page = (await api.get("/api/admin/notifications/dead", headers=operator.headers)).json()
    [dead] = page["items"]
    assert dead["channel"] == "apns" and dead["attempts"] == 4
    assert "500" in dead["lastError"] and dead["type"] == "case.accepted"
    stats = (await api.get("/api/admin/notifications/stats", headers=operator.headers)).json()
    assert stats["byStatus"] == {"dead": 1, "sent": 1}
    response = await api.post(
        f"/api/admin/notifications/dead/{dead['id']}/retry", headers=operator.headers
    )
    assert response.status_code == 200, response.text
    await outbox.drain()
    assert len(apns_fake.received) == 1
    response = await api.post(
        f"/api/admin/notifications/dead/{dead['id']}/retry", headers=operator.headers
    )
    assert response.status_code == 404
    inspector = await api.staff("inspector")
    response = await api.get("/api/admin/notifications/dead", headers=inspector.headers)
    assert response.status_code == 403


async def test_a_crashed_worker_lease_runs_out_and_the_push_is_sent_once_more(
    api, outbox, apns_fake
):
    _, cid = await _citizen(api)
    await notify(cid)
    await outbox.fan_out()
    now = clock.now()
    claimed = await _claim(10, now, now + dt.timedelta(seconds=60))  # ... and the worker dies
    assert len(claimed) == 2
    assert await outbox.drain() == 0  # leased: nobody else takes them
    clock.travel(dt.timedelta(seconds=61))
    await outbox.drain()
    assert len(apns_fake.received) == 1
    assert {d.status for d in await NotificationDelivery.objects()} == {"sent"}


async def test_quiet_hours_hold_pushes_but_not_the_inbox_or_urgent_ones(
    api, outbox, apns_fake, fcm_fake
):
    session, cid = await _citizen(api)
    local = clock.city_now()
    start = (local - dt.timedelta(hours=1)).strftime("%H:%M")
    end = (local + dt.timedelta(hours=2)).strftime("%H:%M")
    response = await api.put(
        PREFS, headers=session.headers, json={"quietHours": {"start": start, "end": end}}
    )
    assert response.status_code == 200, response.text
    assert response.json() == {"muted": [], "quietHours": {"start": start, "end": end}}
    await notify(cid, "case.accepted")
    await notify(cid, "case.closed", urgent=True)
    await outbox.drain()
    assert len(apns_fake.received) == 1 and len(fcm_fake.received) == 1
    inbox = (await api.get("/api/citizen/notifications", headers=session.headers)).json()
    assert [i["type"] for i in inbox["items"]] == ["case.closed", "case.accepted"]
    clock.travel(dt.timedelta(hours=2, minutes=1))
    await outbox.drain()
    assert len(apns_fake.received) == 2 and len(fcm_fake.received) == 2


async def test_quiet_hours_over_midnight():
    from notify.preferences import Preferences

    prefs = Preferences(quiet_start="22:00", quiet_end="07:00")
    zone = clock.city_zone()
    late = dt.datetime(2026, 11, 28, 23, 30, tzinfo=zone)
    early = dt.datetime(2026, 11, 29, 6, 0, tzinfo=zone)
    noon = dt.datetime(2026, 11, 29, 12, 0, tzinfo=zone)
    assert prefs.quiet_until(late) == dt.datetime(2026, 11, 29, 7, 0, tzinfo=zone)
    assert prefs.quiet_until(early) == dt.datetime(2026, 11, 29, 7, 0, tzinfo=zone)
    assert prefs.quiet_until(noon) is None


async def test_opting_out_of_push_keeps_the_inbox(api, outbox, apns_fake, fcm_fake):
    session, cid = await _citizen(api)
    response = await api.put(PREFS, headers=session.headers, json={"muted": ["push"]})
    assert response.json()["muted"] == ["push"]
    await notify(cid)
    await outbox.drain()
    assert apns_fake.received == [] and fcm_fake.received == []
    assert (
        await api.get("/api/citizen/notifications/unread-count", headers=session.headers)
    ).json() == {"unread": 1}


@pytest.mark.parametrize(
    "body",
    [
        {"muted": ["fax"]},
        {"quietHours": {"start": "25:00", "end": "07:00"}},
        {"quietHours": {"start": "22:00", "end": "22:00"}},
        {"quietHours": {"start": "22:00"}},
    ],
)
async def test_bad_preferences_are_refused(api, body):
    session = await api.citizen()
    response = await api.put(PREFS, headers=session.headers, json=body)
    assert response.status_code in (400, 422), response.text


async def test_two_workers_never_send_the_same_delivery(api, apns_fake, fcm_fake):
    sessions = [await _citizen(api, f"openid-many-{i}") for i in range(10)]
    for _, cid in sessions:
        for template in ("case.accepted", "case.dispatched", "case.resolved"):
            await notify(cid, template)
    settings = notify_settings(notify_batch_size=7)
    first, second = build_outbox(settings), build_outbox(settings)
    try:
        await asyncio.gather(first.drain(), second.drain())
    finally:
        await first.aclose()
        await second.aclose()
    ids = [r.apns_id for r in apns_fake.received]
    assert len(ids) == 30 and len(set(ids)) == 30
    assert len(fcm_fake.received) == 30
    assert await NotificationDelivery.count() == 60


async def test_a_job_that_cannot_be_planned_does_not_block_the_others(api, outbox, apns_fake):
    _, cid = await _citizen(api)
    await notify(cid)
    async with transaction():
        await raw(
            "UPDATE notification_job SET params = {} WHERE id = "
            "(SELECT MIN(id) FROM notification_job)",
            '{"caseId": "x"',
        )
    await notify(cid, "case.dispatched")
    await outbox.drain()
    assert len(apns_fake.received) == 2  # the broken params read as {}: still delivered
    assert await InboxMessage.count() == 2


async def test_sla_reminders_are_delivered_once_per_level(api, outbox, apns_fake):
    city = await build_city(api)
    citizen = await api.citizen()
    media = [await upload_photo(api.client, citizen)]
    response = await api.post(
        "/api/citizen/reports",
        headers=citizen.headers,
        json={
            "category": AUTO_CATEGORY,
            "location": {"lat": IN_GRID[0], "lon": IN_GRID[1]},
            "mediaIds": media,
            "description": "桥下有人露宿",
        },
    )
    assert response.status_code == 201, response.text
    case_id = response.json()["id"]
    # A handler of the unit the case was dispatched to, with the staff app on an iPhone.
    case = await Case.objects().where(Case.public_id == case_id).first()
    handler = await api.staff("handler")
    await Staff.update({Staff.org_unit_id: case.unit_id}).where(Staff.id == handler.subject_id)
    await register(api, handler, "ios", "h" * 64, app="inspector")
    await outbox.drain()
    handler_pushes = lambda: [r for r in apns_fake.received if r.token == "h" * 64]  # noqa: E731
    before = len(handler_pushes())
    detail = (await api.get(f"/api/admin/cases/{case_id}", headers=city.operator.headers)).json()
    deadline = dt.datetime.fromisoformat(detail["case"]["deadline"])
    clock.travel(clock.as_utc(case.sla_yellow_at) - clock.now() + dt.timedelta(minutes=1))
    for _ in range(2):
        async with transaction():
            await check_sla()
        await outbox.drain()
    clock.travel(deadline - clock.now() + dt.timedelta(hours=1))  # red
    for _ in range(2):
        async with transaction():
            await check_sla()
        await outbox.drain()
    titles = [
        msgspec.to_builtins(r.payload)["aps"]["alert"]["title"] for r in handler_pushes()[before:]
    ]
    assert titles == ["即将超时", "已超时"]
