"""Keyset pagination: an opaque cursor holding the sort key of the last row seen, so pages
stay stable while new rows arrive (offsets would skip or repeat them)."""

from __future__ import annotations

import base64
import binascii
import datetime as dt

import msgspec

from core.errors import DomainError
from core.i18n import Msg

MAX_LIMIT = 100


class CursorInvalid(DomainError):
    code = "request.invalid_cursor"
    status = 400
    title = Msg(zh="分页游标无效", en="Invalid cursor")
    message = Msg(zh="请使用上一页返回的 nextCursor", en="Pass the nextCursor of the previous page")


class Cursor(msgspec.Struct, frozen=True, array_like=True):
    at: dt.datetime
    id: int


def encode_cursor(at: dt.datetime, row_id: int) -> str:
    return (
        base64.urlsafe_b64encode(msgspec.json.encode(Cursor(at=at, id=row_id))).decode().rstrip("=")
    )


def decode_cursor(text: str | None) -> Cursor | None:
    if not text:
        return None
    try:
        raw = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
        return msgspec.json.decode(raw, type=Cursor)
    except (binascii.Error, ValueError, msgspec.DecodeError, msgspec.ValidationError):
        raise CursorInvalid() from None
