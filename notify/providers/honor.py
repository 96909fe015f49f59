"""Honor Push (荣耀推送): phones Honor sold after it left Huawei (Magic OS).

The token comes from Honor's IAM (``/auth/realms/developer/protocol/openid-connect/token``,
``grant_type=client_credentials``, valid an hour); the message goes to
``/api/v1/{appId}/sendMessage`` with ``Authorization: Bearer`` and a ``timestamp`` header
(milliseconds). The body follows Huawei's shape in camelCase (``android.notification``,
``clickAction``, ``token``); ``importance: NORMAL`` files the push as 服务与通讯 (service and
communication, not counted against the 2-5 a day news-and-marketing limit), ``LOW`` as 资讯营销.

The answer is ``{"code": 200, "message", "data": {"sendResult", "failTokens",
"expireTokens"}}`` on success; a token listed in ``expireTokens`` or ``failTokens`` is gone.
Errors reuse Push Kit's result codes (80300007 invalid token, 80200003 token expired, ...),
as numbers; they are read with Huawei's table.
"""

from __future__ import annotations

import json
import time

import msgspec

from core.settings import Settings
from notify.providers import SENT, PushMessage, PushResult
from notify.providers.huawei import _Answer, _Token, classify
from notify.providers.vendor import (
    TokenUnavailable,
    VendorProvider,
    android_channel,
    decode,
    extras,
    http_result,
    notify_id,
    require_configured,
)


class _Data(msgspec.Struct):
    sendResult: bool = False  # noqa: N815 - Honor's field names
    requestId: str = ""  # noqa: N815
    failTokens: list[str] = []  # noqa: N815
    expireTokens: list[str] = []  # noqa: N815


class _Reply(msgspec.Struct):
    code: int | str = 0
    message: str = ""
    data: _Data | None = None


class HonorProvider(VendorProvider):
    channel = "honor"
    vendor = "honor"

    def __init__(
        self,
        *,
        base_url: str,
        auth_url: str,
        app_id: str,
        client_id: str,
        client_secret: str,
        timeout: float,
    ) -> None:
        super().__init__(base_url=base_url, timeout=timeout)
        self._auth_url = auth_url
        self._client_id = client_id
        self._secret = client_secret
        self._path = f"/api/v1/{app_id}/sendMessage"

    async def fetch_token(self) -> tuple[str, int]:
        response = await self._client.post(
            self._auth_url,
            data={
                "grant_type": "client_credentials",
                "client_id": self._client_id,
                "client_secret": self._secret,
            },
        )
        answer = decode(response, _Token)
        if response.status_code != 200 or answer is None or not answer.access_token:
            raise TokenUnavailable(f"honor auth HTTP {response.status_code}")
        return answer.access_token, answer.expires_in

    async def deliver(self, token: str, message: PushMessage) -> PushResult:
        notification = {
            "title": message.title,
            "body": message.body,
            "clickAction": {"type": 1, "intent": message.link} if message.link else {"type": 3},
            "tag": message.thread or None,
            "notifyId": notify_id(message),
            "importance": "NORMAL",
            "channelId": android_channel(message),
            "badge": {"setNum": message.badge} if message.badge is not None else None,
        }
        body = {
            "data": json.dumps(extras(message), ensure_ascii=False),
            "android": {
                "ttl": "86400s",
                "biTag": str(message.delivery_id),
                "targetUserType": 0,
                "notification": {k: v for k, v in notification.items() if v is not None},
            },
            "token": [message.target],
        }
        response = await self._client.post(
            self._path,
            json=body,
            headers={"Authorization": f"Bearer {token}", "timestamp": str(int(time.time() * 1000))},
        )
        early = http_result(self.vendor, response)
        if early:
            return early
        reply = decode(response, _Reply)
        if reply is not None and str(reply.code) == "200":
            data = reply.data or _Data()
            if message.target in data.expireTokens or message.target in data.failTokens:
                return PushResult("dead_token", f"honor token listed as expired: {reply.message}")
            return SENT
        answer = _Answer(code=str(reply.code), msg=reply.message) if reply is not None else None
        return classify(self.vendor, response.status_code, answer, message.target)


def honor_from_settings(settings: Settings) -> HonorProvider:
    require_configured(settings, "honor", "honor_client_id", "honor_client_secret")
    return HonorProvider(
        base_url=settings.honor_push_base_url,
        auth_url=settings.honor_auth_url,
        app_id=settings.honor_app_id,
        client_id=settings.honor_client_id,
        client_secret=settings.honor_client_secret,
        timeout=settings.notify_send_timeout_seconds,
    )
