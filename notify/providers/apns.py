"""APNs over HTTP/2 with a provider token (ES256 JWT signed with pyjwt).

Not ``apns2``: it imports ``hyper`` (broken on Python >= 3.10) and pins PyJWT < 2. httpx with
``http1=False, http2=True`` speaks HTTP/2 over TLS (ALPN) to Apple and with prior knowledge
over cleartext to the loopback fake. Apple rejects a provider token older than an hour and
throttles ones refreshed more often than every 20 minutes, so one is reused for ~45 minutes.
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from pathlib import Path

import httpx
import jwt
import msgspec
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from core import clock
from core.private_files import read_private, write_private
from core.settings import Settings
from notify.providers import SENT, PushMessage, PushProvider, PushResult

log = logging.getLogger(__name__)

_DEAD_TOKEN = {"BadDeviceToken", "Unregistered", "DeviceTokenNotForTopic"}
_STALE_PROVIDER_TOKEN = {"ExpiredProviderToken", "InvalidProviderToken"}


class _Reason(msgspec.Struct):
    reason: str = ""


def load_or_create_key(settings: Settings) -> str:
    """The .p8 key; outside production a key is generated once per installation so the demo
    and the tests need no Apple account (the fake is given the public half)."""
    if settings.apns_key_file:
        return Path(settings.apns_key_file).read_text()
    if settings.env == "production":
        raise SystemExit("invalid configuration: CITYOPS_APNS_KEY_FILE is required")
    path = Path(settings.var_dir) / "secrets" / "apns.p8"
    if not path.exists():
        pem = ec.generate_private_key(ec.SECP256R1()).private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
        write_private(path, pem, replace=False)  # two processes starting agree on one key
    return read_private(path).decode()


def public_key_pem(private_pem: str) -> str:
    key = serialization.load_pem_private_key(private_pem.encode(), password=None)
    return (
        key.public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode()
    )


class ApnsProvider(PushProvider):
    channel = "apns"

    def __init__(
        self,
        *,
        base_url: str,
        topic: str,
        team_id: str,
        key_id: str,
        key_pem: str,
        timeout: float,
        token_ttl: float = 45 * 60,
        concurrency: int = 100,
    ) -> None:
        self._topic = topic
        self._team_id = team_id
        self._key_id = key_id
        self._key = key_pem
        self._token_ttl = token_ttl
        self._token: tuple[str, float] | None = None
        # One HTTP/2 connection multiplexes the whole batch; APNs allows ~1000 streams.
        self._client = httpx.AsyncClient(
            base_url=base_url.rstrip("/"),
            http1=False,
            http2=True,
            timeout=timeout,
            limits=httpx.Limits(max_connections=4),
        )
        self._slots = asyncio.Semaphore(concurrency)

    def provider_token(self, *, renew: bool = False) -> str:
        now = clock.now().timestamp()
        if renew or self._token is None or now - self._token[1] > self._token_ttl:
            token = jwt.encode(
                {"iss": self._team_id, "iat": int(now)},
                self._key,
                algorithm="ES256",
                headers={"kid": self._key_id},
            )
            self._token = (token, now)
        return self._token[0]

    async def send(self, messages: list[PushMessage]) -> list[PushResult]:
        return list(await asyncio.gather(*(self._send_one(m) for m in messages)))

    async def _send_one(self, message: PushMessage) -> PushResult:
        aps: dict = {
            "alert": {"title": message.title, "body": message.body},
            "sound": "default",
            **({"interruption-level": "time-sensitive"} if message.urgent else {}),
        }
        if message.badge is not None:
            aps["badge"] = message.badge  # the unread inbox count
        if message.thread:
            aps["thread-id"] = message.thread  # Notification Center groups a case's pushes
        body = msgspec.json.encode({"aps": aps, "link": message.link, **message.data})
        async with self._slots:
            for renewed in (False, True):
                headers = {
                    "authorization": f"bearer {self.provider_token(renew=renewed)}",
                    "apns-topic": self._topic,
                    "apns-push-type": "alert",
                    "apns-priority": "10" if message.urgent else "5",
                    # Stable per delivery: a retried push carries the same id.
                    "apns-id": str(uuid.UUID(int=message.delivery_id)),
                }
                if message.thread:
                    # A newer update of the same case replaces the older one on the phone.
                    headers["apns-collapse-id"] = message.thread[:64]
                try:
                    response = await self._post(message.target, body, headers)
                except httpx.TimeoutException:
                    return PushResult("retry", "timeout")
                except httpx.HTTPError as exc:
                    return PushResult("retry", f"network: {type(exc).__name__}")
                if response.status_code == 200:
                    return SENT
                reason = _reason(response)
                if response.status_code == 403 and reason in _STALE_PROVIDER_TOKEN and not renewed:
                    continue
                return _result(response.status_code, reason)
        return PushResult("retry", "provider token rejected")

    async def _post(self, token: str, body: bytes, headers: dict[str, str]) -> httpx.Response:
        try:
            return await self._client.post(f"/3/device/{token}", content=body, headers=headers)
        except (httpx.WriteError, httpx.ConnectError):
            # The server closed the idle connection (or it could not be opened): the request
            # never reached APNs, so sending it again at once cannot duplicate the push.
            return await self._client.post(f"/3/device/{token}", content=body, headers=headers)

    async def aclose(self) -> None:
        await self._client.aclose()


def _reason(response: httpx.Response) -> str:
    try:
        return msgspec.json.decode(response.content, type=_Reason).reason
    except (msgspec.DecodeError, msgspec.ValidationError):
        return ""


def _result(status: int, reason: str) -> PushResult:
    error = f"apns {status} {reason}".strip()
    if status == 410 or (status == 400 and reason in _DEAD_TOKEN):
        return PushResult("dead_token", error)
    if status == 429 or status >= 500:
        return PushResult("retry", error)
    if status == 403:
        # Our key or topic is wrong: every push fails until an operator fixes the
        # configuration, so keep retrying with backoff rather than dropping them.
        return PushResult("retry", error)
    return PushResult("failed", error)


def apns_from_settings(settings: Settings) -> ApnsProvider:
    return ApnsProvider(
        base_url=settings.apns_base_url,
        topic=settings.apns_topic,
        team_id=settings.apns_team_id,
        key_id=settings.apns_key_id,
        key_pem=load_or_create_key(settings),
        timeout=settings.notify_send_timeout_seconds,
        token_ttl=settings.apns_token_ttl_seconds,
    )
