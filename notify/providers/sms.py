"""Texts through the configured SMS sender (accounts.sms: Aliyun, Tencent, or the console in
development). The message's ``target`` is the phone, ``template_id`` the kind of text and
``fields`` its parameters, as notify.sms_channel planned them.

A case update that comes due inside the city's quiet hours (a retry after an outage, say)
is deferred to their end, not sent. The vendor's refusal of the number, the template or the
credentials is permanent (dead letter, visible to admins); its rate limits, an empty
balance and outages are retried with the outbox's backoff."""

from __future__ import annotations

import asyncio

from accounts.sms import RETRYABLE, SmsFailure, SmsSender, sms_sender_from_settings
from core import clock
from core.settings import Settings
from notify.providers import SENT, PushMessage, PushProvider, PushResult
from notify.sms_channel import city_quiet_until

# Texts in flight at once per batch: a batch must finish well within its lease.
CONCURRENCY = 8


class SmsProvider(PushProvider):
    channel = "sms"

    def __init__(self, *, sender: SmsSender, settings: Settings) -> None:
        self._sender = sender
        self._settings = settings

    async def send(self, messages: list[PushMessage]) -> list[PushResult]:
        gate = asyncio.Semaphore(CONCURRENCY)

        async def one(message: PushMessage) -> PushResult:
            async with gate:
                return await self._send_one(message)

        return list(await asyncio.gather(*(one(m) for m in messages)))

    async def _send_one(self, message: PushMessage) -> PushResult:
        if message.template_id == "case_update" and not message.urgent:
            until = city_quiet_until(clock.now(), self._settings)
            if until is not None:
                return PushResult("deferred", "quiet hours", not_before=until)
        try:
            await self._sender.send(
                phone=message.target,
                kind=message.template_id,  # type: ignore[arg-type]
                params=message.fields,
            )
        except SmsFailure as failure:
            outcome = "retry" if failure.reason in RETRYABLE else "failed"
            return PushResult(outcome, str(failure))
        return SENT

    async def aclose(self) -> None:
        """The sender (and its connections) is shared with SMS sign-in for the process's
        life: not closed with one outbox."""


def sms_from_settings(settings: Settings) -> SmsProvider:
    return SmsProvider(sender=sms_sender_from_settings(settings), settings=settings)
