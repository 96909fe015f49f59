"""API keys of machine clients. Keys carry 256 random bits, so a plain SHA-256 suffices to
store them (no slow hash needed against guessing)."""

from __future__ import annotations

import secrets

import msgspec

from accounts.tables import ApiClient
from core import clock
from core.ids import sha256_hex
from core.ttlcache import TtlCache


class IssuedKey(msgspec.Struct, frozen=True, kw_only=True):
    client_id: int
    name: str
    key: str  # shown once


class MachineClient(msgspec.Struct, frozen=True, kw_only=True):
    id: int
    name: str
    kind: str
    trusted: bool


def _new_key() -> str:
    return f"co_{secrets.token_urlsafe(32)}"


async def create_api_client(*, name: str, kind: str, trusted: bool = False) -> IssuedKey:
    key = _new_key()
    client = ApiClient(
        name=name,
        kind=kind,
        key_hash=sha256_hex(key),
        key_hint=key[:7],
        trusted=trusted,
        created_at=clock.now(),
    )
    await client.save()
    return IssuedKey(client_id=client.id, name=name, key=key)


async def rotate_api_key(*, client_id: int) -> IssuedKey:
    key = _new_key()
    rows = (
        await ApiClient.update({ApiClient.key_hash: sha256_hex(key), ApiClient.key_hint: key[:7]})
        .where(ApiClient.id == client_id)
        .returning(ApiClient.name)
    )
    if not rows:
        raise LookupError(client_id)
    forget_api_keys()
    return IssuedKey(client_id=client_id, name=rows[0]["name"], key=key)


# Cameras and sensors send a report each, all day: the client behind a key is cached as a
# staff token's account is. A revoked or rotated key stops at once in the process that did
# it and within CITYOPS_CACHE_CHECK_SECONDS elsewhere.
_clients: TtlCache[MachineClient | None] = TtlCache()


def forget_api_keys() -> None:
    _clients.clear()


async def authenticate_api_key(key: str) -> MachineClient | None:
    digest = sha256_hex(key)
    return await _clients.get(digest, lambda: _client_of(digest))


async def _client_of(digest: str) -> MachineClient | None:
    row = (
        await ApiClient.objects()
        .where((ApiClient.key_hash == digest) & ApiClient.active.eq(True))
        .first()
    )
    if row is None:
        return None
    return MachineClient(id=row.id, name=row.name, kind=row.kind, trusted=row.trusted)
