"""Notifications and a citizen's privacy: their inbox for their export; closing the account
empties it and drops what is still queued for them; inbox messages expire."""

from __future__ import annotations

import datetime as dt

import msgspec

from core import clock
from notify.tables import (
    InboxMessage,
    NotificationDelivery,
    NotificationJob,
    NotificationPreference,
    WeChatSubscription,
)

# Status of jobs and deliveries whose recipient closed their account: never sent, not an
# error (the admins' list of dead deliveries leaves them out).
DROPPED = "dropped"


async def inbox_export(*, owner_kind: str, owner_id: int) -> list[dict]:
    rows = (
        await InboxMessage.select(
            InboxMessage.template,
            InboxMessage.params,
            InboxMessage.created_at,
            InboxMessage.read_at,
        )
        .where((InboxMessage.owner_kind == owner_kind) & (InboxMessage.owner_id == owner_id))
        .order_by(InboxMessage.id)
    )
    return [
        {
            "template": r["template"],
            "params": msgspec.json.decode(r["params"] or "{}"),
            "createdAt": clock.iso_utc(r["created_at"]),
            "readAt": clock.iso_utc(r["read_at"]),
        }
        for r in rows
    ]


async def forget_recipient(*, owner_kind: str, owner_id: int) -> None:
    await InboxMessage.delete().where(
        (InboxMessage.owner_kind == owner_kind) & (InboxMessage.owner_id == owner_id)
    )
    await NotificationPreference.delete().where(
        NotificationPreference.owner == f"{owner_kind}:{owner_id}"
    )
    if owner_kind == "citizen":
        await WeChatSubscription.delete().where(WeChatSubscription.citizen_id == owner_id)
    await NotificationJob.update({NotificationJob.status: DROPPED}).where(
        (NotificationJob.recipient_kind == owner_kind)
        & (NotificationJob.recipient_id == owner_id)
        & (NotificationJob.status == "pending")
    )
    await NotificationDelivery.update(
        {NotificationDelivery.status: DROPPED, NotificationDelivery.payload: "{}"}
    ).where(
        (NotificationDelivery.recipient_kind == owner_kind)
        & (NotificationDelivery.recipient_id == owner_id)
        & (NotificationDelivery.status == "pending")
    )


async def expire_inbox(*, before: dt.datetime) -> int:
    gone = (
        await InboxMessage.delete()
        .where(InboxMessage.created_at < before)
        .returning(InboxMessage.id)
    )
    return len(gone)
