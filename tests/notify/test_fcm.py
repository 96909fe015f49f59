"""FCM through firebase-admin's send_each_async against the FCM v1 + OAuth fake."""

import datetime as dt

from accounts.tables import Device
from core import clock
from notify.tables import NotificationDelivery
from tests.notify.conftest import citizen_id, notify, register


async def _citizen_with_android(api, *tokens):
    session = await api.citizen("openid-android")
    for token in tokens or ("f" * 80,):
        await register(api, session, "android", token, locale="en")
    return await citizen_id("openid-android")


async def test_push_reaches_the_phone_with_an_oauth_token_from_the_fake(api, outbox, fcm_fake):
    cid = await _citizen_with_android(api)
    await notify(cid, "case.rejected", note="duplicate")
    await notify(cid, "case.closed", urgent=True)
    await outbox.drain()
    # send_each_async sends a batch concurrently: arrival order is not send order.
    first, second = sorted(
        fcm_fake.received, key=lambda b: b["message"]["notification"]["title"] != "Not accepted"
    )
    assert first["message"]["token"] == "f" * 80
    assert first["message"]["notification"] == {
        "title": "Not accepted",
        "body": "20261128-0001 was not accepted: duplicate",
    }
    assert first["message"]["data"]["link"] == "cityops://cases/c_test"
    assert second["message"]["android"]["priority"] == "high"
    assert fcm_fake.token_calls == 1  # the OAuth token is reused
    assert {d.status for d in await NotificationDelivery.objects()} == {"sent"}


async def test_unregistered_and_sender_mismatch_remove_the_token(api, outbox, fcm_fake):
    cid = await _citizen_with_android(api, "u" * 80, "s" * 80, "k" * 80)
    fcm_fake.dead["u" * 80] = "UNREGISTERED"
    fcm_fake.dead["s" * 80] = "SENDER_ID_MISMATCH"
    await notify(cid)
    await outbox.drain()
    assert [d.token for d in await Device.objects()] == ["k" * 80]
    rows = {d.target: d for d in await NotificationDelivery.objects()}
    assert rows["u" * 80].status == "dead_token" and "Unregistered" in rows["u" * 80].last_error
    assert rows["s" * 80].status == "dead_token"
    assert rows["k" * 80].status == "sent"
    clock.travel(dt.timedelta(hours=2))
    await notify(cid)
    await outbox.drain()
    assert fcm_fake.tokens_received() == ["k" * 80] * 2


async def test_5xx_and_timeouts_are_retried_until_sent(api, outbox, fcm_fake):
    cid = await _citizen_with_android(api)
    fcm_fake.fail_next("INTERNAL")
    fcm_fake.fail_next("UNAVAILABLE")
    await notify(cid)
    await outbox.drain()
    delivery = await NotificationDelivery.objects().first()
    assert delivery.status == "pending" and "InternalError" in delivery.last_error
    clock.travel(dt.timedelta(minutes=1))
    await outbox.drain()
    delivery = await NotificationDelivery.objects().first()
    assert delivery.status == "pending" and "Unavailable" in delivery.last_error
    fcm_fake.delay = 2.5
    clock.travel(dt.timedelta(minutes=1))
    await outbox.drain()
    delivery = await NotificationDelivery.objects().first()
    assert delivery.status == "pending" and "DeadlineExceeded" in delivery.last_error
    fcm_fake.delay = 0
    clock.travel(dt.timedelta(minutes=2))
    await outbox.drain()
    delivery = await NotificationDelivery.objects().first()
    assert delivery.status == "sent" and delivery.attempts == 4
    assert len(fcm_fake.received) == 1


async def test_invalid_argument_is_dead_lettered_without_retry(api, outbox, fcm_fake):
    cid = await _citizen_with_android(api)
    fcm_fake.fail_next("INVALID_ARGUMENT")
    await notify(cid)
    await outbox.drain()
    delivery = await NotificationDelivery.objects().first()
    assert delivery.status == "dead" and delivery.attempts == 1
    assert await Device.count() == 1
