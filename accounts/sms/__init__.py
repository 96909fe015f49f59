"""SMS senders behind one interface: the console sender for development (it prints to stdout,
never to the log, which may be shipped elsewhere), and the real vendors, Alibaba Cloud
(``aliyun``) and Tencent Cloud (``tencent``), chosen by CITYOPS_SMS_SENDER.

A sender sends one templated text of a known kind and either returns the vendor's message id
or raises ``SmsFailure`` with the reason in our words, so the sign-in flow and the outbox can
decide what a failure means for the phone (a problem with a stable code) or the delivery
(retry, dead letter). No sender may raise anything else for a vendor's answer."""

from __future__ import annotations

import abc
import sys
from typing import Literal

from accounts.phone import mask_phone
from core.settings import Settings

# login_code: the sign-in code. case_update: a case's progress for a citizen without the app.
# urgent_case: an urgent case paged to the handling unit's staff.
SmsKind = Literal["login_code", "case_update", "urgent_case"]
KINDS: tuple[SmsKind, ...] = ("login_code", "case_update", "urgent_case")

# What went wrong, in our words. invalid_phone: the vendor says the number cannot receive.
# template: the sign name or template is not approved or its parameters do not fit (a
# configuration error). rate_limited: the vendor's own per-number or account limits.
# balance: the account is out of money or its package is spent. auth: wrong credentials or
# permissions. unavailable: network, timeout, the vendor's 5xx. error: anything else.
Reason = Literal[
    "invalid_phone", "template", "rate_limited", "balance", "auth", "unavailable", "error"
]
RETRYABLE: frozenset[str] = frozenset({"rate_limited", "balance", "unavailable"})


class SmsFailure(Exception):
    def __init__(self, reason: Reason, vendor_code: str = "", message: str = "") -> None:
        self.reason = reason
        self.vendor_code = vendor_code
        super().__init__(f"sms {reason}: {vendor_code} {message}".strip()[:500])


class SmsSender(abc.ABC):
    name: str = ""

    @abc.abstractmethod
    async def send(self, *, phone: str, kind: SmsKind, params: dict[str, str]) -> str:
        """Send one text of ``kind`` to ``phone`` (E.164); the vendor's message id, or
        ``SmsFailure``. ``params``: login_code {code, minutes}, case_update {number, status},
        urgent_case {number}; each vendor passes on the ones its templates declare."""

    async def send_code(self, *, phone: str, code: str, ttl_minutes: int) -> str:
        return await self.send(
            phone=phone, kind="login_code", params={"code": code, "minutes": str(ttl_minutes)}
        )

    async def aclose(self) -> None:  # noqa: B027 - optional hook
        """Release connections."""


_CONSOLE_TEXT = {
    "login_code": "您的验证码是 {code}，{minutes} 分钟内有效。",
    "case_update": "您反映的问题 {number} {status}。",
    "urgent_case": "紧急案件 {number} 已派遣给您的单位，请立即处置。",
}


class ConsoleSmsSender(SmsSender):
    name = "console"

    async def send(self, *, phone: str, kind: SmsKind, params: dict[str, str]) -> str:
        text = _CONSOLE_TEXT[kind].format_map({"minutes": "", "status": "", **params})
        print(f"[sms to {mask_phone(phone)}] {text}", file=sys.stdout, flush=True)
        return ""


def template_code(settings: Settings, kind: SmsKind) -> str:
    return getattr(settings, f"sms_template_{kind}")


_senders: dict[Settings, SmsSender] = {}


def sms_sender_from_settings(settings: Settings) -> SmsSender:
    """One sender (and its connection pool) per configuration. The settings loader has
    already refused an unusable configuration, so this never stops a request."""
    sender = _senders.get(settings)
    if sender is None:
        sender = _build(settings)
        _senders[settings] = sender
    return sender


def _build(settings: Settings) -> SmsSender:
    if settings.sms_sender == "aliyun":
        from accounts.sms.aliyun import AliyunSmsSender

        return AliyunSmsSender.from_settings(settings)
    if settings.sms_sender == "tencent":
        from accounts.sms.tencent import TencentSmsSender

        return TencentSmsSender.from_settings(settings)
    return ConsoleSmsSender()
