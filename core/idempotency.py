"""Idempotency-Key for mobile POSTs.

The claim is one upsert inside the request's transaction, and the response is stored in that
same transaction: a retry either replays the committed response or, if the first attempt
failed and rolled back, runs again. Two concurrent requests with one key cannot both act: the
second INSERT waits on the unique index until the first commits.

A refusal that commits what it counted (a rate limit's hit, a failed attempt) gives the key
back before the commit: the phone's retry must run again later, not replay the refusal
forever. A claim that was ever stored without a response is free to take over, so no stored
key can break a retry.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Awaitable, Callable

import msgspec

from core import clock
from core.db import raw, transaction
from core.errors import DomainError
from core.i18n import Msg
from core.ids import sha256_hex
from core.tables import IdempotencyRecord

MAX_KEY_LENGTH = 255
RETENTION = dt.timedelta(hours=24)


class IdempotencyKeyInvalid(DomainError):
    code = "idempotency.key_invalid"
    status = 400
    title = Msg(zh="Idempotency-Key 无效", en="Invalid Idempotency-Key")
    message = Msg(
        zh="Idempotency-Key 必须是 1 到 255 个可见 ASCII 字符",
        en="Idempotency-Key must be 1 to 255 visible ASCII characters",
    )


class IdempotencyKeyReused(DomainError):
    code = "idempotency.key_reused"
    status = 422
    title = Msg(zh="Idempotency-Key 已用于另一请求", en="Idempotency-Key reused")
    message = Msg(
        zh="该 Idempotency-Key 已用于内容不同的请求，请为新请求生成新的键",
        en="This Idempotency-Key was used for a request with a different body; "
        "use a new key for a new request",
    )


class StoredResponse(msgspec.Struct, frozen=True):
    status_code: int
    body: bytes
    replayed: bool = False


def validate_key(key: str) -> str:
    if not 1 <= len(key) <= MAX_KEY_LENGTH or not all(33 <= ord(ch) <= 126 for ch in key):
        raise IdempotencyKeyInvalid()
    return key


async def _claim(slot: str, scope: str, route: str, request_hash: str) -> bool:
    rows = await raw(
        "INSERT INTO idempotency_record (slot, scope, route, request_hash, created_at) "
        "VALUES ({}, {}, {}, {}, {}) ON CONFLICT (slot) DO UPDATE "
        "SET request_hash = excluded.request_hash, created_at = excluded.created_at "
        "WHERE idempotency_record.status_code IS NULL RETURNING id",
        slot,
        scope,
        route,
        request_hash,
        clock.now(),
    )
    return bool(rows)


async def run_once(
    *,
    key: str | None,
    scope: str,
    route: str,
    body: bytes,
    action: Callable[[], Awaitable[StoredResponse]],
) -> StoredResponse:
    """Run ``action`` in one transaction, at most once per (scope, route, key)."""
    if key is None:
        async with transaction():
            return await action()
    validate_key(key)
    slot = sha256_hex(f"{scope}\x1f{route}\x1f{key}")
    request_hash = sha256_hex(body)
    async with transaction():
        if await _claim(slot, scope, route, request_hash):
            try:
                response = await action()
            except DomainError as exc:
                if exc.keeps_changes:
                    await IdempotencyRecord.delete().where(IdempotencyRecord.slot == slot)
                raise
            await IdempotencyRecord.update(
                {
                    IdempotencyRecord.status_code: response.status_code,
                    IdempotencyRecord.response_body: response.body.decode(),
                }
            ).where(IdempotencyRecord.slot == slot)
            return response
        stored = await IdempotencyRecord.objects().where(IdempotencyRecord.slot == slot).first()
    if stored is None or stored.status_code is None or stored.request_hash != request_hash:
        raise IdempotencyKeyReused()
    return StoredResponse(
        status_code=stored.status_code, body=stored.response_body.encode(), replayed=True
    )


async def purge_expired() -> None:
    await IdempotencyRecord.delete().where(IdempotencyRecord.created_at < clock.now() - RETENTION)
