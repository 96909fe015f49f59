"""Xiaomi MiPush (小米推送): Xiaomi, Redmi and POCO phones (MIUI, HyperOS).

No token exchange: every request carries ``Authorization: key=<AppSecret>``. One push is a
form POST to ``/v3/message/regid`` (``registration_id``, ``restricted_package_name``,
``title`` under 50 characters, ``description`` under 128, ``payload``, ``pass_through=0``
for a notification, ``notify_id``: the same id replaces the shown notification, and
``extra.channel_id``: the 私信 channel registered in the console. Since 2023 MiPush sorts
messages into 私信 (private: unlimited), 公信 (public: 5-8 a day per device) and the default
channel (1 a day); case updates and tasks are private messages).

Answers: ``{"result": "ok", "code": 0, "data": {"id"}}``, or ``"result": "error"`` with a
code from Xiaomi's server error table: 200001 ("exceed quota") and 10034 (too many messages
today) mean the day's quota is spent; 20301 with "No valid targets!" means the regid is no
longer valid; 10002/10003/10027/26003/65029 (busy, remote failure, called too often) are
retried; 21301/21302 (authentication) are retried until the secret is fixed.
"""

from __future__ import annotations

import datetime as dt
import json

import msgspec

from core.settings import Settings
from notify.providers import SENT, PushMessage, PushResult
from notify.providers.vendor import (
    QuotaSpent,
    VendorProvider,
    decode,
    extras,
    http_result,
    notify_id,
    require_configured,
)

_QUOTA = {200001, 10034}
_RETRY = {-1, 1, 10001, 10002, 10003, 10027, 21301, 21302, 21303, 26003, 65029}
_TEN_YEARS = int(dt.timedelta(days=3650).total_seconds())


class _Reply(msgspec.Struct):
    result: str = ""
    code: int = -1
    reason: str = ""
    description: str = ""


class XiaomiProvider(VendorProvider):
    channel = "xiaomi"
    vendor = "xiaomi"

    def __init__(
        self, *, base_url: str, app_secret: str, package: str, channel_id: str, timeout: float
    ) -> None:
        super().__init__(base_url=base_url, timeout=timeout)
        self._secret = app_secret
        self._package = package
        self._channel_id = channel_id

    async def fetch_token(self) -> tuple[str, int]:
        return f"key={self._secret}", _TEN_YEARS  # the app secret itself, nothing fetched

    def form(self, message: PushMessage) -> dict[str, str]:
        form = {
            "registration_id": message.target,
            "restricted_package_name": self._package,
            "pass_through": "0",
            "notify_type": "-1",
            "title": message.title[:49],
            "description": message.body[:127],
            "payload": json.dumps(extras(message), ensure_ascii=False),
            "notify_id": str(notify_id(message)),
            "time_to_live": str(86_400_000),
            "extra.notify_foreground": "1",
        }
        if self._channel_id:
            form["extra.channel_id"] = self._channel_id
        if message.link:
            # 2: open a component of the app given by an intent URI (the deep link).
            form["extra.notify_effect"] = "2"
            form["extra.intent_uri"] = message.link
        return form

    async def deliver(self, token: str, message: PushMessage) -> PushResult:
        response = await self._client.post(
            "/v3/message/regid", data=self.form(message), headers={"Authorization": token}
        )
        early = http_result(self.vendor, response)
        if early:
            return early
        reply = decode(response, _Reply)
        if reply is None:
            return PushResult("retry", f"xiaomi HTTP {response.status_code} unreadable")
        error = f"xiaomi {reply.code} {reply.reason or reply.description}"[:500]
        if reply.code == 0 and reply.result == "ok":
            return SENT
        if reply.code in _QUOTA:
            raise QuotaSpent(error)
        if reply.code == 20301 and "no valid targets" in reply.reason.lower():
            return PushResult("dead_token", error)
        if reply.code in _RETRY:
            return PushResult("retry", error)
        return PushResult("failed", error)


def xiaomi_from_settings(settings: Settings) -> XiaomiProvider:
    require_configured(settings, "xiaomi", "xiaomi_app_secret")
    return XiaomiProvider(
        base_url=settings.xiaomi_base_url,
        app_secret=settings.xiaomi_app_secret,
        package=settings.android_package,
        channel_id=settings.xiaomi_channel_id,
        timeout=settings.notify_send_timeout_seconds,
    )
