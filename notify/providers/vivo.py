"""vivo Push (vivo推送): vivo and iQOO phones (OriginOS, Funtouch OS).

Authentication: ``POST /message/auth`` with JSON ``{appId, appKey, timestamp, sign}``, where
``sign = md5(appId + appKey + timestamp + appSecret)`` in lower-case hex and the timestamp is
in milliseconds; the answer's ``authToken`` lasts a day (vivo asks servers to cache it and
renew it every hour or two) and goes in the ``authToken`` header. One push is
``POST /message/send`` (单推) with ``regId``, ``title`` (at most 40 characters), ``content``
(100), ``skipType``/``skipContent`` (4: an app page by intent URI), a unique ``requestId``
(vivo drops a repeated one, so a retried delivery cannot show twice) and the message's
classification: ``classification`` 1 = 系统消息 (system: reminders, to-dos, orders; not
capped once vivo grants it) or 0 = 运营消息 (operations: 2-5 a day), with a ``category``.

Answers ``{"result": 0, "desc", "taskId"}``; 10302 "regId不合法" (with ``invalidUser``) means
the device is gone; 10070 "发送总量超出限制" means the day's total is spent (vivo asks not
to call /message/send again that day); 10000 (authentication) is answered with a new token
once; HTTP 5xx is retried.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import time
import uuid

import msgspec

from core.settings import Settings
from notify.providers import SENT, PushMessage, PushResult
from notify.providers.vendor import (
    QuotaSpent,
    TokenRejected,
    TokenUnavailable,
    VendorProvider,
    decode,
    extras,
    http_result,
    require_configured,
)

CATEGORY = {"case": "SUBSCRIPTION", "task": "TODO", "account": "ACCOUNT"}


class _AuthReply(msgspec.Struct):
    result: int = -1
    desc: str = ""
    authToken: str = ""  # noqa: N815 - vivo's field name


class _Reply(msgspec.Struct):
    result: int = -1
    desc: str = ""


def sign(app_id: str, app_key: str, timestamp: int, app_secret: str) -> str:
    return hashlib.md5(f"{app_id}{app_key}{timestamp}{app_secret}".encode()).hexdigest()  # noqa: S324 - vivo's protocol


class VivoProvider(VendorProvider):
    channel = "vivo"
    vendor = "vivo"
    # The token lasts a day; vivo asks for a new one every hour or two.
    refresh_before = dt.timedelta(hours=23)

    def __init__(
        self,
        *,
        base_url: str,
        app_id: str,
        app_key: str,
        app_secret: str,
        push_mode: int,
        timeout: float,
    ) -> None:
        super().__init__(base_url=base_url, timeout=timeout)
        self._app_id = app_id
        self._app_key = app_key
        self._secret = app_secret
        self._push_mode = push_mode

    async def fetch_token(self) -> tuple[str, int]:
        timestamp = int(time.time() * 1000)
        response = await self._client.post(
            "/message/auth",
            json={
                "appId": self._app_id,
                "appKey": self._app_key,
                "timestamp": timestamp,
                "sign": sign(self._app_id, self._app_key, timestamp, self._secret),
            },
        )
        reply = decode(response, _AuthReply)
        if reply is None or reply.result != 0 or not reply.authToken:
            raise TokenUnavailable(f"vivo auth HTTP {response.status_code}")
        return reply.authToken, 24 * 3600

    def body(self, message: PushMessage) -> dict:
        body = {
            "appId": self._app_id,
            "regId": message.target,
            "notifyType": 4,
            "title": message.title[:40],
            "content": message.body[:100],
            "timeToLive": 86400,
            "skipType": 4 if message.link else 1,
            "classification": 1,
            "category": CATEGORY.get(message.kind, "SUBSCRIPTION"),
            "pushMode": self._push_mode,
            "requestId": str(uuid.UUID(int=message.delivery_id)),
            "clientCustomMap": extras(message),
        }
        if message.link:
            body["skipContent"] = message.link
        return body

    async def deliver(self, token: str, message: PushMessage) -> PushResult:
        response = await self._client.post(
            "/message/send", json=self.body(message), headers={"authToken": token}
        )
        early = http_result(self.vendor, response)
        if early:
            return early
        reply = decode(response, _Reply)
        if reply is None:
            return PushResult("retry", f"vivo HTTP {response.status_code} unreadable")
        error = f"vivo {reply.result} {reply.desc}"[:500]
        if reply.result == 0:
            return SENT
        if reply.result == 10000:
            raise TokenRejected()
        if reply.result == 10070:
            raise QuotaSpent(error)
        if reply.result == 10302:
            return PushResult("dead_token", error)
        return PushResult("failed", error)


def vivo_from_settings(settings: Settings) -> VivoProvider:
    require_configured(settings, "vivo", "vivo_app_key", "vivo_app_secret")
    return VivoProvider(
        base_url=settings.vivo_base_url,
        app_id=settings.vivo_app_id,
        app_key=settings.vivo_app_key,
        app_secret=settings.vivo_app_secret,
        push_mode=settings.vivo_push_mode,
        timeout=settings.notify_send_timeout_seconds,
    )
