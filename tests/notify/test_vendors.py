"""The Android vendor providers (and HarmonyOS NEXT) through the outbox, each against its
loopback fake: authentication, token refresh, the message each vendor expects, an invalid
token retiring the device, a spent daily quota deferring the delivery, 5xx retried until
the dead letters."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass

import httpx
import msgspec
import pytest

from accounts.tables import Device
from core import clock
from notify.providers import PushMessage
from notify.providers.apns import public_key_pem
from notify.providers.huawei import fake_harmony_account
from notify.providers.vendor import next_quota_reset
from notify.tables import NotificationDelivery
from notify.worker import providers_from_settings
from tests.notify.conftest import (
    APNS_URL,
    FCM_URL,
    VENDOR_FAKES,
    citizen_id,
    notify,
    notify_settings,
    register,
)


@dataclass(frozen=True)
class Vendor:
    channel: str
    platform: str
    vendor: str | None
    fake: str
    target: Callable[[dict], str]
    lifetime: dt.timedelta | None  # how long its token is used before a new one is fetched
    daily_quota: bool  # the vendor says so synchronously (else it is flow control: HTTP 503)


VENDORS = [
    Vendor("huawei", "android", "huawei", "huawei", lambda b: b["message"]["token"][0],
           dt.timedelta(minutes=56), False),
    Vendor("harmony", "harmony", None, "huawei", lambda b: b["target"]["token"][0],
           dt.timedelta(minutes=56), False),
    Vendor("honor", "android", "honor", "honor", lambda b: b["token"][0],
           dt.timedelta(minutes=56), False),
    Vendor("xiaomi", "android", "xiaomi", "xiaomi", lambda b: b["registration_id"], None, True),
    Vendor("oppo", "android", "oppo", "oppo", lambda b: b["target_value"],
           dt.timedelta(hours=23, minutes=1), True),
    Vendor("vivo", "android", "vivo", "vivo", lambda b: b["regId"],
           dt.timedelta(hours=1, minutes=1), True),
    Vendor("jpush", "android", "jpush", "jpush",
           lambda b: b["audience"]["registration_id"][0], None, True),
]  # fmt: skip
WITH_TOKENS = [v for v in VENDORS if v.lifetime]
TOKEN = "vendor-token-" + "x" * 40


def ids(vendor: Vendor) -> str:
    return vendor.channel


async def _phone(api, vendor: Vendor, token: str = TOKEN, openid: str = "openid-android") -> int:
    session = await api.citizen(openid)
    await register(api, session, vendor.platform, token, locale="en", vendor=vendor.vendor)
    return await citizen_id(openid)


def _received(fakes, vendor: Vendor) -> list[dict]:
    bodies = list(fakes[vendor.fake].received)
    if vendor.fake == "huawei":  # one fake, two APIs: v3 bodies have a payload
        bodies = [b for b in bodies if ("payload" in b) == (vendor.channel == "harmony")]
    return bodies


async def _delivery() -> NotificationDelivery:
    return await NotificationDelivery.objects().order_by(NotificationDelivery.id).first()


@pytest.mark.parametrize("vendor", VENDORS, ids=ids)
async def test_push_reaches_the_phone_through_its_vendor(api, outbox, vendor_fakes, vendor):
    cid = await _phone(api, vendor)
    await notify(cid, "case.accepted")
    await notify(cid, "case.dispatched")
    await outbox.drain()
    bodies = _received(vendor_fakes, vendor)
    assert [vendor.target(b) for b in bodies] == [TOKEN, TOKEN]
    statuses = {(d.channel, d.status, d.attempts) for d in await NotificationDelivery.objects()}
    assert statuses == {(vendor.channel, "sent", 1)}
    _check_classification(vendor.channel, bodies[0])


def _check_classification(channel: str, body: dict) -> None:
    """Case updates are service notifications (服务与通讯 / 系统消息), on the app's
    case_updates channel, one notification per case."""
    if channel == "huawei":
        android = body["message"]["android"]
        assert android["category"] == "SUBSCRIPTION"
        assert android["notification"]["channel_id"] == "case_updates"
        assert android["notification"]["tag"] == "case-c_test"
    elif channel == "harmony":
        notification = body["payload"]["notification"]
        assert notification["category"] == "SUBSCRIPTION"
        assert notification["clickAction"] == {"actionType": 1, "uri": "cityops://cases/c_test"}
    elif channel == "honor":
        notification = body["android"]["notification"]
        assert notification["importance"] == "NORMAL" and notification["tag"] == "case-c_test"
    elif channel == "xiaomi":
        assert body["title"] in ("Report accepted", "Being handled")
        assert body["pass_through"] == "0"
        assert body["payload"]["link"] == "cityops://cases/c_test"
        assert body["extra.intent_uri"] == "cityops://cases/c_test"
    elif channel == "oppo":
        assert body["notification"]["category"] == "SUBSCRIPTION"
        assert body["notification"]["notify_level"] == 2
        assert body["notification"]["channel_id"] == "case_updates"
    elif channel == "vivo":
        assert body["classification"] == 1 and body["category"] == "SUBSCRIPTION"
        assert body["skipType"] == 4 and body["skipContent"] == "cityops://cases/c_test"
    elif channel == "jpush":
        vendors = body["options"]["third_party_channel"]
        assert vendors["vivo"] == {"classification": 1, "category": "SUBSCRIPTION"}
        assert body["notification"]["android"]["channel_id"] == "case_updates"


async def test_one_case_keeps_one_notification_on_xiaomi(api, outbox, vendor_fakes):
    xiaomi = VENDORS[3]
    cid = await _phone(api, xiaomi)
    await notify(cid, "case.accepted")
    await notify(cid, "case.dispatched")
    await notify(cid, "case.accepted", caseId="c_other")
    await outbox.drain()
    ids_shown = [b["notify_id"] for b in _received(vendor_fakes, xiaomi)]
    assert len(ids_shown) == 3 and len(set(ids_shown)) == 2


@pytest.mark.parametrize("vendor", VENDORS, ids=ids)
async def test_an_invalid_token_retires_the_device(api, outbox, vendor_fakes, vendor):
    cid = await _phone(api, vendor)
    vendor_fakes[vendor.fake].dead.add(TOKEN)
    await notify(cid)
    await notify(cid, "case.dispatched")
    await outbox.drain()
    assert await Device.count() == 0
    deliveries = await NotificationDelivery.objects()
    assert [d.status for d in deliveries] == ["dead_token", "dead_token"]
    clock.travel(dt.timedelta(days=1))
    assert await outbox.drain() == 0


@pytest.mark.parametrize("vendor", [v for v in VENDORS if v.daily_quota], ids=ids)
async def test_a_spent_daily_quota_defers_until_it_resets(api, outbox, vendor_fakes, vendor):
    cid = await _phone(api, vendor)
    fake = vendor_fakes[vendor.fake]
    fake.quota = 0
    await notify(cid)
    await notify(cid, "case.dispatched")
    await outbox.drain()
    deliveries = await NotificationDelivery.objects().order_by(NotificationDelivery.id)
    reset = next_quota_reset(clock.now())
    for delivery in deliveries:
        # Deferred, not failed: the attempt is given back, the delivery waits for the reset.
        assert (delivery.status, delivery.attempts) == ("pending", 0)
        assert clock.as_utc(delivery.available_at) == reset
    assert _received(vendor_fakes, vendor) == []
    clock.travel((reset - clock.now()) / 2)
    assert await outbox.drain() == 0  # nothing is due before the reset
    fake.quota = None
    clock.travel(reset - clock.now() + dt.timedelta(seconds=1))
    await outbox.drain()
    assert [d.status for d in await NotificationDelivery.objects()] == ["sent", "sent"]


@pytest.mark.parametrize("vendor", [v for v in VENDORS if not v.daily_quota], ids=ids)
async def test_flow_control_is_retried_with_backoff(api, outbox, vendor_fakes, vendor):
    cid = await _phone(api, vendor)
    vendor_fakes[vendor.fake].quota = 0  # Push Kit and Honor answer HTTP 503
    await notify(cid)
    await outbox.drain()
    delivery = await _delivery()
    assert (delivery.status, delivery.attempts) == ("pending", 1)
    assert "503" in delivery.last_error


@pytest.mark.parametrize("vendor", VENDORS, ids=ids)
async def test_server_errors_are_retried_then_dead_lettered(api, outbox, vendor_fakes, vendor):
    cid = await _phone(api, vendor)
    fake = vendor_fakes[vendor.fake]
    fake.fail_next(status=502, times=10)
    await notify(cid)
    await outbox.drain()
    delivery = await _delivery()
    assert delivery.status == "pending" and "502" in delivery.last_error
    for _ in range(3):
        clock.travel(dt.timedelta(minutes=10))
        await outbox.drain()
    delivery = await _delivery()
    assert (delivery.status, delivery.attempts) == ("dead", 4)
    assert await Device.count() == 1  # a vendor outage is not the phone's fault


@pytest.mark.parametrize("vendor", WITH_TOKENS, ids=ids)
async def test_a_rejected_access_token_is_replaced_at_once(api, outbox, vendor_fakes, vendor):
    cid = await _phone(api, vendor)
    await notify(cid)
    await outbox.drain()
    vendor_fakes[vendor.fake].expire_tokens()
    await notify(cid, "case.dispatched")
    await outbox.drain()
    assert [d.attempts for d in await NotificationDelivery.objects()] == [1, 1]
    assert len(_received(vendor_fakes, vendor)) == 2
    assert outbox.providers[vendor.channel].token_fetches == 2


@pytest.mark.parametrize("vendor", WITH_TOKENS, ids=ids)
async def test_the_access_token_is_renewed_before_it_expires(api, outbox, vendor_fakes, vendor):
    cid = await _phone(api, vendor)
    provider = outbox.providers[vendor.channel]
    await notify(cid)
    await outbox.drain()
    clock.travel(vendor.lifetime - dt.timedelta(minutes=2))
    await notify(cid, "case.dispatched")
    await outbox.drain()
    assert provider.token_fetches == 1  # still fresh: reused
    clock.travel(dt.timedelta(minutes=3))
    await notify(cid, "case.closed")
    await outbox.drain()
    assert provider.token_fetches == 2
    assert len(_received(vendor_fakes, vendor)) == 3
    if vendor.channel != "harmony":  # HarmonyOS signs its JWT itself: no token endpoint
        assert vendor_fakes[vendor.fake].token_calls == 2


BAD_CREDENTIALS = {
    "huawei": {"huawei_client_secret": "wrong"},
    "harmony": {},  # signed with a key the fake does not know (see the test)
    "honor": {"honor_client_secret": "wrong"},
    "xiaomi": {"xiaomi_app_secret": "wrong"},
    "oppo": {"oppo_master_secret": "wrong"},
    "vivo": {"vivo_app_secret": "wrong"},
    "jpush": {"jpush_master_secret": "wrong"},
}


@pytest.mark.parametrize("vendor", VENDORS, ids=ids)
async def test_wrong_credentials_are_retried_not_dropped(database, vendor_fakes, vendor, tmp_path):
    """A wrong secret fails every push until an operator fixes it: retried with backoff
    (and visible in last_error), never a retired device or a lost message."""
    changes = dict(BAD_CREDENTIALS[vendor.channel])
    if vendor.channel == "harmony":
        stranger = fake_harmony_account(notify_settings(var_dir=str(tmp_path)))
        vendor_fakes["huawei"].harmony_public_key = public_key_pem(
            fake_harmony_account(notify_settings())["private_key"]
        )
        assert stranger["private_key"] != fake_harmony_account(notify_settings())["private_key"]
        (tmp_path / "stranger.json").write_text(msgspec.json.encode(stranger).decode())
        changes["harmony_service_account_file"] = str(tmp_path / "stranger.json")
    settings = notify_settings(**changes)
    provider = providers_from_settings(
        msgspec.structs.replace(settings, notify_channels=vendor.channel)
    )[vendor.channel]
    try:
        message = PushMessage(delivery_id=1, target=TOKEN, title="t", body="b")
        [result] = await provider.send([message])
    finally:
        await provider.aclose()
    assert result.outcome == "retry", result
    assert _received(vendor_fakes, vendor) == []


async def test_every_fake_shows_what_it_received(api, outbox, vendor_fakes, apns_fake, fcm_fake):
    session = await api.citizen("openid-everywhere")
    phones = [("ios", None, "a" * 64), ("android", None, "f" * 80)]
    phones += [(v.platform, v.vendor, f"{v.channel}-{TOKEN}") for v in VENDORS]
    for platform, vendor, token in phones:
        await register(api, session, platform, token, vendor=vendor)
    await notify(await citizen_id("openid-everywhere"))
    await outbox.drain()
    for vendor in VENDORS:
        shown = httpx.get(f"{VENDOR_FAKES[vendor.fake].url}/__fake__/received").json()
        if vendor.fake == "huawei":  # Android and HarmonyOS bodies side by side
            shown = [b for b in shown if ("payload" in b) == (vendor.channel == "harmony")]
        assert f"{vendor.channel}-{TOKEN}" in {vendor.target(b) for b in shown}
    fcm = httpx.get(f"{FCM_URL}/__fake__/received").json()
    assert [m["message"]["token"] for m in fcm] == ["f" * 80]
    async with httpx.AsyncClient(http1=False, http2=True) as h2:
        apns = (await h2.get(f"{APNS_URL}/__fake__/received")).json()
    assert [p["token"] for p in apns] == ["a" * 64]
