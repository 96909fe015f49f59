"""The in-app inbox, notification settings and (citizens) WeChat subscribe grants.
``NotificationController`` is mounted in the citizen and the inspector app alike."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Literal

import msgspec
from litestar import Controller, Request, Response, get, post, put
from litestar.di import NamedDependency
from litestar.params import FromQuery, JSONBody, QueryParameter

from api.idempotent import run_idempotent
from api.params import Int32, PageLimit
from core.actors import Actor
from core.db import transaction
from notify import inbox, preferences

HHMM = Annotated[str, msgspec.Meta(pattern=r"^([01]\d|2[0-3]):[0-5]\d$")]


class NotificationOut(msgspec.Struct, frozen=True, rename="camel"):
    id: int
    type: str
    title: str
    body: str
    link: str  # the app's deep link, e.g. cityops://cases/{caseId}
    page: str  # the mini-program page (citizens)
    case_id: str | None
    params: dict[str, Any]
    created_at: dt.datetime
    read: bool

    @classmethod
    def of(cls, entry: inbox.InboxEntry) -> NotificationOut:
        return cls(
            id=entry.id,
            type=entry.template,
            title=entry.title,
            body=entry.body,
            link=entry.link,
            page=entry.page,
            case_id=entry.case_id,
            params=entry.params,
            created_at=entry.created_at,
            read=entry.read_at is not None,
        )


class NotificationPage(msgspec.Struct, frozen=True, rename="camel"):
    items: list[NotificationOut]
    next_cursor: str | None
    unread: int


class UnreadOut(msgspec.Struct, frozen=True, rename="camel"):
    unread: int


class ReadIn(msgspec.Struct, frozen=True, rename="camel", forbid_unknown_fields=True):
    ids: Annotated[list[Int32], msgspec.Meta(max_length=500)] = []
    all: bool = False


class ReadOut(msgspec.Struct, frozen=True, rename="camel"):
    updated: int
    unread: int


class QuietHours(msgspec.Struct, frozen=True, rename="camel"):
    start: HHMM
    end: HHMM


class PreferencesIO(msgspec.Struct, frozen=True, rename="camel", forbid_unknown_fields=True):
    """``muted``: channels turned off (push = app notifications, wechat = subscribe messages,
    sms = texts to phone-only reporters; the inbox cannot be turned off). ``quietHours`` in
    city time; urgent ones still come (texts to citizens wait in any case)."""

    muted: list[Literal["push", "wechat", "sms"]] = []
    quiet_hours: QuietHours | None = None

    @classmethod
    def of(cls, prefs: preferences.Preferences) -> PreferencesIO:
        quiet = (
            QuietHours(start=prefs.quiet_start, end=prefs.quiet_end)
            if prefs.quiet_start and prefs.quiet_end
            else None
        )
        return cls(muted=list(prefs.muted), quiet_hours=quiet)


class NotificationController(Controller):
    path = "/notifications"
    tags = ["notifications"]

    @get("/", summary="My notifications, newest first (keyset pages)")
    async def list_mine(
        self,
        actor: NamedDependency[Actor],
        cursor: FromQuery[str | None] = None,
        limit: PageLimit = 20,
        unread_only: Annotated[bool, QueryParameter(name="unreadOnly")] = False,
    ) -> NotificationPage:
        page = await inbox.inbox(actor=actor, cursor=cursor, limit=limit, unread_only=unread_only)
        return NotificationPage(
            items=[NotificationOut.of(e) for e in page.items],
            next_cursor=page.next_cursor,
            unread=page.unread,
        )

    @get("/unread-count", summary="How many are unread (for the badge)")
    async def unread(self, actor: NamedDependency[Actor]) -> UnreadOut:
        return UnreadOut(unread=await inbox.unread_count(actor=actor))

    @post("/read", status_code=200, summary="Mark some (ids) or all notifications read")
    async def read(self, actor: NamedDependency[Actor], data: JSONBody[ReadIn]) -> ReadOut:
        async with transaction():
            updated = await inbox.mark_read(actor=actor, ids=data.ids, everything=data.all)
        return ReadOut(updated=updated, unread=await inbox.unread_count(actor=actor))

    @get("/preferences", summary="My channel opt-outs and quiet hours")
    async def get_preferences(self, actor: NamedDependency[Actor]) -> PreferencesIO:
        return PreferencesIO.of(await preferences.get_preferences(actor=actor))

    @put("/preferences", summary="Set channel opt-outs and quiet hours")
    async def set_preferences(
        self, actor: NamedDependency[Actor], data: JSONBody[PreferencesIO]
    ) -> PreferencesIO:
        quiet = data.quiet_hours
        async with transaction():
            prefs = await preferences.set_preferences(
                actor=actor,
                muted=list(data.muted),
                quiet_start=quiet.start if quiet else None,
                quiet_end=quiet.end if quiet else None,
            )
        return PreferencesIO.of(prefs)


class SubscriptionOut(msgspec.Struct, frozen=True, rename="camel"):
    template_id: str
    remaining: int  # -1 with longTerm: the grant stands until the citizen turns it off
    long_term: bool


class SubscriptionsOut(msgspec.Struct, frozen=True, rename="camel"):
    """``templateIds`` are what to pass to wx.requestSubscribeMessage."""

    template_ids: list[str]
    subscriptions: list[SubscriptionOut]


class SubscriptionsIn(msgspec.Struct, frozen=True, rename="camel", forbid_unknown_fields=True):
    """The template ids wx.requestSubscribeMessage answered "accept" for."""

    accepted: Annotated[
        list[Annotated[str, msgspec.Meta(min_length=1, max_length=64)]], msgspec.Meta(max_length=20)
    ]


def _subscriptions_out(items: list[preferences.Subscription]) -> SubscriptionsOut:
    return SubscriptionsOut(
        template_ids=preferences.subscription_templates(),
        subscriptions=[
            SubscriptionOut(template_id=s.template_id, remaining=s.remaining, long_term=s.long_term)
            for s in items
        ],
    )


class WeChatSubscriptionController(Controller):
    path = "/notifications/subscriptions"
    tags = ["notifications"]

    @get("/", summary="WeChat subscribe message templates and grants left")
    async def mine(self, actor: NamedDependency[Actor]) -> SubscriptionsOut:
        return _subscriptions_out(await preferences.subscriptions(actor=actor))

    @post("/", summary="Report the grants wx.requestSubscribeMessage returned (idempotent)")
    async def report(
        self, request: Request, actor: NamedDependency[Actor], data: JSONBody[SubscriptionsIn]
    ) -> Response[SubscriptionsOut]:
        async def action() -> SubscriptionsOut:
            return _subscriptions_out(
                await preferences.report_subscriptions(actor=actor, accepted=list(data.accepted))
            )

        return await run_idempotent(request, actor, action)
