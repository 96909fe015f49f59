"""The audit trail of admin writes, and the marker every config write carries."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

import msgspec
from litestar import Controller, get
from litestar.params import FromQuery, QueryParameter

from api.params import PageLimit, id_query
from api.types import UtcDateTime
from audit import service as audit

# The admin router lets operators in; configuration writes need an admin.
ADMIN_ONLY: dict[str, Any] = {"roles": ("admin",)}


class AuditOut(msgspec.Struct, frozen=True, rename="camel"):
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


class AuditPageOut(msgspec.Struct, frozen=True, rename="camel"):
    items: list[AuditOut]
    next_cursor: str | None


class AuditController(Controller):
    path = "/audit"
    tags = ["admin: audit"]

    @get("/", summary="Admin writes, newest first, keyset pages")
    async def list_entries(
        self,
        actor_id: Annotated[int | None, id_query("actorId")] = None,
        action: FromQuery[Annotated[str, msgspec.Meta(max_length=48)] | None] = None,
        target_kind: Annotated[str | None, QueryParameter(name="targetKind", max_length=32)] = None,
        target_id: Annotated[str | None, QueryParameter(name="targetId", max_length=64)] = None,
        since: FromQuery[UtcDateTime | None] = None,
        until: FromQuery[UtcDateTime | None] = None,
        cursor: FromQuery[str | None] = None,
        limit: PageLimit = 50,
    ) -> AuditPageOut:
        page = await audit.list_entries(
            filters=audit.AuditFilter(
                actor_id=actor_id,
                action=action,
                target_kind=target_kind,
                target_id=target_id,
                since=since,
                until=until,
            ),
            cursor=cursor,
            limit=limit,
        )
        return AuditPageOut(
            items=[AuditOut(**msgspec.structs.asdict(item)) for item in page.items],
            next_cursor=page.next_cursor,
        )
