"""Devices register with their platform and push vendor and are routed to its provider;
pushes carry what phones need: the unread count as the APNs badge, a thread and collapse
id per case, the Android notification channel."""

import pytest

from accounts.tables import Device
from notify.tables import NotificationDelivery
from tests.helpers import assert_problem
from tests.notify.conftest import citizen_id, notify, register

DEVICES = "/api/citizen/devices"


@pytest.mark.parametrize(
    ("body", "status", "code"),
    [
        ({"platform": "ios", "vendor": "huawei"}, 422, "device.vendor_invalid"),
        ({"platform": "harmony", "vendor": "fcm"}, 422, "device.vendor_invalid"),
        ({"platform": "android", "vendor": "nokia"}, 400, None),
        ({"platform": "symbian"}, 400, None),
    ],
)
async def test_a_vendor_must_fit_the_platform(api, body, status, code):
    session = await api.citizen()
    response = await api.post(
        DEVICES, headers=session.headers, json={**body, "token": "t" * 40, "locale": "en"}
    )
    if code:
        problem = assert_problem(response, status, code)
        assert "Android" in problem["detail"]
        zh = await api.post(
            DEVICES,
            headers={**session.headers, "Accept-Language": "zh-CN"},
            json={**body, "token": "t" * 40},
        )
        assert "Android" in zh.json()["detail"] and "厂商" in zh.json()["detail"]
    else:
        assert response.status_code == status, response.text
    assert await Device.count() == 0


async def test_registration_routes_each_device_to_its_provider(api, outbox, vendor_fakes):
    session = await api.citizen("openid-many")
    listed = [
        await register(api, session, "ios", "i" * 64),
        await register(api, session, "android", "f" * 80),  # an app without vendor support
        await register(api, session, "android", "h" * 40, vendor="huawei"),
        await register(api, session, "android", "x" * 40, vendor="xiaomi"),
        await register(api, session, "harmony", "m" * 40),
    ]
    assert [(d["platform"], d["vendor"]) for d in listed] == [
        ("ios", ""),
        ("android", "fcm"),
        ("android", "huawei"),
        ("android", "xiaomi"),
        ("harmony", ""),
    ]
    await notify(await citizen_id("openid-many"))
    await outbox.drain()
    routed = {(d.channel, d.target[0], d.status) for d in await NotificationDelivery.objects()}
    assert routed == {
        ("apns", "i", "sent"),
        ("fcm", "f", "sent"),
        ("huawei", "h", "sent"),
        ("xiaomi", "x", "sent"),
        ("harmony", "m", "sent"),
    }


async def test_rows_from_before_vendors_still_go_to_fcm(api, outbox, fcm_fake):
    session = await api.citizen("openid-old")
    await register(api, session, "android", "o" * 80)
    await Device.update({Device.vendor: ""}).where(Device.token == "o" * 80)  # an old row
    await notify(await citizen_id("openid-old"))
    await outbox.drain()
    assert fcm_fake.tokens_received() == ["o" * 80]


async def test_apns_gets_the_unread_badge_and_one_thread_per_case(api, outbox, apns_fake):
    session = await api.citizen("openid-badge")
    await register(api, session, "ios", "b" * 64)
    cid = await citizen_id("openid-badge")
    await notify(cid, "case.accepted")
    await outbox.drain()
    await notify(cid, "case.dispatched")
    await notify(cid, "case.accepted", caseId="c_other")
    await outbox.drain()
    pushes = sorted(apns_fake.received, key=lambda r: r.payload["aps"]["badge"])
    assert [p.payload["aps"]["badge"] for p in pushes][0] == 1
    assert max(p.payload["aps"]["badge"] for p in pushes) == 3
    assert {p.payload["aps"]["thread-id"] for p in pushes} == {"case-c_test", "case-c_other"}
    assert {p.collapse_id for p in pushes} == {"case-c_test", "case-c_other"}
    # Reading the inbox brings the next badge down.
    inbox = "/api/citizen/notifications"
    await api.post(f"{inbox}/read", headers=session.headers, json={"all": True})
    await notify(cid, "case.closed")
    await outbox.drain()
    assert apns_fake.received[-1].payload["aps"]["badge"] == 1


async def test_fcm_gets_the_channel_tag_and_count(api, outbox, fcm_fake):
    session = await api.citizen("openid-fcm")
    await register(api, session, "android", "c" * 80)
    await notify(await citizen_id("openid-fcm"), urgent=True)
    await outbox.drain()
    [message] = fcm_fake.received
    notification = message["message"]["android"]["notification"]
    assert notification["channel_id"] == "urgent" and notification["tag"] == "case-c_test"
    assert notification["notification_count"] == 1
    assert message["message"]["android"]["collapse_key"] == "case-c_test"


async def test_staff_pushes_are_tasks(api, outbox, vendor_fakes):
    staff = await api.staff("handler")
    await register(api, staff, "android", "s" * 40, app="inspector", vendor="oppo")
    await notify(staff.subject_id, "task.new", kind="staff")
    await outbox.drain()
    [body] = vendor_fakes["oppo"].received
    assert body["notification"]["category"] == "TODO"
    assert body["notification"]["channel_id"] == "tasks"
