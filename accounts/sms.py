"""SMS senders. The console sender is for development: it prints the code to stdout (never to
the log, which may be shipped elsewhere). A real provider plugs in behind SmsSender."""

from __future__ import annotations

import abc
import sys

from accounts.phone import mask_phone
from core.settings import Settings


class SmsSender(abc.ABC):
    @abc.abstractmethod
    async def send_code(self, *, phone: str, code: str, ttl_minutes: int) -> None: ...


class ConsoleSmsSender(SmsSender):
    async def send_code(self, *, phone: str, code: str, ttl_minutes: int) -> None:
        print(
            f"[sms to {mask_phone(phone)}] 您的验证码是 {code}，{ttl_minutes} 分钟内有效。",
            file=sys.stdout,
            flush=True,
        )


def sms_sender_from_settings(settings: Settings) -> SmsSender:
    if settings.sms_sender == "console":
        if settings.env == "production":
            raise SystemExit("invalid configuration: the console SMS sender is for development")
        return ConsoleSmsSender()
    raise SystemExit(f"invalid configuration: unknown SMS sender {settings.sms_sender!r}")
