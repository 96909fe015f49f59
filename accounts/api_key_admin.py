"""Administration of machine clients' API keys. The key itself is returned once, by
create and rotate; afterwards only its first characters (the hint) are shown."""

from __future__ import annotations

import datetime as dt

import msgspec

from accounts.api_keys import IssuedKey, create_api_client, forget_api_keys, rotate_api_key
from accounts.errors import ApiClientNameTaken, UnknownApiClient
from accounts.tables import ApiClient
from core import clock
from core.db import is_unique_violation


class ApiClientInfo(msgspec.Struct, frozen=True, kw_only=True):
    id: int
    name: str
    kind: str
    key_hint: str
    trusted: bool
    active: bool
    created_at: dt.datetime
    last_used_at: dt.datetime | None


def _info(row: dict) -> ApiClientInfo:
    return ApiClientInfo(
        id=row["id"],
        name=row["name"],
        kind=row["kind"],
        key_hint=row["key_hint"],
        trusted=bool(row["trusted"]),
        active=bool(row["active"]),
        created_at=clock.as_utc(row["created_at"]),
        last_used_at=clock.as_utc(row["last_used_at"]) if row["last_used_at"] else None,
    )


async def api_client_info(*, client_id: int) -> ApiClientInfo:
    row = await ApiClient.select().where(ApiClient.id == client_id).first()
    if row is None:
        raise UnknownApiClient(client_id=client_id)
    return _info(row)


async def list_api_clients() -> list[ApiClientInfo]:
    return [_info(row) for row in await ApiClient.select().order_by(ApiClient.id)]


async def issue_api_client(*, name: str, kind: str, trusted: bool) -> IssuedKey:
    if await ApiClient.exists().where(ApiClient.name == name):
        raise ApiClientNameTaken(name=name)
    try:
        return await create_api_client(name=name, kind=kind, trusted=trusted)
    except Exception as exc:
        if is_unique_violation(exc):
            raise ApiClientNameTaken(name=name) from None
        raise


async def rotate_key(*, client_id: int) -> IssuedKey:
    """The old key stops working at once (machines are updated before the rotation)."""
    info = await api_client_info(client_id=client_id)
    if not info.active:
        raise UnknownApiClient(client_id=client_id)
    return await rotate_api_key(client_id=client_id)


async def set_api_client(
    *, client_id: int, active: bool | None = None, trusted: bool | None = None
) -> ApiClientInfo:
    await api_client_info(client_id=client_id)
    changes: dict = {}
    if active is not None:
        changes[ApiClient.active] = active
    if trusted is not None:
        changes[ApiClient.trusted] = trusted
    if changes:
        await ApiClient.update(changes).where(ApiClient.id == client_id)
        forget_api_keys()
    return await api_client_info(client_id=client_id)
