"""Webhook subscribers (notify.webhooks): admins register the systems that receive case
events. The secret is shown once, on registration; failed deliveries are dead letters under
/api/admin/notifications/dead (channel ``webhook``)."""

from __future__ import annotations

from typing import Annotated

import msgspec
from litestar import Controller, delete, get, post
from litestar.di import NamedDependency
from litestar.params import JSONBody

from api.admin.audit import ADMIN_ONLY
from api.params import IdParam
from audit.service import record
from core.actors import Actor
from core.db import transaction
from notify import webhooks

EventType = Annotated[str, msgspec.Meta(min_length=6, max_length=30)]


class SubscriberIn(msgspec.Struct, frozen=True, rename="camel", forbid_unknown_fields=True):
    name: Annotated[str, msgspec.Meta(min_length=1, max_length=100)]
    url: Annotated[str, msgspec.Meta(min_length=8, max_length=500)]
    event_types: Annotated[list[EventType], msgspec.Meta(max_length=30)] = []
    # The API client whose own requests it follows (a 12345 platform's); none: every case.
    client_id: Annotated[int, msgspec.Meta(ge=1)] | None = None


class SubscriberOut(msgspec.Struct, frozen=True, rename="camel"):
    id: int
    name: str
    url: str
    event_types: list[str]
    client_id: int | None
    active: bool
    secret: str | None  # only in the answer to the registration


def _out(sub: webhooks.Subscriber) -> SubscriberOut:
    return SubscriberOut(**msgspec.structs.asdict(sub))


class AdminWebhookController(Controller):
    path = "/webhooks"
    tags = ["admin: configuration"]

    @get("/", summary="Webhook subscribers (secrets never shown)")
    async def list_subscribers(self) -> list[SubscriberOut]:
        return [_out(s) for s in await webhooks.list_subscribers()]

    @post("/", summary="Register a subscriber; the response holds its secret, once", opt=ADMIN_ONLY)
    async def register(
        self, actor: NamedDependency[Actor], data: JSONBody[SubscriberIn]
    ) -> SubscriberOut:
        async with transaction():
            sub = await webhooks.register(
                name=data.name, url=data.url, event_types=data.event_types, client_id=data.client_id
            )
            await record(
                actor=actor,
                action="webhook.register",
                target_kind="webhook",
                target_id=sub.id,
                after=msgspec.structs.replace(sub, secret=None),
            )
        return _out(sub)

    @delete("/{subscriber_id:int}", summary="Unsubscribe", opt=ADMIN_ONLY)
    async def remove(self, actor: NamedDependency[Actor], subscriber_id: IdParam) -> None:
        async with transaction():
            await webhooks.remove(subscriber_id=subscriber_id)
            await record(
                actor=actor, action="webhook.remove", target_kind="webhook", target_id=subscriber_id
            )
