"""piccolo-admin at /admin for staff with role admin, signing in with the same accounts
(staff logins are Piccolo BaseUser rows; piccolo-admin lets in ``admin`` users only, and the
staff service keeps that flag equal to role == "admin").

Writes made here bypass our services, so hooks do what the services would: record the
audit trail (with the row before and the values written) and stamp places with a new
revision so every process's nearby index picks the change up. The hooks run just before
piccolo-admin's own statement, in their own transaction."""

from __future__ import annotations

from typing import Any

from litestar import asgi
from litestar.types import Receive, Scope, Send
from piccolo.apps.user.tables import BaseUser
from piccolo.querystring import QueryString
from piccolo.table import Table
from piccolo_admin.endpoints import TableConfig, create_admin
from piccolo_api.crud.hooks import Hook, HookType
from piccolo_api.session_auth.tables import SessionsBase
from starlette.exceptions import HTTPException

from accounts.tables import Staff
from audit.service import record
from core import clock
from core.actors import Actor
from core.db import transaction
from core.settings import get_settings
from org.categories import forget_cached_categories
from org.tables import Category, OrgUnit
from places import index as places_index
from places.tables import Place, PlaceKind
from qr import cache as signpost_cache
from qr import codes
from qr import service as signposts
from qr.errors import CounterfeitCode, MalformedCode
from qr.tables import Signpost
from rewards.tables import Reward


async def _actor(request: Any) -> Actor:
    user_id = getattr(getattr(request, "user", None), "user_id", None)
    row = (
        await Staff.select(Staff.id, Staff.role).where(Staff.user == user_id).first()
        if (user_id is not None)
        else None
    )
    if row is None:
        return Actor(kind="system", id=0, role="piccolo-admin")
    return Actor(kind="staff", id=row["id"], role=row["role"])


async def _signed_code(text: str) -> str:
    """A signpost's code as typed in piccolo-admin: empty mints a signed one; anything else
    must already be one (re-entering a printed sticker), or the write is refused. A code
    without its HMAC would show every passer-by the counterfeit warning."""
    if not text.strip():
        return (await signposts.unused_codes(1))[0]
    try:
        return codes.verify(text)
    except (MalformedCode, CounterfeitCode):
        raise HTTPException(
            status_code=400,
            detail="Not a signed signpost code: leave the code empty and one is made",
        ) from None


def _written(row: Table) -> dict[str, Any]:
    """The values a new row is inserted with; a default the database fills in (now()) is
    still SQL here, and is left to the row itself."""
    return {k: v for k, v in row.to_dict().items() if not isinstance(v, QueryString)}


def _column_name(key: Any) -> str:
    # piccolo-api passes patched values keyed by column objects, our hooks add names.
    return key if isinstance(key, str) else key._meta.name


def _hooks(
    table: type[Table],
    *,
    places: bool = False,
    categories: bool = False,
    signposts: bool = False,
) -> list[Hook]:
    name = table._meta.tablename

    async def _row(row_id: Any) -> dict | None:
        return await table.select().where(table._meta.primary_key == row_id).first()

    async def _after_change() -> None:
        if categories:
            forget_cached_categories()
        if signposts:
            # Before piccolo-admin's write: the stamp its trigger moves reaches the scan
            # cache (qr.cache) within CITYOPS_CACHE_CHECK_SECONDS, here as in other processes.
            signpost_cache.forget()

    async def pre_save(row: Table, request: Any = None) -> Table:
        if signposts:
            row.code = await _signed_code(row.code)
        if places:
            async with transaction():
                row.revision = await places_index.bump()
        async with transaction():
            await record(
                actor=await _actor(request),
                action=f"admin_ui.{name}.create",
                target_kind=name,
                target_id="new",
                after=_written(row),
            )
        return row

    async def pre_patch(row_id: Any, values: dict, request: Any = None) -> dict:
        if signposts:
            values = {
                key: await _signed_code(value) if _column_name(key) == "code" else value
                for key, value in values.items()
            }
        before = await _row(row_id)
        if places:
            async with transaction():
                values["revision"] = await places_index.bump()
            values["updated_at"] = clock.now()
        async with transaction():
            await record(
                actor=await _actor(request),
                action=f"admin_ui.{name}.update",
                target_kind=name,
                target_id=row_id,
                before=before,
                after={**(before or {}), **values},
            )
        await _after_change()
        return values

    async def pre_delete(row_id: Any, request: Any = None) -> None:
        async with transaction():
            await record(
                actor=await _actor(request),
                action=f"admin_ui.{name}.delete",
                target_kind=name,
                target_id=row_id,
                before=await _row(row_id),
            )
        await _after_change()

    return [
        Hook(HookType.pre_save, pre_save),
        Hook(HookType.pre_patch, pre_patch),
        Hook(HookType.pre_delete, pre_delete),
    ]


def build_admin_app() -> Any:
    def config(table: type[Table], group: str, **kwargs: Any) -> TableConfig:
        return TableConfig(table, menu_group=group, hooks=_hooks(table, **kwargs))

    tables = [
        # Places are never deleted (the nearby index needs the row): set ``deleted``.
        TableConfig(
            Place,
            menu_group="Places 服务点",
            hooks=_hooks(Place, places=True),
            exclude_visible_columns=[Place.revision],
        ),
        config(PlaceKind, "Places 服务点"),
        config(Signpost, "Signposts 路牌", signposts=True),
        config(Category, "Cases 案件", categories=True),
        config(Reward, "Rewards 积分兑换"),
        config(OrgUnit, "Organisation 组织"),
        config(Staff, "Organisation 组织"),
    ]
    settings = get_settings()
    return create_admin(
        tables=tables,
        auth_table=BaseUser,
        session_table=SessionsBase,
        site_name="城市运行管理 cityops",
        production=settings.env == "production",
        sidebar_links={"Dashboard 一屏通览": "/admin/dashboard"},
        # Only the tables listed: piccolo_user (password hashes) stays out of reach.
        auto_include_related=False,
    )


_app: Any = None


@asgi("/admin", is_mount=True, copy_scope=True, include_in_schema=False)
async def admin_ui(scope: Scope, receive: Receive, send: Send) -> None:
    global _app
    if _app is None:  # built on first use: importing piccolo-admin's app is slow
        _app = build_admin_app()
    await _app(scope, receive, send)
