"""Delivery dead letters for the command centre: what could not be sent, and why."""

from __future__ import annotations

import datetime as dt
from typing import Literal

import msgspec
from litestar import Controller, get, post
from litestar.params import FromQuery

from api.params import IdParam, PageLimit
from core.db import transaction
from notify import admin


class DeadLetterOut(msgspec.Struct, frozen=True, rename="camel"):
    id: int
    notification_id: int
    channel: str
    recipient_kind: str
    recipient_id: int
    type: str
    attempts: int
    last_error: str
    created_at: dt.datetime
    failed_at: dt.datetime


class DeadLetterPage(msgspec.Struct, frozen=True, rename="camel"):
    items: list[DeadLetterOut]
    next_cursor: str | None


class DeliveryStats(msgspec.Struct, frozen=True, rename="camel"):
    by_status: dict[str, int]


class RetriedOut(msgspec.Struct, frozen=True, rename="camel"):
    id: int
    status: str


class AdminNotificationController(Controller):
    path = "/notifications"
    tags = ["admin notifications"]

    @get("/dead", summary="Deliveries given up on (dead letters), newest first")
    async def dead(
        self,
        cursor: FromQuery[str | None] = None,
        limit: PageLimit = 50,
        channel: FromQuery[Literal["apns", "fcm", "wechat", "sms", "webhook"] | None] = None,
    ) -> DeadLetterPage:
        page = await admin.dead_letters(cursor=cursor, limit=limit, channel=channel)
        return DeadLetterPage(
            items=[
                DeadLetterOut(
                    id=d.id,
                    notification_id=d.job_id,
                    channel=d.channel,
                    recipient_kind=d.recipient_kind,
                    recipient_id=d.recipient_id,
                    type=d.template,
                    attempts=d.attempts,
                    last_error=d.last_error,
                    created_at=d.created_at,
                    failed_at=d.failed_at,
                )
                for d in page.items
            ],
            next_cursor=page.next_cursor,
        )

    @post(
        "/dead/{delivery_id:int}/retry",
        status_code=200,
        summary="Send a dead letter again (after fixing the cause)",
    )
    async def retry(self, delivery_id: IdParam) -> RetriedOut:
        async with transaction():
            await admin.retry_dead_letter(delivery_id=delivery_id)
        return RetriedOut(id=delivery_id, status="pending")

    @get("/stats", summary="Deliveries by status")
    async def stats(self) -> DeliveryStats:
        return DeliveryStats(by_status=await admin.delivery_counts())
