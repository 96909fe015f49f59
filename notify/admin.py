"""What admins see of delivery: dead letters, with the last error, and a way to retry."""

from __future__ import annotations

import datetime as dt

import msgspec

from core import clock
from core.db import raw
from core.pagination import MAX_LIMIT, decode_cursor, encode_cursor
from notify.errors import DeliveryNotFound
from notify.tables import NotificationDelivery

DEAD = ("dead",)


class DeadLetter(msgspec.Struct, frozen=True, kw_only=True):
    id: int
    job_id: int
    channel: str
    recipient_kind: str
    recipient_id: int
    template: str
    attempts: int
    last_error: str
    created_at: dt.datetime
    failed_at: dt.datetime


class DeadPage(msgspec.Struct, frozen=True):
    items: list[DeadLetter]
    next_cursor: str | None


async def dead_letters(*, cursor: str | None, limit: int, channel: str | None = None) -> DeadPage:
    limit = max(1, min(limit, MAX_LIMIT))
    query = NotificationDelivery.objects().where(NotificationDelivery.status == "dead")
    if channel:
        query = query.where(NotificationDelivery.channel == channel)
    after = decode_cursor(cursor, kind="dead_letters")
    if after is not None:
        query = query.where(
            (NotificationDelivery.created_at < after.at)
            | ((NotificationDelivery.created_at == after.at) & (NotificationDelivery.id < after.id))
        )
    rows = await (
        query.order_by(NotificationDelivery.created_at, ascending=False)
        .order_by(NotificationDelivery.id, ascending=False)
        .limit(limit + 1)
    )
    items = rows[:limit]
    return DeadPage(
        items=[
            DeadLetter(
                id=r.id,
                job_id=r.job_id,
                channel=r.channel,
                recipient_kind=r.recipient_kind,
                recipient_id=r.recipient_id,
                template=r.template,
                attempts=r.attempts,
                last_error=r.last_error,
                created_at=clock.as_utc(r.created_at),
                failed_at=clock.as_utc(r.available_at),
            )
            for r in items
        ],
        next_cursor=(
            encode_cursor(clock.as_utc(items[-1].created_at), items[-1].id, kind="dead_letters")
            if len(rows) > limit
            else None
        ),
    )


async def retry_dead_letter(*, delivery_id: int) -> None:
    """Send a dead letter again from scratch (after the provider or configuration is fixed)."""
    rows = await raw(
        "UPDATE notification_delivery SET status = 'pending', attempts = 0, available_at = {} "
        "WHERE id = {} AND status = 'dead' RETURNING id",
        clock.now(),
        delivery_id,
    )
    if not rows:
        raise DeliveryNotFound(delivery_id=delivery_id)


async def delivery_counts() -> dict[str, int]:
    rows = await raw("SELECT status, COUNT(*) AS n FROM notification_delivery GROUP BY status")
    return {r["status"]: r["n"] for r in rows}
