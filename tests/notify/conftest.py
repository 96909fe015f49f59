"""Loopback fakes of APNs (HTTP/2), FCM v1 (+ Google OAuth), the Android vendors (Huawei Push
Kit with HarmonyOS v3, Honor, Xiaomi, OPPO, vivo, JPush) next to the WeChat fake, and an
outbox wired to all of them through the real provider clients."""

from __future__ import annotations

import msgspec
import pytest

from accounts.tables import Citizen
from core.db import transaction
from core.settings import get_settings
from fakes.apns import ApnsState, create_apns_fake
from fakes.fcm import FcmState, create_fcm_fake
from fakes.h2server import BackgroundH2Server
from fakes.honor import HonorState, create_honor_fake
from fakes.huawei import HuaweiState, create_huawei_fake
from fakes.jpush import JPushState, create_jpush_fake
from fakes.oppo import OppoState, create_oppo_fake
from fakes.server import BackgroundServer
from fakes.vivo import VivoState, create_vivo_fake
from fakes.xiaomi import XiaomiState, create_xiaomi_fake
from notify.providers.apns import ApnsProvider, load_or_create_key, public_key_pem
from notify.providers.fcm import FcmProvider, fake_service_account
from notify.providers.honor import honor_from_settings
from notify.providers.huawei import (
    fake_harmony_account,
    harmony_from_settings,
    huawei_from_settings,
)
from notify.providers.jpush import jpush_from_settings
from notify.providers.oppo import oppo_from_settings
from notify.providers.vivo import vivo_from_settings
from notify.providers.wechat import WeChatSubscribeProvider
from notify.providers.xiaomi import xiaomi_from_settings
from notify.service import enqueue
from notify.worker import Outbox

_apns_state = ApnsState(team_id="TEAM000000", key_id="KEY0000000")
_fcm_state = FcmState(project_id="cityops-test")
_apns = BackgroundH2Server(create_apns_fake(_apns_state)).start()
_fcm = BackgroundServer(create_fcm_fake(_fcm_state)).start()
APNS_URL, FCM_URL = _apns.url, _fcm.url
VENDOR_STATES = {
    "huawei": HuaweiState(),
    "honor": HonorState(),
    "xiaomi": XiaomiState(),
    "oppo": OppoState(),
    "vivo": VivoState(),
    "jpush": JPushState(),
}
_vendor_apps = {
    "huawei": create_huawei_fake,
    "honor": create_honor_fake,
    "xiaomi": create_xiaomi_fake,
    "oppo": create_oppo_fake,
    "vivo": create_vivo_fake,
    "jpush": create_jpush_fake,
}
VENDOR_FAKES = {
    name: BackgroundServer(_vendor_apps[name](state)).start()
    for name, state in VENDOR_STATES.items()
}


def pytest_sessionfinish(session):
    """Stopped before the interpreter's teardown (tests/conftest.py says why)."""
    _apns.stop()
    _fcm.stop()
    for server in VENDOR_FAKES.values():
        server.stop()


def notify_settings(**changes):
    """Settings pointing at the fakes, with short timeouts and retry delays (tests move the
    clock rather than wait)."""
    base = {
        "apns_base_url": _apns.url,
        "fcm_base_url": _fcm.url,
        "fcm_token_url": f"{_fcm.url}/token",
        "fcm_project_id": "cityops-test",
        "notify_send_timeout_seconds": 1.5,
        "notify_retry_base_seconds": 10.0,
        "notify_max_attempts": 4,
        **vendor_settings(),
    }
    return msgspec.structs.replace(get_settings(), **{**base, **changes})


def vendor_settings() -> dict[str, str]:
    url = {name: server.url for name, server in VENDOR_FAKES.items()}
    return {
        "huawei_oauth_url": f"{url['huawei']}/oauth2/v3/token",
        "huawei_push_base_url": url["huawei"],
        "honor_auth_url": f"{url['honor']}/auth/realms/developer/protocol/openid-connect/token",
        "honor_push_base_url": url["honor"],
        "xiaomi_base_url": url["xiaomi"],
        "oppo_base_url": url["oppo"],
        "vivo_base_url": url["vivo"],
        "jpush_base_url": url["jpush"],
    }


def fake_env() -> dict[str, str]:
    """The same, as environment variables for a worker process."""
    return {
        "CITYOPS_APNS_BASE_URL": _apns.url,
        "CITYOPS_FCM_BASE_URL": _fcm.url,
        "CITYOPS_FCM_TOKEN_URL": f"{_fcm.url}/token",
        "CITYOPS_FCM_PROJECT_ID": "cityops-test",
    }


def build_outbox(settings) -> Outbox:
    key = load_or_create_key(settings)
    _apns_state.public_key = public_key_pem(key)
    # The Huawei fake checks HarmonyOS JWTs against the service account's public half.
    account = fake_harmony_account(settings)
    VENDOR_STATES["huawei"].harmony_public_key = public_key_pem(account["private_key"])
    VENDOR_STATES["huawei"].harmony_sub_account = account["sub_account"]
    return Outbox(
        providers={
            "apns": ApnsProvider(
                base_url=settings.apns_base_url,
                topic=settings.apns_topic,
                team_id=settings.apns_team_id,
                key_id=settings.apns_key_id,
                key_pem=key,
                timeout=settings.notify_send_timeout_seconds,
            ),
            "fcm": FcmProvider(
                account=fake_service_account(settings),
                base_url=settings.fcm_base_url,
                token_url=settings.fcm_token_url,
                project_id=settings.fcm_project_id,
                timeout=settings.notify_send_timeout_seconds,
            ),
            "wechat": WeChatSubscribeProvider(
                base_url=settings.wechat_base_url,
                appid=settings.wechat_appid,
                secret=settings.wechat_secret,
                timeout=settings.notify_send_timeout_seconds,
            ),
            "huawei": huawei_from_settings(settings),
            "harmony": harmony_from_settings(settings),
            "honor": honor_from_settings(settings),
            "xiaomi": xiaomi_from_settings(settings),
            "oppo": oppo_from_settings(settings),
            "vivo": vivo_from_settings(settings),
            "jpush": jpush_from_settings(settings),
        },
        settings=settings,
    )


@pytest.fixture
def apns_fake() -> ApnsState:
    _apns_state.reset()
    return _apns_state


@pytest.fixture
def fcm_fake() -> FcmState:
    _fcm_state.reset()
    return _fcm_state


@pytest.fixture
def vendor_fakes() -> dict:
    for state in VENDOR_STATES.values():
        state.reset()
    return VENDOR_STATES


@pytest.fixture
async def outbox(api, apns_fake, fcm_fake, vendor_fakes):
    box = build_outbox(notify_settings())
    yield box
    await box.aclose()


async def citizen_id(openid: str) -> int:
    return (await Citizen.select(Citizen.id).where(Citizen.wechat_openid == openid).first())["id"]


async def register(
    api,
    session,
    platform: str,
    token: str,
    app: str = "citizen",
    locale: str = "zh-CN",
    vendor: str | None = None,
) -> dict:
    body = {"platform": platform, "token": token, "locale": locale}
    if vendor:
        body["vendor"] = vendor
    response = await api.post(f"/api/{app}/devices", headers=session.headers, json=body)
    assert response.status_code == 201, response.text
    return response.json()


async def notify(
    recipient_id: int,
    template: str = "case.accepted",
    *,
    kind: str = "citizen",
    urgent: bool = False,
    **params,
) -> None:
    async with transaction():
        await enqueue(
            recipient_kind=kind,
            recipient_id=recipient_id,
            template=template,
            params={"caseId": "c_test", "number": "20261128-0001", **params},
            urgent=urgent,
        )
