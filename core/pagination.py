"""Keyset pagination: an opaque cursor holding the sort key of the last row seen, so pages
stay stable while new rows arrive (offsets would skip or repeat them).

A cursor is ``payload.signature``: the payload is the sort key (time, row id) as JSON, the
signature an HMAC-SHA256 over the list's name and the payload, under a key derived from the
JWT secret. A client can only hand back a cursor we gave it for that list: a tampered,
truncated, forged or foreign one (another list's, another installation's) is a 400
``request.invalid_cursor``. The payload is still checked after the signature (the time within
the platform's years, the id a row id), so no cursor can carry a value the database cannot
hold: unsigned crafted cursors (``["2026-01-01T00:00:00Z", 2**70]``) were 500s on 12 lists."""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import hashlib
import hmac
from typing import Annotated

import msgspec

from core import clock
from core.errors import DomainError
from core.i18n import Msg
from core.keys import derived_key

MAX_LIMIT = 100
# Row ids are 32-bit (SERIAL) on PostgreSQL.
ROW_ID_MAX = 2**31 - 1
# A cursor we write is about 70 characters; anything much longer is not one of ours.
MAX_CURSOR_LENGTH = 200
_SIGNATURE_BYTES = 16


class CursorInvalid(DomainError):
    code = "request.invalid_cursor"
    status = 400
    title = Msg(zh="分页游标无效", en="Invalid cursor")
    message = Msg(zh="请使用上一页返回的 nextCursor", en="Pass the nextCursor of the previous page")


class Cursor(msgspec.Struct, frozen=True, array_like=True, forbid_unknown_fields=True):
    at: Annotated[dt.datetime, msgspec.Meta(tz=True)]
    id: Annotated[int, msgspec.Meta(ge=0, le=ROW_ID_MAX)]


def _signature(kind: str, payload: bytes) -> bytes:
    key = derived_key("cityops pagination cursor v1")
    return hmac.digest(key, kind.encode() + b"\x00" + payload, hashlib.sha256)[:_SIGNATURE_BYTES]


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def encode_cursor(at: dt.datetime, row_id: int, *, kind: str) -> str:
    """The cursor after the row (``at``, ``row_id``) of the list named ``kind``."""
    payload = msgspec.json.encode(Cursor(at=clock.as_utc(at), id=row_id))
    return f"{_b64(payload)}.{_b64(_signature(kind, payload))}"


def decode_cursor(text: str | None, *, kind: str) -> Cursor | None:
    if not text:
        return None
    try:
        if len(text) > MAX_CURSOR_LENGTH or not text.isascii():
            raise ValueError
        payload_text, _, signature_text = text.partition(".")
        payload = _unb64(payload_text)
        if not hmac.compare_digest(_unb64(signature_text), _signature(kind, payload)):
            raise ValueError
        cursor = msgspec.json.decode(payload, type=Cursor)
    except (binascii.Error, ValueError, msgspec.DecodeError, msgspec.ValidationError):
        raise CursorInvalid() from None
    if not clock.EARLIEST <= cursor.at < clock.LATEST:
        raise CursorInvalid()
    return cursor
