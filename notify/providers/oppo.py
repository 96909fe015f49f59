"""OPPO PUSH (OPush, HeyTap): OPPO, OnePlus and realme phones (ColorOS).

Authentication: ``POST /server/v1/auth`` with ``app_key``, ``timestamp`` (milliseconds) and
``sign = sha256(app_key + timestamp + master_secret)`` in hex; the answer's ``auth_token``
is valid 24 hours and is sent as the ``auth_token`` header. One push is
``POST /server/v1/message/notification/unicast`` with a form field ``message`` holding the
JSON ``{"target_type": 2, "target_value": registration_id, "notification": {...}}``.

Classification (since 2024-11): ``category`` IM/ACCOUNT/DEVICE_REMINDER/ORDER/TODO/
SUBSCRIPTION is 通讯与服务 (not capped), NEWS/CONTENT/MARKETING/SOCIAL is 内容与营销 (2-5 a
day per device); ``notify_level`` 2 shows on the lock screen, 16 also as a banner with sound
(only for 通讯与服务). ``channel_id`` is the 私信 channel registered in the console.

Answer codes (OPush's public return codes): 0 success; 11 invalid auth_token (fetch a new
one); -1 service unavailable, -2 flow control, 13 app call limited: retried; 33 the day's
message limit is reached (quota); 10000 invalid registration_id (the device is gone).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import time

import msgspec

from core.settings import Settings
from notify.providers import SENT, PushMessage, PushResult
from notify.providers.vendor import (
    QuotaSpent,
    TokenRejected,
    TokenUnavailable,
    VendorProvider,
    android_channel,
    decode,
    extras,
    http_result,
    notify_id,
    require_configured,
)

AUTH_TOKEN_LIFETIME = 24 * 3600
CATEGORY = {"case": "SUBSCRIPTION", "task": "TODO", "account": "ACCOUNT"}
_RETRY = {-1, -2, 13}


class _AuthData(msgspec.Struct):
    auth_token: str = ""


class _AuthReply(msgspec.Struct):
    code: int = -1
    message: str = ""
    data: _AuthData | None = None


class _Reply(msgspec.Struct):
    code: int = -1
    message: str = ""


def sign(app_key: str, timestamp: str, master_secret: str) -> str:
    return hashlib.sha256(f"{app_key}{timestamp}{master_secret}".encode()).hexdigest()


class OppoProvider(VendorProvider):
    channel = "oppo"
    vendor = "oppo"
    refresh_before = dt.timedelta(hours=1)

    def __init__(
        self, *, base_url: str, app_key: str, master_secret: str, channel_id: str, timeout: float
    ) -> None:
        super().__init__(base_url=base_url, timeout=timeout)
        self._app_key = app_key
        self._master_secret = master_secret
        self._channel_id = channel_id

    async def fetch_token(self) -> tuple[str, int]:
        timestamp = str(int(time.time() * 1000))
        response = await self._client.post(
            "/server/v1/auth",
            data={
                "app_key": self._app_key,
                "timestamp": timestamp,
                "sign": sign(self._app_key, timestamp, self._master_secret),
            },
        )
        reply = decode(response, _AuthReply)
        if reply is None or reply.code != 0 or reply.data is None or not reply.data.auth_token:
            raise TokenUnavailable(f"oppo auth HTTP {response.status_code}")
        return reply.data.auth_token, AUTH_TOKEN_LIFETIME

    def notification(self, message: PushMessage) -> dict:
        notification = {
            "title": message.title[:50],
            "content": message.body[:200],
            "app_message_id": str(message.delivery_id),
            "category": CATEGORY.get(message.kind, "SUBSCRIPTION"),
            "notify_level": 16 if message.urgent else 2,
            "channel_id": self._channel_id or android_channel(message),
            "off_line_ttl": 86400,
            "action_parameters": json.dumps(extras(message), ensure_ascii=False),
            "click_action_type": 5 if message.link else 0,
            "notify_id": notify_id(message),
        }
        if message.link:
            notification["click_action_url"] = message.link  # 5: an intent scheme URL
        return notification

    async def deliver(self, token: str, message: PushMessage) -> PushResult:
        payload = {
            "target_type": 2,
            "target_value": message.target,
            "notification": self.notification(message),
        }
        response = await self._client.post(
            "/server/v1/message/notification/unicast",
            data={"message": json.dumps(payload, ensure_ascii=False)},
            headers={"auth_token": token},
        )
        early = http_result(self.vendor, response)
        if early:
            return early
        reply = decode(response, _Reply)
        if reply is None:
            return PushResult("retry", f"oppo HTTP {response.status_code} unreadable")
        error = f"oppo {reply.code} {reply.message}"[:500]
        if reply.code == 0:
            return SENT
        if reply.code == 11:
            raise TokenRejected()
        if reply.code == 33:
            raise QuotaSpent(error)
        if reply.code == 10000:
            return PushResult("dead_token", error)
        if reply.code in _RETRY:
            return PushResult("retry", error)
        return PushResult("failed", error)


def oppo_from_settings(settings: Settings) -> OppoProvider:
    require_configured(settings, "oppo", "oppo_app_key", "oppo_master_secret")
    return OppoProvider(
        base_url=settings.oppo_base_url,
        app_key=settings.oppo_app_key,
        master_secret=settings.oppo_master_secret,
        channel_id=settings.oppo_channel_id,
        timeout=settings.notify_send_timeout_seconds,
    )
