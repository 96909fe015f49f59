"""Outbound webhooks: other systems (a 12345 platform) subscribe to case events and get
each as a signed POST (notify.webhook_signing). Each event to each subscriber is one row of
the outbox (a job, done at once, and its one delivery on the ``webhook`` channel), written
in the transaction of the change: the worker sends it with the retries, backoff and dead
letters every delivery has (notify.worker; dead letters under /api/admin/notifications).

A subscriber of an API client hears of the cases that client filed (the platform's own
requests report their progress back to it); one without, of every case. The body says
where a case stands, never who reported it."""

from __future__ import annotations

import secrets

import msgspec

from core import clock
from core.settings import get_settings
from core.ttlcache import TtlCache
from notify.errors import WebhookEventUnknown, WebhookNotFound, WebhookUrlRefused
from notify.tables import NotificationDelivery, NotificationJob, WebhookSubscriber
from notify.webhook_signing import allowed_hosts, url_problem

CHANNEL = "webhook"
# The case steps a subscriber can ask for: those the reporter hears of (cases.workflow).
EVENTS = (
    "report",
    "accept",
    "reject",
    "merge",
    "cancel",
    "withdraw",
    "dispatch",
    "redispatch",
    "return",
    "transfer",
    "suspend",
    "resume",
    "resolve",
    "rework",
    "close",
    "reopen",
    "rate",
)


class Subscriber(msgspec.Struct, frozen=True, kw_only=True):
    id: int
    name: str
    url: str
    event_types: list[str]
    client_id: int | None
    active: bool
    secret: str | None = None  # only when just registered


class CaseEventBody(msgspec.Struct, frozen=True, rename="camel"):
    id: str  # the delivery's own id: a receiver drops repeats by it
    type: str  # case.accept, ...
    occurred_at: str
    case_id: str
    number: str
    state: str
    status: str  # open or closed, as Open311 says it
    category_code: str


def check_url(url: str) -> None:
    problem = url_problem(url, allowed_hosts(get_settings().webhook_allowed_hosts))
    if problem is not None:
        raise WebhookUrlRefused(reason=problem)


def _out(row: WebhookSubscriber, secret: str | None = None) -> Subscriber:
    return Subscriber(
        id=row.id,
        name=row.name,
        url=row.url,
        event_types=msgspec.json.decode(row.event_types),
        client_id=row.client_id,
        active=row.active,
        secret=secret,
    )


# Every case step asks who subscribes, and usually nobody does: the answer is cached like
# other rarely changed rows. A subscriber added elsewhere starts hearing within
# CITYOPS_CACHE_CHECK_SECONDS; a removed one is never sent to (the worker reads its secret).
_active: TtlCache[list[WebhookSubscriber]] = TtlCache(max_entries=1)


async def _active_subscribers() -> list[WebhookSubscriber]:
    return await _active.get(
        "all",
        lambda: WebhookSubscriber.objects().where(WebhookSubscriber.active == True),  # noqa: E712
    )


async def register(
    *, name: str, url: str, event_types: list[str], client_id: int | None = None
) -> Subscriber:
    check_url(url)
    for event in event_types:
        if event.removeprefix("case.") not in EVENTS or not event.startswith("case."):
            raise WebhookEventUnknown(event=event[:40])
    secret = secrets.token_urlsafe(32)
    row = WebhookSubscriber(
        name=name,
        url=url,
        secret=secret,
        event_types=msgspec.json.encode(sorted(set(event_types))).decode(),
        client_id=client_id,
        active=True,
        created_at=clock.now(),
    )
    await row.save()
    _active.clear()
    return _out(row, secret)


async def list_subscribers() -> list[Subscriber]:
    return [_out(r) for r in await WebhookSubscriber.objects().order_by(WebhookSubscriber.id)]


async def remove(*, subscriber_id: int) -> None:
    """Unsubscribe; what is queued for it is not sent (the worker finds no subscriber)."""
    gone = (
        await WebhookSubscriber.delete()
        .where(WebhookSubscriber.id == subscriber_id)
        .returning(WebhookSubscriber.id)
    )
    if not gone:
        raise WebhookNotFound()
    _active.clear()


async def secret_of(subscriber_id: int) -> str | None:
    row = await WebhookSubscriber.select(WebhookSubscriber.secret).where(
        (WebhookSubscriber.id == subscriber_id) & (WebhookSubscriber.active == True)  # noqa: E712
    )
    return row[0]["secret"] if row else None


async def queue_case_event(*, case, action: str, status: str) -> None:
    """One outbox job and delivery per subscriber that wants this event of this case."""
    if action not in EVENTS:
        return
    rows = await _active_subscribers()
    if not rows:
        return
    event = f"case.{action}"
    now = clock.now()
    own_client = case.reporter_id if case.reporter_kind == "machine" else None
    for sub in rows:
        types = msgspec.json.decode(sub.event_types)
        if (types and event not in types) or (
            sub.client_id is not None and sub.client_id != own_client
        ):
            continue
        job = NotificationJob(
            recipient_kind=CHANNEL,
            recipient_id=sub.id,
            template=event,
            params="{}",
            case_id=case.id,
            status="done",
            created_at=now,
            available_at=now,
        )
        await job.save()
        body = CaseEventBody(
            id=f"wh_{job.id}",
            type=event,
            occurred_at=now.isoformat(),
            case_id=case.public_id,
            number=case.number,
            state=case.state,
            status=status,
            category_code=case.category_code,
        )
        data = {
            "body": msgspec.json.encode(body).decode(),
            "event": event,
            "subscriber": str(sub.id),
        }
        payload = {"data": data}
        await NotificationDelivery.insert(
            NotificationDelivery(
                job_id=job.id,
                channel=CHANNEL,
                target=sub.url,
                recipient_kind=CHANNEL,
                recipient_id=sub.id,
                template=event,
                payload=msgspec.json.encode(payload).decode(),
                status="pending",
                available_at=now,
                created_at=now,
            )
        )
