"""JPush (极光推送) Push API v3, for cities whose app already registers with JPush: one
registration id per phone, and JPush forwards through the phone's vendor channel.

Not the official ``jpush`` client (3.4.1, kept): it is blocking (``requests``), so every push
would need a thread, and its endpoints are module-level constants (``jpush.common.ZONES``),
so reaching the loopback fake means rewriting a global shared by the whole process; its
errors also lose the answer's body. The v3 REST API is one POST, so httpx it is.

``POST /v3/push`` with HTTP Basic auth (``appKey:masterSecret``) and JSON ``{platform,
audience: {registration_id: [...]}, notification: {android: {...}}, options}``; the
vendors' classifications ride in ``options.third_party_channel``. Answers: 200 ``{sendno,
msg_id}``; errors ``{"error": {"code", "message"}}`` with JPush's codes: 1011 (no target:
the registration id is gone), 1004 / HTTP 401 (authentication: retried until the secret
is fixed), 2002 / HTTP 429 (rate limit: retried), 2005 (send volume over the limit: the
day's quota).
"""

from __future__ import annotations

import base64
import datetime as dt

import msgspec

from core.settings import Settings
from notify.providers import SENT, PushMessage, PushResult
from notify.providers.huawei import CATEGORY as HUAWEI_CATEGORY
from notify.providers.oppo import CATEGORY as OPPO_CATEGORY
from notify.providers.vendor import (
    QuotaSpent,
    VendorProvider,
    android_channel,
    decode,
    extras,
    require_configured,
)

_TEN_YEARS = int(dt.timedelta(days=3650).total_seconds())


class _Error(msgspec.Struct):
    code: int = 0
    message: str = ""


class _Reply(msgspec.Struct):
    msg_id: str = ""
    error: _Error | None = None


class JPushProvider(VendorProvider):
    channel = "jpush"
    vendor = "jpush"

    def __init__(self, *, base_url: str, app_key: str, master_secret: str, timeout: float):
        super().__init__(base_url=base_url, timeout=timeout)
        self._basic = base64.b64encode(f"{app_key}:{master_secret}".encode()).decode()

    async def fetch_token(self) -> tuple[str, int]:
        return f"Basic {self._basic}", _TEN_YEARS  # HTTP Basic: nothing to fetch

    @staticmethod
    def body(message: PushMessage) -> dict:
        android = {
            "alert": message.body,
            "title": message.title,
            "extras": extras(message),
            "channel_id": android_channel(message),
            "category": HUAWEI_CATEGORY.get(message.kind, "SUBSCRIPTION"),
            "priority": 1 if message.urgent else 0,
        }
        if message.link:
            android["intent"] = {"url": message.link}
        if message.badge is not None:
            android["badge_set_num"] = message.badge
        category = OPPO_CATEGORY.get(message.kind, "SUBSCRIPTION")
        return {
            "platform": ["android"],
            "audience": {"registration_id": [message.target]},
            "notification": {"android": android},
            "options": {
                "time_to_live": 86400,
                "third_party_channel": {
                    "huawei": {"category": android["category"], "importance": "NORMAL"},
                    "honor": {"importance": "NORMAL"},
                    "oppo": {"category": category, "notify_level": 16 if message.urgent else 2},
                    "vivo": {"classification": 1, "category": category},
                },
            },
        }

    async def deliver(self, token: str, message: PushMessage) -> PushResult:
        response = await self._client.post(
            "/v3/push", json=self.body(message), headers={"Authorization": token}
        )
        reply = decode(response, _Reply)
        if response.status_code == 200 and reply is not None and reply.msg_id:
            return SENT
        error = reply.error if reply is not None and reply.error else _Error()
        text = f"jpush HTTP {response.status_code} {error.code} {error.message}"[:500]
        if error.code == 2005:
            raise QuotaSpent(text)
        if error.code == 1011:
            return PushResult("dead_token", text)
        if response.status_code in (401, 429) or response.status_code >= 500:
            return PushResult("retry", text)
        return PushResult("failed", text)


def jpush_from_settings(settings: Settings) -> JPushProvider:
    require_configured(settings, "jpush", "jpush_app_key", "jpush_master_secret")
    return JPushProvider(
        base_url=settings.jpush_base_url,
        app_key=settings.jpush_app_key,
        master_secret=settings.jpush_master_secret,
        timeout=settings.notify_send_timeout_seconds,
    )
