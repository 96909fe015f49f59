"""Intake API keys of machine clients: create, rotate, revoke. The secret is in the
response to create and rotate only; it is stored hashed and never shown again."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal

import msgspec
from litestar import Controller, get, patch, post
from litestar.di import NamedDependency
from litestar.params import JSONBody

from accounts import api_key_admin
from api.admin.audit import ADMIN_ONLY
from api.params import IdParam
from audit.service import record
from core.actors import Actor
from core.db import transaction


class ClientIn(msgspec.Struct, frozen=True, rename="camel", forbid_unknown_fields=True):
    name: Annotated[str, msgspec.Meta(pattern=r"^[A-Za-z0-9_.-]{2,64}$")]
    kind: Literal["camera", "sensor", "parking", "system"]
    trusted: bool = False


class ClientPatch(msgspec.Struct, frozen=True, rename="camel", forbid_unknown_fields=True):
    trusted: bool | None = None
    active: bool | None = None


class ClientOut(msgspec.Struct, frozen=True, rename="camel"):
    id: int
    name: str
    kind: str
    key_hint: str
    trusted: bool
    active: bool
    created_at: dt.datetime
    last_used_at: dt.datetime | None


class IssuedOut(msgspec.Struct, frozen=True, rename="camel"):
    client: ClientOut
    api_key: str  # shown this once


def _out(info: api_key_admin.ApiClientInfo) -> ClientOut:
    return ClientOut(**msgspec.structs.asdict(info))


class ApiClientController(Controller):
    path = "/api-clients"
    tags = ["admin: configuration"]

    @get("/", summary="Machine clients (keys never shown)")
    async def list_clients(self) -> list[ClientOut]:
        return [_out(c) for c in await api_key_admin.list_api_clients()]

    @post("/", summary="Create a client; the response holds its key, once", opt=ADMIN_ONLY)
    async def create(self, actor: NamedDependency[Actor], data: JSONBody[ClientIn]) -> IssuedOut:
        async with transaction():
            issued = await api_key_admin.issue_api_client(
                name=data.name, kind=data.kind, trusted=data.trusted
            )
            info = await api_key_admin.api_client_info(client_id=issued.client_id)
            await record(
                actor=actor,
                action="api_client.create",
                target_kind="api_client",
                target_id=info.id,
                after=info,
            )
        return IssuedOut(client=_out(info), api_key=issued.key)

    @post(
        "/{client_id:int}/rotate",
        status_code=200,
        opt=ADMIN_ONLY,
        summary="A new key; the old one stops working at once",
    )
    async def rotate(self, actor: NamedDependency[Actor], client_id: IdParam) -> IssuedOut:
        async with transaction():
            before = await api_key_admin.api_client_info(client_id=client_id)
            issued = await api_key_admin.rotate_key(client_id=client_id)
            info = await api_key_admin.api_client_info(client_id=client_id)
            await record(
                actor=actor,
                action="api_client.rotate",
                target_kind="api_client",
                target_id=client_id,
                before=before,
                after=info,
            )
        return IssuedOut(client=_out(info), api_key=issued.key)

    @post(
        "/{client_id:int}/revoke",
        status_code=200,
        opt=ADMIN_ONLY,
        summary="Revoke: the key is refused from now on",
    )
    async def revoke(self, actor: NamedDependency[Actor], client_id: IdParam) -> ClientOut:
        return await self._set(actor, client_id, ClientPatch(active=False), "api_client.revoke")

    @patch("/{client_id:int}", summary="Trust or reactivate a client", opt=ADMIN_ONLY)
    async def update(
        self, actor: NamedDependency[Actor], client_id: IdParam, data: JSONBody[ClientPatch]
    ) -> ClientOut:
        return await self._set(actor, client_id, data, "api_client.update")

    @staticmethod
    async def _set(actor: Actor, client_id: int, data: ClientPatch, action: str) -> ClientOut:
        async with transaction():
            before = await api_key_admin.api_client_info(client_id=client_id)
            info = await api_key_admin.set_api_client(
                client_id=client_id, active=data.active, trusted=data.trusted
            )
            await record(
                actor=actor,
                action=action,
                target_kind="api_client",
                target_id=client_id,
                before=before,
                after=info,
            )
        return _out(info)
