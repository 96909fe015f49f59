"""The ``webhook`` channel: POST a case event, signed, to a subscriber's URL. Its outcome
is the worker's like any push: 2xx sent; a timeout, a refused connection, 408, 429 or 5xx
retried with backoff; any other answer, or a URL no longer allowed, dead-lettered."""

from __future__ import annotations

import httpx

from core.settings import Settings
from notify import webhooks
from notify.providers import SENT, PushMessage, PushProvider, PushResult
from notify.webhook_signing import SIGNATURE_HEADER, allowed_hosts, sign, url_problem

RETRIED = {408, 425, 429}


class WebhookProvider(PushProvider):
    channel = webhooks.CHANNEL

    def __init__(self, settings: Settings) -> None:
        self.allowed = allowed_hosts(settings.webhook_allowed_hosts)
        # No redirects: a redirect could point anywhere, past the URL check.
        self.client = httpx.AsyncClient(
            timeout=settings.webhook_timeout_seconds, follow_redirects=False
        )

    async def send(self, messages: list[PushMessage]) -> list[PushResult]:
        return [await self._one(m) for m in messages]

    async def _one(self, message: PushMessage) -> PushResult:
        secret = await webhooks.secret_of(int(message.data.get("subscriber", "0")))
        if secret is None:
            return PushResult("failed", "subscriber removed")
        problem = url_problem(message.target, self.allowed)
        if problem is not None:
            return PushResult("failed", f"url refused: {problem}")
        body = message.data["body"].encode()
        headers = {
            "Content-Type": "application/json",
            SIGNATURE_HEADER: sign(secret, body),
            "X-Cityops-Event": message.data.get("event", ""),
            "X-Cityops-Delivery": str(message.delivery_id),
        }
        try:
            response = await self.client.post(message.target, content=body, headers=headers)
        except httpx.HTTPError as exc:
            return PushResult("retry", f"webhook: {type(exc).__name__}")
        if 200 <= response.status_code < 300:
            return SENT
        error = f"webhook: HTTP {response.status_code}"
        if response.status_code >= 500 or response.status_code in RETRIED:
            return PushResult("retry", error)
        return PushResult("failed", error)

    async def aclose(self) -> None:
        await self.client.aclose()
