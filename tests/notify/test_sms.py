"""SMS as a notification channel, through the outbox worker and the vendors' fakes: case
updates to phone-only citizens (not during quiet hours), urgent pages to staff (at once),
a daily limit per person, retries, deferral and dead letters as for the other channels."""

from __future__ import annotations

import datetime as dt

import pytest

from core import clock
from core.db import raw
from tests.notify.conftest import notify, register
from tests.sms_support import (
    TEMPLATES,
    VENDORS,
    at_city_hour,
    fail,
    received,
    reset,
    texting_outbox,
)


@pytest.fixture(params=VENDORS)
async def text_box(request, api):
    reset()
    box = texting_outbox(request.param, sms_quiet_hours="22:00-07:00", sms_daily_limit_per_person=2)
    box.vendor = request.param
    at_city_hour(12)
    yield box
    await box.aclose()
    reset()


async def _phone_citizen(api, phone: str) -> int:
    return (await _phone_session(api, phone))[1]


async def _phone_session(api, phone: str):
    session = await api.citizen_by_phone(phone)
    me = (await api.get("/api/citizen/me", headers=session.headers)).json()
    rows = await raw("SELECT id FROM citizen WHERE public_id = {}", me["id"])
    return session, rows[0]["id"]


async def _deliveries() -> list[dict]:
    return await raw(
        "SELECT status, attempts, target, last_error FROM notification_delivery "
        "WHERE channel = 'sms' ORDER BY id"
    )


def _template(vendor: str, kind: str) -> str:
    return TEMPLATES[vendor][kind][0]


async def test_a_phone_only_citizen_gets_case_updates_by_text(api, text_box):
    vendor = text_box.vendor
    cid = await _phone_citizen(api, "13800138100")
    await notify(cid, "case.accepted")
    await notify(cid, "points.earned", points=5)  # not a case update: inbox only
    await text_box.drain()
    texts = received(vendor)
    assert len(texts) == 1 and texts[0]["phone"] == "13800138100"
    assert texts[0]["templateCode"] == _template(vendor, "case_update")
    expected = {"number": "20261128-0001", "status": "已受理"}
    assert texts[0]["params"] == (expected if vendor == "aliyun" else list(expected.values()))
    assert [d["status"] for d in await _deliveries()] == ["sent"]


async def test_citizens_with_the_app_or_wechat_get_no_text(api, text_box):
    session, cid = await _phone_session(api, "13800138101")
    await register(api, session, "android", "fcm-token-sms-1")
    await notify(cid, "case.accepted")
    wechat = await api.citizen("o-sms-wechat")
    rows = await raw("SELECT id FROM citizen WHERE wechat_openid = 'o-sms-wechat'")
    clock.travel(dt.timedelta(minutes=2))
    code = await api.sms_code("13800138109", headers=wechat.headers)
    linked = await api.post(
        "/api/citizen/auth/sms/verify",
        json={"phone": "13800138109", "code": code},
        headers=wechat.headers,
    )
    assert linked.status_code == 201  # a WeChat user with a phone: reached through WeChat
    await notify(rows[0]["id"], "case.accepted")
    await text_box.drain()
    assert received(text_box.vendor) == [] and await _deliveries() == []


async def test_muting_sms_keeps_the_inbox(api, text_box):
    session, cid = await _phone_session(api, "13800138102")
    prefs = "/api/citizen/notifications/preferences"
    assert (await api.put(prefs, headers=session.headers, json={"muted": ["sms"]})).json()[
        "muted"
    ] == ["sms"]
    await notify(cid, "case.accepted")
    await text_box.drain()
    assert received(text_box.vendor) == []
    unread = await api.get("/api/citizen/notifications/unread-count", headers=session.headers)
    assert unread.json() == {"unread": 1}


async def test_citizen_updates_wait_for_the_end_of_quiet_hours(api, text_box):
    cid = await _phone_citizen(api, "13800138103")
    at_city_hour(23)
    await notify(cid, "case.resolved")
    await text_box.drain()
    assert received(text_box.vendor) == []
    assert [d["status"] for d in await _deliveries()] == ["pending"]
    at_city_hour(6, 59)
    await text_box.drain()
    assert received(text_box.vendor) == []
    at_city_hour(7, 1)
    await text_box.drain()
    assert len(received(text_box.vendor)) == 1


async def test_a_retry_that_falls_in_quiet_hours_is_deferred_without_spending_a_try(api, text_box):
    cid = await _phone_citizen(api, "13800138104")
    at_city_hour(21, 59)
    fail(text_box.vendor, "unavailable")
    await notify(cid, "case.closed")
    await text_box.drain()
    [failed] = await _deliveries()
    assert failed["status"] == "pending" and failed["attempts"] == 1
    at_city_hour(22, 30)
    await text_box.drain()
    [deferred] = await _deliveries()
    assert deferred["attempts"] == 1 and deferred["last_error"] == "quiet hours"
    at_city_hour(7, 1)
    await text_box.drain()
    assert [d["status"] for d in await _deliveries()] == ["sent"]
    assert len(received(text_box.vendor)) == 1


async def test_urgent_cases_page_staff_at_once_even_at_night(api, text_box):
    vendor = text_box.vendor
    paged = await api.staff("handler", phone="13900139000")
    no_phone = await api.staff("handler")
    at_city_hour(23)
    for staff in (paged, no_phone):
        await notify(staff.subject_id, "task.new", kind="staff", urgent=True)
    await notify(paged.subject_id, "task.new", kind="staff")  # not urgent: no page
    await notify(paged.subject_id, "sla.red", kind="staff", urgent=True)  # not a page
    await text_box.drain()
    texts = received(vendor)
    assert [t["phone"] for t in texts] == ["13900139000"]
    assert texts[0]["templateCode"] == _template(vendor, "urgent_case")


async def test_at_most_the_daily_limit_per_person(api, text_box):
    cid = await _phone_citizen(api, "13800138105")
    for template in ("case.accepted", "case.dispatched", "case.resolved"):
        await notify(cid, template)
    await text_box.drain()
    assert len(received(text_box.vendor)) == 2  # the limit of these settings
    at_city_hour(12)  # the next city day
    await notify(cid, "case.closed")
    await text_box.drain()
    assert len(received(text_box.vendor)) == 3


async def test_outages_are_retried_with_backoff(api, text_box):
    cid = await _phone_citizen(api, "13800138106")
    fail(text_box.vendor, "unavailable", times=2)
    await notify(cid, "case.accepted")
    await text_box.drain()
    assert [(d["status"], d["attempts"]) for d in await _deliveries()] == [("pending", 1)]
    for _ in range(2):
        clock.travel(dt.timedelta(minutes=5))
        await text_box.drain()
    assert [(d["status"], d["attempts"]) for d in await _deliveries()] == [("sent", 3)]
    assert len(received(text_box.vendor)) == 1


@pytest.mark.parametrize("error", ["invalid_phone", "template"])
async def test_a_permanent_refusal_is_dead_lettered_at_once(api, text_box, error):
    cid = await _phone_citizen(api, "13800138107")
    fail(text_box.vendor, error)
    await notify(cid, "case.accepted")
    await text_box.drain()
    [dead] = await _deliveries()
    assert dead["status"] == "dead" and dead["attempts"] == 1 and error != ""


async def test_a_vendor_that_keeps_limiting_ends_in_the_dead_letters(api, text_box):
    cid = await _phone_citizen(api, "13800138108")
    fail(text_box.vendor, "rate_limited", times=0)  # until reset
    await notify(cid, "case.accepted")
    for _ in range(6):
        await text_box.drain()
        clock.travel(dt.timedelta(minutes=10))
    [dead] = await _deliveries()
    assert dead["status"] == "dead" and dead["attempts"] == 4  # notify_max_attempts here
    admin = await api.staff("admin")
    listed = await api.get("/api/admin/notifications/dead", headers=admin.headers)
    assert listed.status_code == 200 and "sms" in listed.text


async def test_a_crashed_workers_text_is_sent_once_its_lease_runs_out(api, text_box):
    from notify.worker import _claim

    cid = await _phone_citizen(api, "13800138110")
    await notify(cid, "case.accepted")
    await text_box.fan_out()
    now = clock.now()
    lease = dt.timedelta(seconds=text_box.settings.notify_lease_seconds)
    assert len(await _claim(10, now, now + lease)) == 1  # ...and then that worker died
    await text_box.drain()
    assert received(text_box.vendor) == []  # still leased to the dead worker
    clock.travel(lease + dt.timedelta(seconds=1))
    await text_box.drain()
    assert len(received(text_box.vendor)) == 1
    assert [(d["status"], d["attempts"]) for d in await _deliveries()] == [("sent", 2)]
