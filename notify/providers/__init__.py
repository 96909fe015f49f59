"""Push providers behind one interface. Each turns a batch of messages into one outcome per
message; the worker decides what an outcome means for the delivery row (sent, retry later,
drop the token, dead-letter)."""

from __future__ import annotations

import abc
import datetime as dt
from typing import Literal

import msgspec

# sent: delivered to the provider. retry: try again later (5xx, timeout, rate limit).
# dead_token: the device token is gone; remove it, never retry. refused: WeChat 43101, the
# user's subscription is spent. failed: a permanent error; dead-letter it for admins.
# deferred: not now (an SMS in quiet hours, a vendor's spent daily quota); pending again at
# ``not_before`` (the quiet hours' end, the quota's reset), no try spent.
Outcome = Literal["sent", "retry", "dead_token", "refused", "failed", "deferred"]


class PushMessage(msgspec.Struct, frozen=True, kw_only=True):
    delivery_id: int
    target: str  # device token, or openid for WeChat
    title: str
    body: str
    link: str = ""
    urgent: bool = False
    data: dict[str, str] = {}
    # What phones need to group and count: the unread inbox count (APNs badge), the case the
    # push is about (thread and collapse id, notification tag) and what kind of message it is
    # (case: a citizen's case update, task: staff work, account: points and rewards), which
    # picks the Android notification channel and the vendors' message classification.
    badge: int | None = None
    thread: str = ""
    kind: str = "case"
    # WeChat subscribe messages only.
    template_id: str = ""
    page: str = ""
    fields: dict[str, str] = {}
    lang: str = "zh_CN"


class PushResult(msgspec.Struct, frozen=True):
    outcome: Outcome
    error: str = ""
    not_before: dt.datetime | None = None


SENT = PushResult("sent")


class PushProvider(abc.ABC):
    channel: str

    @abc.abstractmethod
    async def send(self, messages: list[PushMessage]) -> list[PushResult]:
        """One result per message, in order. Never raises for a provider failure."""

    async def aclose(self) -> None:  # noqa: B027 - optional hook
        """Release connections."""
