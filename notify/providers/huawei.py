"""Huawei Push Kit: Android phones (HMS Core, v1/v2 ``messages:send`` with an OAuth 2.0
client-credentials token) and HarmonyOS NEXT (v3 ``messages:send`` with a service-account JWT).

Android: the token comes from ``oauth-login.cloud.huawei.com/oauth2/v3/token``
(``grant_type=client_credentials``, valid an hour, several may be valid at once); v1 URLs
carry the OAuth client ID, v2 URLs the project ID. HarmonyOS 5+ no longer accepts OAuth
tokens: the Bearer is a JWT signed PS256 with the service account's key (``kid`` = key_id,
``iss`` = sub_account, ``aud`` = the token URL, an hour of validity, reusable), and the
request says what it carries with the ``push-type`` header (0 = alert).

Answers are HTTP 200/400 with ``{"code", "msg", "requestId"}`` (Huawei's result code table):
80000000 sent; 80100000 partly sent (the tokens that failed are listed in ``msg``);
80300007 every token invalid (the device is gone); 80200001/80200003 OAuth token wrong or
expired, 80200005 JWT expired (fetch a new one); 80300002 the app may not push (a console
setting: retried until an operator fixes it); 81000001 internal error and HTTP 5xx/503
(flow control) are retried; the rest (message too big, malformed) are permanent. Push Kit
has no synchronous daily quota: frequency control drops messages and reports code 256 to
the receipt server, which is why case updates carry a service-and-communication category.
"""

from __future__ import annotations

import json
import time
import uuid
from pathlib import Path

import jwt
import msgspec

from core.settings import Settings
from notify.providers import SENT, PushMessage, PushResult
from notify.providers.vendor import (
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

AUDIENCE = "https://oauth-login.cloud.huawei.com/oauth2/v3/token"
_TOKEN_STALE = {"80200001", "80200003", "80200005"}
_DEAD = {"80300007"}
_RETRY = {"81000001", "80300002"}
# Huawei's self-classification (自分类) categories for 服务与通讯 notifications: case updates
# are subscriptions the citizen asked for, staff pushes are work items, points are account
# changes. Without a category Push Kit files a message as MARKETING (2-5 a day per device).
CATEGORY = {"case": "SUBSCRIPTION", "task": "WORK", "account": "ACCOUNT"}


class _Answer(msgspec.Struct):
    code: str = ""
    msg: str = ""
    requestId: str = ""  # noqa: N815 - Huawei's field name


class _Token(msgspec.Struct):
    access_token: str = ""
    expires_in: int = 0
    error: int | str | None = None


def classify(vendor: str, status: int, answer: _Answer | None, target: str) -> PushResult:
    """One outcome from Push Kit's answer (shared by Android and HarmonyOS, and by Honor,
    whose API took over Huawei's result codes)."""
    if answer is None:
        return PushResult("retry", f"{vendor} HTTP {status} unreadable")
    error = f"{vendor} {answer.code} {answer.msg}"[:500]
    if answer.code == "80000000":
        return SENT
    if answer.code in _TOKEN_STALE or status == 401:
        raise TokenRejected()
    if answer.code in _DEAD or (answer.code == "80100000" and target in answer.msg):
        return PushResult("dead_token", error)
    if answer.code in _RETRY:
        return PushResult("retry", error)
    return PushResult("failed", error)


def _android(message: PushMessage) -> dict:
    notification = {
        "title": message.title,
        "body": message.body,
        "channel_id": android_channel(message),
        # Same tag and notify_id per case: a new update replaces the case's last one.
        "tag": message.thread or None,
        "notify_id": notify_id(message),
        "importance": "NORMAL",
        "click_action": {"type": 1, "intent": message.link} if message.link else {"type": 3},
    }
    if message.badge is not None:
        notification["badge"] = {"set_num": message.badge}
    return {
        "category": CATEGORY.get(message.kind, "SUBSCRIPTION"),
        "ttl": "86400s",
        "bi_tag": str(message.delivery_id),
        "notification": {k: v for k, v in notification.items() if v is not None},
    }


class HuaweiProvider(VendorProvider):
    channel = "huawei"
    vendor = "huawei"

    def __init__(
        self,
        *,
        base_url: str,
        oauth_url: str,
        client_id: str,
        client_secret: str,
        project_id: str,
        api: str,
        timeout: float,
    ) -> None:
        super().__init__(base_url=base_url, timeout=timeout)
        self._oauth_url = oauth_url
        self._client_id = client_id
        self._secret = client_secret
        self._path = (
            f"/v1/{client_id}/messages:send" if api == "v1" else f"/v2/{project_id}/messages:send"
        )

    async def fetch_token(self) -> tuple[str, int]:
        response = await self._client.post(
            self._oauth_url,
            data={
                "grant_type": "client_credentials",
                "client_id": self._client_id,
                "client_secret": self._secret,
            },
        )
        answer = decode(response, _Token)
        if response.status_code != 200 or answer is None or not answer.access_token:
            raise TokenUnavailable(f"huawei oauth HTTP {response.status_code}")
        return answer.access_token, answer.expires_in

    async def deliver(self, token: str, message: PushMessage) -> PushResult:
        body = {
            "validate_only": False,
            "message": {
                "data": json.dumps(extras(message), ensure_ascii=False),
                "android": _android(message),
                "token": [message.target],
            },
        }
        response = await self._client.post(
            self._path, json=body, headers={"Authorization": f"Bearer {token}"}
        )
        return http_result(self.vendor, response) or classify(
            self.vendor, response.status_code, decode(response, _Answer), message.target
        )


class HarmonyProvider(VendorProvider):
    """HarmonyOS NEXT (5+): Push Kit v3, alert messages (``push-type: 0``)."""

    channel = "harmony"
    vendor = "harmony"
    jwt_lifetime = 3600

    def __init__(self, *, base_url: str, account: dict, timeout: float) -> None:
        super().__init__(base_url=base_url, timeout=timeout)
        self._account = account
        self._path = f"/v3/{account['project_id']}/messages:send"

    async def fetch_token(self) -> tuple[str, int]:
        # Signed here, not fetched: nothing goes over the network.
        now = int(time.time())
        token = jwt.encode(
            {"aud": AUDIENCE, "iss": self._account["sub_account"], "iat": now,
             "exp": now + self.jwt_lifetime},
            self._account["private_key"],
            algorithm="PS256",
            headers={"kid": self._account["key_id"], "typ": "JWT"},
        )  # fmt: skip
        return token, self.jwt_lifetime

    async def deliver(self, token: str, message: PushMessage) -> PushResult:
        notification = {
            "category": CATEGORY.get(message.kind, "SUBSCRIPTION"),
            "title": message.title,
            "body": message.body,
            "clickAction": {"actionType": 1, "uri": message.link}
            if message.link
            else {"actionType": 0},
            "notifyId": notify_id(message),
        }
        if message.badge is not None:
            notification["badge"] = {"setNum": message.badge}
        body = {
            "payload": {"notification": notification},
            "target": {"token": [message.target]},
            "pushOptions": {"ttl": 86400, "biTag": str(message.delivery_id)},
        }
        response = await self._client.post(
            self._path,
            json=body,
            headers={"Authorization": f"Bearer {token}", "push-type": "0"},
        )
        return http_result(self.vendor, response) or classify(
            self.vendor, response.status_code, decode(response, _Answer), message.target
        )


def fake_harmony_account(settings: Settings) -> dict:
    """A service account with a generated RSA key, for the demo and tests (the loopback fake
    is given its public half)."""
    path = Path(settings.var_dir) / "secrets" / "harmony-service-account.json"
    if not path.exists():
        from cryptography.hazmat.primitives import serialization
        from cryptography.hazmat.primitives.asymmetric import rsa

        key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        account = {
            "project_id": settings.huawei_project_id,
            "key_id": uuid.uuid4().hex,
            "private_key": key.private_bytes(
                serialization.Encoding.PEM,
                serialization.PrivateFormat.PKCS8,
                serialization.NoEncryption(),
            ).decode(),
            "sub_account": "100000000000000001",
            "token_uri": AUDIENCE,
        }
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(f".{uuid.uuid4().hex}")
        tmp.write_text(json.dumps(account))
        tmp.replace(path)  # atomic: two processes starting together agree on one key
    return json.loads(path.read_text())


def huawei_from_settings(settings: Settings) -> HuaweiProvider:
    require_configured(settings, "huawei", "huawei_client_secret")
    return HuaweiProvider(
        base_url=settings.huawei_push_base_url,
        oauth_url=settings.huawei_oauth_url,
        client_id=settings.huawei_client_id,
        client_secret=settings.huawei_client_secret,
        project_id=settings.huawei_project_id,
        api=settings.huawei_api,
        timeout=settings.notify_send_timeout_seconds,
    )


def harmony_from_settings(settings: Settings) -> HarmonyProvider:
    if settings.harmony_service_account_file:
        account = json.loads(Path(settings.harmony_service_account_file).read_text())
    elif settings.env == "production":
        raise SystemExit("invalid configuration: CITYOPS_HARMONY_SERVICE_ACCOUNT_FILE is required")
    else:
        account = fake_harmony_account(settings)
    return HarmonyProvider(
        base_url=settings.huawei_push_base_url,
        account=account,
        timeout=settings.notify_send_timeout_seconds,
    )
