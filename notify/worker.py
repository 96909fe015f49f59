"""The outbox worker: fan jobs out, then claim due deliveries, send them, record outcomes.

Claiming marks rows ``sending`` and moves ``available_at`` to the end of a lease, in a short
transaction (``FOR UPDATE SKIP LOCKED`` on PostgreSQL, so workers never take the same row;
SQLite's BEGIN IMMEDIATE serialises claims). Providers are called with no transaction open.
If the worker dies before recording, the lease runs out and another worker sends again: at
most one duplicate per crash, never a loss. ``attempts`` is counted at claim time, so even a
delivery that crashes its worker every time ends in the dead letters.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import random
import time
from typing import Any

import msgspec

from accounts import devices as accounts_devices
from core import clock, periodic
from core.db import is_sqlite, raw, transaction
from core.settings import Settings, get_settings
from notify import preferences
from notify.fanout import fan_out
from notify.providers import PushMessage, PushProvider, PushResult

log = logging.getLogger(__name__)

_COLUMNS = "id, channel, target, payload, urgent, attempts, recipient_kind, recipient_id"
# The device platform each push channel reaches (to retire a device whose token is gone).
_PLATFORM = {
    "apns": "ios",
    "harmony": "harmony",
    **dict.fromkeys(("fcm", "huawei", "honor", "xiaomi", "oppo", "vivo", "jpush"), "android"),
}


class Claimed(msgspec.Struct, frozen=True):
    id: int
    channel: str
    target: str
    payload: dict[str, Any]
    urgent: bool
    attempts: int
    recipient_id: int


def backoff(attempts: int, settings: Settings) -> float:
    """Exponential, capped, with jitter (half fixed, half random) so that deliveries failed
    by one provider outage do not all come back in the same second."""
    delay = min(
        settings.notify_retry_max_seconds,
        settings.notify_retry_base_seconds * 2 ** max(0, attempts - 1),
    )
    return delay / 2 + random.uniform(0, delay / 2)


async def _claim(limit: int, now: dt.datetime, lease_end: dt.datetime) -> list[Claimed]:
    if is_sqlite():
        sql = (
            "UPDATE notification_delivery SET status = 'sending', attempts = attempts + 1, "  # noqa: S608
            "available_at = {} WHERE id IN (SELECT id FROM notification_delivery "
            "WHERE status IN ('pending', 'sending') AND available_at <= {} "
            f"ORDER BY available_at, id LIMIT {{}}) RETURNING {_COLUMNS}"
        )
    else:
        sql = (
            "WITH due AS (SELECT id FROM notification_delivery "  # noqa: S608
            "WHERE status IN ('pending', 'sending') AND available_at <= {} "
            "ORDER BY available_at, id LIMIT {} FOR UPDATE SKIP LOCKED) "
            "UPDATE notification_delivery d SET status = 'sending', attempts = d.attempts + 1, "
            "available_at = {} FROM due WHERE d.id = due.id RETURNING "
            + ", ".join(f"d.{c.strip()}" for c in _COLUMNS.split(","))
        )
    args = (lease_end, now, limit) if is_sqlite() else (now, limit, lease_end)
    async with transaction():
        rows = await raw(sql, *args)
    return [
        Claimed(
            id=r["id"],
            channel=r["channel"],
            target=r["target"],
            payload=msgspec.json.decode(r["payload"]),
            urgent=bool(r["urgent"]),
            attempts=r["attempts"],
            recipient_id=r["recipient_id"],
        )
        for r in sorted(rows, key=lambda r: r["id"])
    ]


def _message(row: Claimed) -> PushMessage:
    p = row.payload
    return PushMessage(
        delivery_id=row.id,
        target=row.target,
        title=p.get("title", ""),
        body=p.get("body", ""),
        link=p.get("link", ""),
        urgent=row.urgent,
        data=p.get("data", {}),
        badge=p.get("badge"),
        thread=p.get("thread", ""),
        kind=p.get("kind", "case"),
        template_id=p.get("templateId", ""),
        page=p.get("page", ""),
        fields=p.get("fields", {}),
    )


def _in(ids: list[int]) -> str:
    return ", ".join("{}" for _ in ids)


class Outbox:
    """Delivers the outbox through ``providers`` (channel -> provider)."""

    def __init__(self, *, providers: dict[str, PushProvider], settings: Settings | None = None):
        self.providers = providers
        self.settings = settings or get_settings()

    async def fan_out(self) -> int:
        return await fan_out(
            channels=set(self.providers),
            settings=self.settings,
            batch=self.settings.notify_batch_size,
        )

    async def deliver(self) -> int:
        """Claim, send and record one batch of due deliveries; returns how many."""
        now = clock.now()
        rows = await _claim(
            self.settings.notify_batch_size,
            now,
            now + dt.timedelta(seconds=self.settings.notify_lease_seconds),
        )
        if not rows:
            return 0
        by_channel: dict[str, list[Claimed]] = {}
        for row in rows:
            by_channel.setdefault(row.channel, []).append(row)
        sent = await asyncio.gather(*(self._send(ch, batch) for ch, batch in by_channel.items()))
        outcomes = [pair for channel_pairs in sent for pair in channel_pairs]
        async with transaction():
            await self._record(outcomes)
        return len(rows)

    async def _send(self, channel: str, rows: list[Claimed]) -> list[tuple[Claimed, PushResult]]:
        provider = self.providers.get(channel)
        if provider is None:
            return [(r, PushResult("retry", f"no {channel} provider configured")) for r in rows]
        try:
            results = await provider.send([_message(r) for r in rows])
        except Exception as exc:  # a provider bug must not lose the batch: retry it later
            log.exception("%s provider failed", channel)
            results = [PushResult("retry", f"{channel}: {type(exc).__name__}")] * len(rows)
        return list(zip(rows, results, strict=True))

    async def _record(self, outcomes: list[tuple[Claimed, PushResult]]) -> None:
        now = clock.now()
        sent = [row.id for row, result in outcomes if result.outcome == "sent"]
        if sent:
            await raw(
                "UPDATE notification_delivery SET status = 'sent', sent_at = {}, "  # noqa: S608
                f"last_error = '' WHERE id IN ({_in(sent)}) AND status <> 'sent'",
                now,
                *sent,
            )
        for row, result in outcomes:
            outcome = result.outcome
            if outcome == "sent":
                continue
            if outcome == "deferred":
                # Claiming counted a try; a deferral is not one.
                await raw(
                    "UPDATE notification_delivery SET status = 'pending', available_at = {}, "
                    "attempts = attempts - 1, last_error = {} WHERE id = {} "
                    "AND status = 'sending' AND attempts = {}",
                    result.not_before or now + dt.timedelta(hours=1),
                    result.error,
                    row.id,
                    row.attempts,
                )
                continue
            if outcome == "retry" and row.attempts < self.settings.notify_max_attempts:
                # Only if nobody re-claimed it meanwhile (our lease may have run out).
                await raw(
                    "UPDATE notification_delivery SET status = 'pending', available_at = {}, "
                    "last_error = {} WHERE id = {} AND status = 'sending' AND attempts = {}",
                    now + dt.timedelta(seconds=backoff(row.attempts, self.settings)),
                    result.error,
                    row.id,
                    row.attempts,
                )
                continue
            status = {
                "retry": "dead",
                "failed": "dead",
                "dead_token": "dead_token",
                "refused": "refused",
            }[outcome]
            # available_at becomes the moment it failed for good (shown to admins).
            await raw(
                "UPDATE notification_delivery SET status = {}, last_error = {}, available_at = {} "
                "WHERE id = {} AND status = 'sending'",
                status,
                result.error,
                now,
                row.id,
            )
            if outcome == "dead_token":
                await self._drop_token(row, result.error)
            elif outcome == "refused":
                await preferences.spend_subscription(
                    citizen_id=row.recipient_id, template_id=row.payload.get("templateId", "")
                )
            elif status == "dead":
                log.warning("notification delivery %s dead-lettered: %s", row.id, result.error)

    async def _drop_token(self, row: Claimed, error: str) -> None:
        platform = _PLATFORM.get(row.channel)
        if platform:
            await accounts_devices.remove_device_token(platform=platform, token=row.target)
        # Other pushes queued for the same token would fail the same way: never send them.
        await raw(
            "UPDATE notification_delivery SET status = 'dead_token', last_error = {} "
            "WHERE channel = {} AND target = {} AND status = 'pending'",
            error,
            row.channel,
            row.target,
        )

    async def run_once(self) -> int:
        return await self.fan_out() + await self.deliver()

    async def drain(self, *, budget_seconds: float = 30.0) -> int:
        """Work until nothing is due (or the budget is spent, so a flood cannot starve the
        rest of a tick); returns how many jobs and deliveries were handled."""
        done, deadline = 0, time.monotonic() + budget_seconds
        while time.monotonic() < deadline and not periodic.stopping():
            handled = await self.run_once()
            if not handled:
                break
            done += handled
        return done

    async def aclose(self) -> None:
        for provider in self.providers.values():
            await provider.aclose()


def providers_from_settings(settings: Settings) -> dict[str, PushProvider]:
    from notify.providers.apns import apns_from_settings
    from notify.providers.fcm import fcm_from_settings
    from notify.providers.honor import honor_from_settings
    from notify.providers.huawei import harmony_from_settings, huawei_from_settings
    from notify.providers.jpush import jpush_from_settings
    from notify.providers.oppo import oppo_from_settings
    from notify.providers.sms import sms_from_settings
    from notify.providers.vivo import vivo_from_settings
    from notify.providers.webhook import WebhookProvider
    from notify.providers.wechat import wechat_from_settings
    from notify.providers.xiaomi import xiaomi_from_settings

    factories = {
        "apns": apns_from_settings,
        "fcm": fcm_from_settings,
        "wechat": wechat_from_settings,
        "sms": sms_from_settings,
        "huawei": huawei_from_settings,
        "harmony": harmony_from_settings,
        "honor": honor_from_settings,
        "xiaomi": xiaomi_from_settings,
        "oppo": oppo_from_settings,
        "vivo": vivo_from_settings,
        "jpush": jpush_from_settings,
    }
    providers = {}
    for name in (c.strip() for c in settings.notify_channels.split(",")):
        if name not in factories:
            continue
        try:
            providers[name] = factories[name](settings)
        except (SystemExit, Exception) as exc:
            # A channel without its key or credentials must not stop the others (nor the
            # process): its deliveries are simply not planned until it is configured.
            log.error("notification channel %s disabled: %s", name, exc)
    # Always on: it needs no credentials, and sends only what admins subscribed.
    providers["webhook"] = WebhookProvider(settings)
    return providers


_outbox: Outbox | None = None


async def deliver_tick() -> int:
    """The periodic task (in-process or in `cityops worker`)."""
    global _outbox
    if _outbox is None:
        settings = get_settings()
        _outbox = Outbox(providers=providers_from_settings(settings), settings=settings)
    return await _outbox.drain()


async def close_outbox() -> None:
    """Close the providers' connections when the periodic tasks stop."""
    global _outbox
    outbox, _outbox = _outbox, None
    if outbox is not None:
        await outbox.aclose()
