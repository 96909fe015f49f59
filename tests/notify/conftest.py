"""Loopback fakes of APNs (HTTP/2), FCM v1 (+ Google OAuth) next to the WeChat fake, and an
outbox wired to all three through the real provider clients."""

from __future__ import annotations

import msgspec
import pytest

from accounts.tables import Citizen
from core.db import transaction
from core.settings import get_settings
from fakes.apns import ApnsState, create_apns_fake
from fakes.fcm import FcmState, create_fcm_fake
from fakes.h2server import BackgroundH2Server
from fakes.server import BackgroundServer
from notify.providers.apns import ApnsProvider, load_or_create_key, public_key_pem
from notify.providers.fcm import FcmProvider, fake_service_account
from notify.providers.wechat import WeChatSubscribeProvider
from notify.service import enqueue
from notify.worker import Outbox

_apns_state = ApnsState(team_id="TEAM000000", key_id="KEY0000000")
_fcm_state = FcmState(project_id="cityops-test")
_apns = BackgroundH2Server(create_apns_fake(_apns_state)).start()
_fcm = BackgroundServer(create_fcm_fake(_fcm_state)).start()


def pytest_sessionfinish(session):
    """Stopped before the interpreter's teardown (tests/conftest.py says why)."""
    _apns.stop()
    _fcm.stop()


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
    }
    return msgspec.structs.replace(get_settings(), **{**base, **changes})


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
async def outbox(api, apns_fake, fcm_fake):
    box = build_outbox(notify_settings())
    yield box
    await box.aclose()


async def citizen_id(openid: str) -> int:
    return (await Citizen.select(Citizen.id).where(Citizen.wechat_openid == openid).first())["id"]


async def register(
    api, session, platform: str, token: str, app: str = "citizen", locale: str = "zh-CN"
) -> dict:
    response = await api.post(
        f"/api/{app}/devices",
        headers=session.headers,
        json={"platform": platform, "token": token, "locale": locale},
    )
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
