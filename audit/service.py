"""The audit trail of admin writes.

Controllers record in the same transaction as the write they describe: a write that rolls
back leaves no entry, and an entry cannot be lost while its write commits.
"""

from __future__ import annotations

import datetime as dt
import json
from contextvars import ContextVar
from typing import Any

import msgspec

from audit.tables import AuditEntry
from core import clock
from core.actors import Actor
from core.logging import request_id_var
from core.pagination import decode_cursor, encode_cursor

# Never copied into the trail, whatever object they appear in.
SECRET_KEYS = frozenset(
    {"password", "key", "key_hash", "secret", "token", "api_key", "access_token", "refresh_token"}
)
# Snapshots past this size keep a marker instead (a bulk import's response, a photo list).
MAX_SNAPSHOT_CHARS = 200_000
# The actions recorded during the current request, so a catch-all recorder for admin
# writes can tell whether the handler already recorded itself (see watch()).
_recorded: ContextVar[list[str] | None] = ContextVar("audit_recorded", default=None)


def watch() -> list[str]:
    """Start collecting the actions recorded in this context (one request)."""
    recorded: list[str] = []
    _recorded.set(recorded)
    return recorded


def unwatch() -> None:
    _recorded.set(None)


def recorded_actions() -> list[str] | None:
    return _recorded.get()


class AuditFilter(msgspec.Struct, frozen=True, kw_only=True):
    actor_id: int | None = None
    action: str | None = None  # exact ("grid.update") or a prefix ending in "." ("grid.")
    target_kind: str | None = None
    target_id: str | None = None
    since: dt.datetime | None = None
    until: dt.datetime | None = None


class AuditRecord(msgspec.Struct, frozen=True, kw_only=True):
    id: int
    at: dt.datetime
    actor_kind: str
    actor_id: int
    actor_role: str
    action: str
    target_kind: str
    target_id: str
    before: Any
    after: Any
    changed: list[str]
    request_id: str


class AuditPage(msgspec.Struct, frozen=True, kw_only=True):
    items: list[AuditRecord]
    next_cursor: str | None


def _scrub(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: ("***" if k in SECRET_KEYS else _scrub(v)) for k, v in value.items()}
    if isinstance(value, list):
        return [_scrub(v) for v in value]
    return value


def snapshot(value: Any) -> str | None:
    """JSON text of a Struct, dict or list (dates as ISO strings), secrets masked."""
    if value is None:
        return None
    text = json.dumps(_scrub(msgspec.to_builtins(value)), ensure_ascii=False, sort_keys=True)
    if len(text) > MAX_SNAPSHOT_CHARS:
        return json.dumps({"truncated": True, "chars": len(text)})
    return text


async def record(
    *,
    actor: Actor,
    action: str,
    target_kind: str,
    target_id: str | int,
    before: Any = None,
    after: Any = None,
) -> None:
    recorded = _recorded.get()
    if recorded is not None:
        recorded.append(action)
    await AuditEntry.insert(
        AuditEntry(
            actor_kind=actor.kind,
            actor_id=actor.id,
            actor_role=actor.role,
            action=action,
            target_kind=target_kind,
            target_id=str(target_id),
            before=snapshot(before),
            after=snapshot(after),
            request_id=request_id_var.get()[:64],
            created_at=clock.now(),
        )
    )


def _changed(before: Any, after: Any) -> list[str]:
    if not isinstance(before, dict) or not isinstance(after, dict):
        return []
    return sorted(k for k in before.keys() | after.keys() if before.get(k) != after.get(k))


def _record_of(row: dict) -> AuditRecord:
    before = json.loads(row["before"]) if row["before"] else None
    after = json.loads(row["after"]) if row["after"] else None
    return AuditRecord(
        id=row["id"],
        at=clock.as_utc(row["created_at"]),
        actor_kind=row["actor_kind"],
        actor_id=row["actor_id"],
        actor_role=row["actor_role"],
        action=row["action"],
        target_kind=row["target_kind"],
        target_id=row["target_id"],
        before=before,
        after=after,
        changed=_changed(before, after),
        request_id=row["request_id"],
    )


async def list_entries(*, filters: AuditFilter, cursor: str | None, limit: int) -> AuditPage:
    """Newest first, keyset pages on (created_at, id)."""
    query = AuditEntry.select()
    if filters.actor_id is not None:
        query = query.where(AuditEntry.actor_id == filters.actor_id)
    if filters.action:
        if filters.action.endswith("."):
            query = query.where(AuditEntry.action.like(filters.action.replace("%", "") + "%"))
        else:
            query = query.where(AuditEntry.action == filters.action)
    if filters.target_kind:
        query = query.where(AuditEntry.target_kind == filters.target_kind)
    if filters.target_id:
        query = query.where(AuditEntry.target_id == filters.target_id)
    if filters.since:
        query = query.where(AuditEntry.created_at >= filters.since)
    if filters.until:
        query = query.where(AuditEntry.created_at < filters.until)
    after = decode_cursor(cursor, kind="audit")
    if after is not None:
        query = query.where(
            (AuditEntry.created_at < after.at)
            | ((AuditEntry.created_at == after.at) & (AuditEntry.id < after.id))
        )
    rows = (
        await query.order_by(AuditEntry.created_at, ascending=False)
        .order_by(AuditEntry.id, ascending=False)
        .limit(limit + 1)
    )
    items = [_record_of(row) for row in rows[:limit]]
    more = len(rows) > limit
    next_cursor = (
        encode_cursor(items[-1].at, items[-1].id, kind="audit") if more and items else None
    )
    return AuditPage(items=items, next_cursor=next_cursor)
