"""/workbench/stream: the queue's live updates as server-sent events.

One poller per process reads new ``case_event`` rows once a second (and the cases whose
light changed since the last tick: lights move with time, not with events) and hands the
changed case ids to every open stream. A stream keeps no database connection between ticks:
when told of changes it runs the queue's own WHERE (cases.queries.filtered, with the actor's
scope) over those ids, so it never sends a row the list would not show, and renders them as
the queue's rows with ``hx-swap-oob`` inside a ``<template>`` (a bare ``<tr>`` after other
content is dropped by the HTML parser).

The event id is the last ``case_event.id`` seen; a browser reconnecting sends it back as
Last-Event-ID and gets the cases changed after it. PostgreSQL ids are not commit-ordered, so
the poller re-reads the last seconds and drops the ids it has already passed on."""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import logging
import time
from collections.abc import AsyncIterator

from litestar import Controller, Request, get
from litestar.di import NamedDependency
from litestar.response import ServerSentEvent, ServerSentEventMessage

from accounts.standing import check_standing
from api.case_views import case_staff_outs
from api.web.workbench.queue import QueueQuery, parse_query
from api.web.workbench.templating import engine
from api.web.workbench.texts import text
from cases import queries, scope
from cases.tables import Case, CaseEvent
from core import clock
from core.actors import Actor
from core.errors import DomainError
from org.categories import category_names

log = logging.getLogger(__name__)

TICK_SECONDS = 1.0
REREAD = dt.timedelta(seconds=10)  # commits arrive out of id order within this
PING_SECONDS = 15.0
STREAM_SECONDS = 600.0  # then the browser reconnects with Last-Event-ID
REPLAY_LIMIT = 500  # more missed than that: the whole queue again


class Change:
    __slots__ = ("case_ids", "last_id")

    def __init__(self, case_ids: set[int], last_id: int) -> None:
        self.case_ids, self.last_id = case_ids, last_id


class Poller:
    """The one reader of new case events in this process; streams subscribe to it."""

    def __init__(self) -> None:
        self.subscribers: set[asyncio.Queue[Change]] = set()
        self.task: asyncio.Task | None = None
        self.last_id = 0
        self.seen: dict[int, dt.datetime] = {}
        self.last_tick: dt.datetime | None = None

    def subscribe(self) -> asyncio.Queue[Change]:
        queue: asyncio.Queue[Change] = asyncio.Queue(maxsize=100)
        self.subscribers.add(queue)
        if self.task is None or self.task.done():
            self.task = asyncio.get_running_loop().create_task(self._run())
        return queue

    def unsubscribe(self, queue: asyncio.Queue[Change]) -> None:
        self.subscribers.discard(queue)

    async def _run(self) -> None:
        # Stops on its own when nobody listens (the next stream starts it again).
        while self.subscribers:
            try:
                change = await self.poll()
            except Exception:  # the database is away: streams wait, and ping meanwhile
                log.warning("workbench stream: poll failed", exc_info=True)
                change = None
            if change is not None and change.case_ids:
                for queue in list(self.subscribers):
                    with contextlib.suppress(asyncio.QueueFull):  # a stuck stream misses one
                        queue.put_nowait(change)
            await asyncio.sleep(TICK_SECONDS)

    async def poll(self) -> Change:
        now = clock.now()
        since = now - REREAD
        rows = await CaseEvent.select(CaseEvent.id, CaseEvent.case, CaseEvent.created_at).where(
            CaseEvent.created_at >= since
        )
        first = self.last_tick is None
        case_ids: set[int] = set()
        for row in rows:
            if row["id"] in self.seen:
                continue
            self.seen[row["id"]] = now
            self.last_id = max(self.last_id, row["id"])
            if not first:  # what happened before the first tick, the pages already show
                case_ids.add(row["case"])
        if self.last_tick is not None:
            case_ids |= await lights_changed(self.last_tick, now)
        self.last_tick = now
        self.seen = {i: at for i, at in self.seen.items() if at >= since}
        return Change(case_ids, self.last_id)


async def lights_changed(after: dt.datetime, until: dt.datetime) -> set[int]:
    """Dispatched cases whose light turned yellow or red in (after, until]."""
    rows = await Case.select(Case.id).where(
        (Case.state == "dispatched")
        & (
            ((Case.sla_yellow_at > after) & (Case.sla_yellow_at <= until))
            | ((Case.deadline_at > after) & (Case.deadline_at <= until))
        )
    )
    return {row["id"] for row in rows}


POLLER = Poller()


async def changed_after(last_id: int) -> set[int] | None:
    """Cases with events after ``last_id``, or None if too many to replay."""
    rows = (
        await CaseEvent.select(CaseEvent.case).where(CaseEvent.id > last_id).limit(REPLAY_LIMIT + 1)
    )
    if len(rows) > REPLAY_LIMIT:
        return None
    return {row["case"] for row in rows}


async def rows_message(actor: Actor, query: QueueQuery, case_ids: set[int]) -> str | None:
    """The live-region sentence and the rows of those cases the actor's queue shows."""
    if not case_ids:
        return None
    within = await scope.scope_of(actor)
    base = Case.objects().where(Case.id.is_in(sorted(case_ids)))
    cases = await queries.filtered(query.case_filter(), within, base)
    if not cases:
        return None
    row = engine().get_template("workbench/partials/_queue_row.html")
    outs = await case_staff_outs(cases)
    names = await category_names([out.category_code for out in outs], actor.locale)
    rows = "".join(
        row.render(lang=actor.locale, row=out, oob=True, categories=names) for out in outs
    )
    sentence = text(actor.locale, "queue.live", count=len(cases))
    return f"<span>{sentence}</span><template>{rows}</template>"


def _last_event_id(request: Request) -> int | None:
    value = request.headers.get("last-event-id", "")
    return int(value) if value.isdigit() and len(value) < 19 else None


class StreamPages(Controller):
    path = "/stream"

    @get("/", name="wb.stream", opt={"supervisors": True, "skip_compression": True})
    async def stream(self, request: Request, actor: NamedDependency[Actor]) -> ServerSentEvent:
        query = parse_query(request)
        last_id = _last_event_id(request)
        return ServerSentEvent(
            _events(actor, query, last_id),
            headers={"Cache-Control": "no-store", "X-Accel-Buffering": "no"},
        )


async def _events(
    actor: Actor, query: QueueQuery, last_id: int | None
) -> AsyncIterator[ServerSentEventMessage]:
    queue = POLLER.subscribe()
    try:
        yield ServerSentEventMessage(comment="hello", retry=3000)
        if last_id is not None:  # a reconnect: what it missed
            missed = await changed_after(last_id)
            if missed is None:
                yield ServerSentEventMessage(event="queue", data="reload", id=POLLER.last_id)
            elif html := await rows_message(actor, query, missed):
                yield ServerSentEventMessage(event="case", data=html, id=POLLER.last_id or None)
        started = last_ping = time.monotonic()
        while time.monotonic() - started < STREAM_SECONDS:
            try:
                change = await asyncio.wait_for(queue.get(), timeout=PING_SECONDS)
            except TimeoutError:
                change = None
            try:
                await check_standing(actor)  # a disabled account's stream ends
            except DomainError:
                return
            if change is not None:
                html = await rows_message(actor, query, change.case_ids)
                if html:
                    yield ServerSentEventMessage(event="case", data=html, id=change.last_id)
            if time.monotonic() - last_ping >= PING_SECONDS:
                last_ping = time.monotonic()
                yield ServerSentEventMessage(comment="ping")
    finally:
        POLLER.unsubscribe(queue)
