"""The in-app inbox: newest first with keyset paging, unread count, mark as read."""

from __future__ import annotations

import datetime as dt
from typing import Any

import msgspec

from core import clock
from core.actors import Actor
from core.db import raw
from core.pagination import MAX_LIMIT, decode_cursor, encode_cursor
from core.settings import get_settings
from notify.tables import InboxMessage
from notify.templates import render, wechat_page


class InboxEntry(msgspec.Struct, frozen=True, kw_only=True):
    id: int
    template: str
    title: str
    body: str
    link: str
    page: str
    case_id: str | None
    params: dict[str, Any]
    created_at: dt.datetime
    read_at: dt.datetime | None


class InboxPage(msgspec.Struct, frozen=True):
    items: list[InboxEntry]
    next_cursor: str | None
    unread: int


def _entry(row: InboxMessage, actor: Actor) -> InboxEntry:
    params = msgspec.json.decode(row.params or "{}")
    settings = get_settings()
    text = render(row.template, params, actor.locale, audience=actor.kind, settings=settings)
    case_id = params.get("caseId")
    return InboxEntry(
        id=row.id,
        template=row.template,
        title=text.title,
        body=text.body,
        link=text.link,
        page=wechat_page(params, settings) if case_id and actor.is_citizen else "",
        case_id=str(case_id) if case_id else None,
        params=params,
        created_at=clock.as_utc(row.created_at),
        read_at=clock.as_utc(row.read_at) if row.read_at else None,
    )


def _mine(actor: Actor):
    return (InboxMessage.owner_kind == actor.kind) & (InboxMessage.owner_id == actor.id)


async def inbox(
    *, actor: Actor, cursor: str | None, limit: int, unread_only: bool = False
) -> InboxPage:
    limit = max(1, min(limit, MAX_LIMIT))
    query = InboxMessage.objects().where(_mine(actor))
    if unread_only:
        query = query.where(InboxMessage.read_at.is_null())
    after = decode_cursor(cursor, kind="inbox")
    if after is not None:
        query = query.where(
            (InboxMessage.created_at < after.at)
            | ((InboxMessage.created_at == after.at) & (InboxMessage.id < after.id))
        )
    rows = await (
        query.order_by(InboxMessage.created_at, ascending=False)
        .order_by(InboxMessage.id, ascending=False)
        .limit(limit + 1)
    )
    items = rows[:limit]
    next_cursor = (
        encode_cursor(clock.as_utc(items[-1].created_at), items[-1].id, kind="inbox")
        if len(rows) > limit
        else None
    )
    return InboxPage(
        items=[_entry(r, actor) for r in items],
        next_cursor=next_cursor,
        unread=await unread_count(actor=actor),
    )


async def unread_count(*, actor: Actor) -> int:
    return await InboxMessage.count().where(_mine(actor) & InboxMessage.read_at.is_null())


async def unread_counts(*, owners: list[tuple[str, int]]) -> dict[tuple[str, int], int]:
    """Unread messages per (owner_kind, owner_id), for the badge of a batch of pushes."""
    by_kind: dict[str, list[int]] = {}
    for kind, owner_id in owners:
        by_kind.setdefault(kind, []).append(owner_id)
    counts: dict[tuple[str, int], int] = {}
    for kind, ids in by_kind.items():
        rows = await raw(
            "SELECT owner_id, COUNT(*) AS n FROM inbox_message WHERE owner_kind = {} "  # noqa: S608
            f"AND read_at IS NULL AND owner_id IN ({', '.join('{}' for _ in ids)}) "
            "GROUP BY owner_id",
            kind,
            *ids,
        )
        counts.update({(kind, row["owner_id"]): row["n"] for row in rows})
    return counts


async def mark_read(*, actor: Actor, ids: list[int] | None = None, everything: bool = False) -> int:
    """Mark some (ids that are not the actor's are ignored) or all messages read; returns
    how many changed."""
    if not everything and not ids:
        return 0
    sql = (
        "UPDATE inbox_message SET read_at = {} WHERE owner_kind = {} AND owner_id = {} "
        "AND read_at IS NULL"
    )
    args: list[Any] = [clock.now(), actor.kind, actor.id]
    if not everything:
        sql += f" AND id IN ({', '.join('{}' for _ in ids)})"
        args += ids
    rows = await raw(sql + " RETURNING id", *args)
    return len(rows)
