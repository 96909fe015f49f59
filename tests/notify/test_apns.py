"""APNs through the real HTTP/2 client against the HTTP/2 fake."""

import datetime as dt

from accounts.tables import Device
from core import clock
from notify.tables import NotificationDelivery
from tests.notify.conftest import citizen_id, notify, register


async def _citizen_with_iphone(api, token="a" * 64, locale="zh-CN"):
    session = await api.citizen("openid-ios")
    await register(api, session, "ios", token, locale=locale)
    return session, await citizen_id("openid-ios")


async def test_push_reaches_the_phone_over_http2_with_a_signed_provider_token(
    api, outbox, apns_fake
):
    _, cid = await _citizen_with_iphone(api, locale="en")
    await notify(cid, "case.closed")
    await outbox.drain()
    [push] = apns_fake.received
    assert push.token == "a" * 64 and push.topic == "cn.gov.cityops"
    assert push.payload["aps"]["alert"]["title"] == "Closed: please rate"
    assert push.payload["link"] == "cityops://cases/c_test"
    delivery = await NotificationDelivery.objects().first()
    assert delivery.status == "sent" and delivery.attempts == 1


async def test_provider_token_is_reused_for_45_minutes(api, outbox, apns_fake):
    _, cid = await _citizen_with_iphone(api)
    await notify(cid)
    await outbox.drain()
    clock.travel(dt.timedelta(minutes=40))
    await notify(cid)
    await outbox.drain()
    assert len(apns_fake.provider_tokens) == 1
    clock.travel(dt.timedelta(minutes=10))
    await notify(cid)
    await outbox.drain()
    assert len(apns_fake.received) == 3 and len(apns_fake.provider_tokens) == 2


async def test_expired_provider_token_is_renewed_at_once(api, outbox, apns_fake):
    _, cid = await _citizen_with_iphone(api)
    apns_fake.fail_next(403, "ExpiredProviderToken")
    await notify(cid)
    await outbox.drain()
    assert len(apns_fake.received) == 1
    assert (await NotificationDelivery.objects().first()).attempts == 1


async def test_unregistered_and_bad_tokens_are_removed_and_never_retried(api, outbox, apns_fake):
    session = await api.citizen("openid-two-phones")
    await register(api, session, "ios", "b" * 64)
    await register(api, session, "ios", "c" * 64)
    cid = await citizen_id("openid-two-phones")
    apns_fake.dead["b" * 64] = (410, "Unregistered")
    apns_fake.dead["c" * 64] = (400, "BadDeviceToken")
    await notify(cid)
    await notify(cid, "case.dispatched")
    await outbox.drain()
    assert apns_fake.received == []
    assert await Device.count() == 0
    statuses = [d.status for d in await NotificationDelivery.objects()]
    assert statuses == ["dead_token"] * 4
    clock.travel(dt.timedelta(days=1))
    assert await outbox.drain() == 0


async def test_server_errors_and_timeouts_are_retried_with_backoff(api, outbox, apns_fake):
    _, cid = await _citizen_with_iphone(api)
    apns_fake.fail_next(500, "InternalServerError")
    apns_fake.fail_next(503, "ServiceUnavailable")
    apns_fake.fail_next(429, "TooManyRequests")
    await notify(cid)
    await outbox.drain()
    delivery = await NotificationDelivery.objects().first()
    assert delivery.status == "pending" and "500" in delivery.last_error
    waited = clock.as_utc(delivery.available_at) - clock.now()
    assert dt.timedelta(seconds=4) <= waited <= dt.timedelta(seconds=11)
    assert await outbox.drain() == 0  # not due yet
    for _ in range(2):
        clock.travel(dt.timedelta(minutes=5))
        await outbox.drain()
    assert (await NotificationDelivery.objects().first()).status == "pending"
    apns_fake.delay = 2.5  # longer than the client's 1.5 s timeout
    clock.travel(dt.timedelta(minutes=5))
    await outbox.drain()
    delivery = await NotificationDelivery.objects().first()
    assert delivery.status == "dead" and delivery.last_error == "timeout"
    assert delivery.attempts == 4
    assert apns_fake.received == []


async def test_a_permanent_error_goes_to_the_dead_letters(api, outbox, apns_fake):
    _, cid = await _citizen_with_iphone(api)
    apns_fake.fail_next(400, "PayloadTooLarge")
    await notify(cid)
    await outbox.drain()
    delivery = await NotificationDelivery.objects().first()
    assert delivery.status == "dead" and "PayloadTooLarge" in delivery.last_error
    assert await Device.count() == 1
