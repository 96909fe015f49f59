"""What the Android vendor providers (Huawei, Honor, Xiaomi, OPPO, vivo, JPush) share.

Each vendor speaks its own HTTP API, but all of them need the same machinery around it: an
access token fetched with the app's credentials, kept until shortly before it expires and
fetched again at once when the vendor rejects it; a bounded number of requests in flight;
one outcome per message; and a daily quota that, once the vendor says it is spent, holds
every further push of that vendor until the quota resets (the city's midnight) instead of
burning the delivery's attempts. A subclass implements ``fetch_token`` and ``deliver``.

Tokens are kept per process: every vendor here allows several valid tokens per app at once
(unlike WeChat's, which is shared through the database), so two workers fetching their own
never invalidate each other.
"""

from __future__ import annotations

import abc
import asyncio
import datetime as dt
import logging
import zlib

import httpx
import msgspec

from core import clock
from notify.providers import PushMessage, PushProvider, PushResult

log = logging.getLogger(__name__)

# Android notification channels the apps create (Android 8+ shows nothing without one);
# the vendors' 私信/通讯与服务 channels registered in their consoles use the same ids.
ANDROID_CHANNELS = {"case": "case_updates", "task": "tasks", "account": "account"}
URGENT_CHANNEL = "urgent"


class TokenRejected(Exception):
    """The vendor says the access token is invalid or expired: fetch a new one."""


class TokenUnavailable(Exception):
    """The token endpoint failed; the batch waits and is retried."""


class QuotaSpent(Exception):
    """The vendor's daily quota is used up."""

    def __init__(self, error: str) -> None:
        super().__init__(error)
        self.error = error


def android_channel(message: PushMessage) -> str:
    return URGENT_CHANNEL if message.urgent else ANDROID_CHANNELS.get(message.kind, "case_updates")


def notify_id(message: PushMessage) -> int:
    """A stable small integer per case: vendors replace a shown notification that has the
    same id, so one case keeps one notification however many updates it gets."""
    key = message.thread or f"delivery:{message.delivery_id}"
    return zlib.crc32(key.encode()) % 2_000_000_000


def extras(message: PushMessage) -> dict[str, str]:
    return {"link": message.link, "deliveryId": str(message.delivery_id), **message.data}


def next_quota_reset(now: dt.datetime) -> dt.datetime:
    """Vendors count their daily quotas per calendar day in China (UTC+8)."""
    local = now.astimezone(clock.city_zone())
    midnight = (local + dt.timedelta(days=1)).replace(hour=0, minute=0, second=5, microsecond=0)
    return midnight.astimezone(dt.UTC)


def decode(response: httpx.Response, kind: type):
    try:
        return msgspec.json.decode(response.content, type=kind)
    except (msgspec.DecodeError, msgspec.ValidationError):
        return None


def http_result(vendor: str, response: httpx.Response) -> PushResult | None:
    """The outcome an HTTP status decides on its own (None: read the body)."""
    status = response.status_code
    if status == 429 or status >= 500:
        return PushResult("retry", f"{vendor} HTTP {status}")
    return None


class VendorProvider(PushProvider):
    vendor: str = ""
    # Fetch a new token this long before the vendor's expiry.
    refresh_before = dt.timedelta(minutes=5)

    def __init__(self, *, base_url: str, timeout: float, concurrency: int = 50) -> None:
        self._client = httpx.AsyncClient(base_url=base_url.rstrip("/"), timeout=timeout)
        self._token: tuple[str, dt.datetime] | None = None
        self._token_lock = asyncio.Lock()
        self._slots = asyncio.Semaphore(concurrency)
        self._quota_until: dt.datetime | None = None
        self.token_fetches = 0

    @abc.abstractmethod
    async def fetch_token(self) -> tuple[str, int]:
        """A new access token and its lifetime in seconds; raise TokenUnavailable."""

    @abc.abstractmethod
    async def deliver(self, token: str, message: PushMessage) -> PushResult:
        """Send one message; raise TokenRejected or QuotaSpent, return any other outcome."""

    async def access_token(self, *, stale: str | None = None) -> str:
        async with self._token_lock:
            now = clock.now()
            cached = self._token
            # Another message already replaced the token the vendor rejected: use that one.
            if cached and cached[0] != stale and cached[1] - self.refresh_before > now:
                return cached[0]
            try:
                token, lifetime = await self.fetch_token()
            except httpx.HTTPError as exc:
                # Never log the request: it carries the app's secret.
                raise TokenUnavailable(f"{self.vendor} auth {type(exc).__name__}") from None
            self.token_fetches += 1
            self._token = (token, now + dt.timedelta(seconds=max(lifetime, 60)))
            return token

    async def send(self, messages: list[PushMessage]) -> list[PushResult]:
        return list(await asyncio.gather(*(self._send_one(m) for m in messages)))

    def _quota_result(self) -> PushResult | None:
        if self._quota_until and clock.now() < self._quota_until:
            return PushResult("deferred", f"{self.vendor} daily quota spent", self._quota_until)
        return None

    async def _send_one(self, message: PushMessage) -> PushResult:
        async with self._slots:
            held = self._quota_result()
            if held:
                return held
            stale = None
            for _ in range(2):
                try:
                    token = await self.access_token(stale=stale)
                    return await self.deliver(token, message)
                except TokenRejected:
                    stale = token
                    continue
                except TokenUnavailable as exc:
                    return PushResult("retry", str(exc))
                except QuotaSpent as exc:
                    self._quota_until = next_quota_reset(clock.now())
                    log.warning("%s daily quota spent until %s", self.vendor, self._quota_until)
                    return PushResult("deferred", exc.error[:500], self._quota_until)
                except httpx.TimeoutException:
                    return PushResult("retry", "timeout")
                except httpx.HTTPError as exc:
                    return PushResult("retry", f"network: {type(exc).__name__}")
            return PushResult("retry", f"{self.vendor} rejected a fresh access token")

    async def aclose(self) -> None:
        await self._client.aclose()


def require_configured(settings, vendor: str, *secrets: str) -> None:
    """In production a vendor still holding the demo credentials is not configured: its
    channel stays off (the worker logs why) rather than failing every push."""
    if settings.env != "production":
        return
    for name in secrets:
        if str(getattr(settings, name)).startswith("demo-"):
            raise SystemExit(f"invalid configuration: CITYOPS_{name.upper()} is required")
