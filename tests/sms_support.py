"""The SMS vendor fakes for the tests (one each, started once) and settings pointing the real
senders at them."""

from __future__ import annotations

import datetime as dt

import httpx
import msgspec

from accounts.sms import sms_sender_from_settings
from core import clock
from core.settings import Settings, get_settings
from fakes.aliyun_sms import create_aliyun_sms_fake
from fakes.server import BackgroundServer
from fakes.sms_control import SmsAccount
from fakes.tencent_sms import create_tencent_sms_fake

VENDORS = ("aliyun", "tencent")
KEY_ID, SECRET, SIGN = "test-key-id", "test-key-secret-0123456789", "城市运行服务"
TEMPLATES = {
    "aliyun": {
        "login_code": ("SMS_100000001", ("code",)),
        "case_update": ("SMS_100000002", ("number", "status")),
        "urgent_case": ("SMS_100000003", ("number",)),
    },
    "tencent": {
        "login_code": ("2000001", ("1", "2")),
        "case_update": ("2000002", ("1", "2")),
        "urgent_case": ("2000003", ("1",)),
    },
}
APP_ID = "1400123456"


def _account(vendor: str) -> SmsAccount:
    return SmsAccount(
        key_id=KEY_ID,
        secret=SECRET,
        sign_name=SIGN,
        templates=dict(TEMPLATES[vendor].values()),
        app_id=APP_ID,
    )


FAKES = {
    "aliyun": BackgroundServer(create_aliyun_sms_fake(_account("aliyun"))).start(),
    "tencent": BackgroundServer(create_tencent_sms_fake(_account("tencent"))).start(),
}


def vendor_values(vendor: str) -> dict[str, object]:
    values: dict[str, object] = {
        "sms_sender": vendor,
        "sms_access_key_id": KEY_ID,
        "sms_access_key_secret": SECRET,
        "sms_sign_name": SIGN,
        "sms_sdk_app_id": APP_ID,
        "sms_endpoint": FAKES[vendor].url,
        "sms_timeout_seconds": 1.0,
    }
    for kind, (code, _) in TEMPLATES[vendor].items():
        values[f"sms_template_{kind}"] = code
    return values


def vendor_settings(vendor: str, **changes) -> Settings:
    return msgspec.structs.replace(get_settings(), **{**vendor_values(vendor), **changes})


def vendor_env(vendor: str) -> dict[str, str]:
    """The same, as the environment of an app process."""
    return {f"CITYOPS_{name.upper()}": str(value) for name, value in vendor_values(vendor).items()}


def received(vendor: str) -> list[dict]:
    return httpx.get(f"{FAKES[vendor].url}/__fake__/received").json()


def fail(vendor: str, error: str, times: int = 1) -> None:
    answer = httpx.post(f"{FAKES[vendor].url}/__fake__/fail", json={"error": error, "times": times})
    assert "queued" in answer.json(), answer.text


def delay(vendor: str, seconds: float) -> None:
    httpx.post(f"{FAKES[vendor].url}/__fake__/delay", json={"seconds": seconds})


def reset() -> None:
    for fake in FAKES.values():
        httpx.post(f"{fake.url}/__fake__/reset")


def texting_outbox(vendor: str, **changes):
    """An outbox with only the SMS channel, through ``vendor``'s real sender and its fake
    (short timeouts and retry delays: tests move the clock rather than wait)."""
    from notify.providers.sms import SmsProvider
    from notify.worker import Outbox
    from tests.notify.conftest import notify_settings

    settings = notify_settings(**{**vendor_values(vendor), "notify_channels": "sms", **changes})
    provider = SmsProvider(sender=sms_sender_from_settings(settings), settings=settings)
    return Outbox(providers={"sms": provider}, settings=settings)


def at_city_hour(hour: int, minute: int = 0) -> None:
    """Move the clock to the next ``hour:minute`` in the city's time zone."""
    local = clock.city_now()
    target = local.replace(hour=hour, minute=minute, second=0, microsecond=0)
    if target <= local:
        target += dt.timedelta(days=1)
    clock.travel(target - local)
