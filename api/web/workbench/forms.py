"""A form post read as the API's JSON body: field names are the API's, the API's Struct
validates them, and its messages are placed beside the fields they name."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any, TypeVar

import msgspec
from litestar import Request

from api.types import TYPE_DECODERS
from core import clock
from core.errors import DomainError

T = TypeVar("T")
_AT_FIELD = re.compile(r"at `\$\.(\w+)")
LIST_FIELDS = frozenset({"unitIds", "mediaIds"})


def _dec_hook(kind: type, value: Any) -> Any:
    for matches, decode in TYPE_DECODERS:
        if matches(kind):
            return decode(kind, value)
    raise NotImplementedError(kind)


def _local_moment(value: str) -> str:
    """``<input type="datetime-local">`` has no zone: the people at the screen mean the city's."""
    try:
        moment = dt.datetime.fromisoformat(value)
    except ValueError:
        return value  # the Struct says what is wrong with it
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=clock.city_zone())
    return moment.isoformat()


async def form_fields(request: Request, *, moments: tuple[str, ...] = ()) -> dict[str, Any]:
    """The fields of a form post; a JSON object is taken as it is (the API's body, for
    scripts and the authorization matrix), a form's text fields converted like the API's."""
    if request.content_type[0] == "application/json":
        body = await request.json()
        return body if isinstance(body, dict) else {}
    form = await request.form()
    out: dict[str, Any] = {}
    for key, value in form.items():
        if key == "_csrf_token" or not isinstance(value, str) or value == "":  # "" is no int
            continue
        if key in LIST_FIELDS:
            out[key] = [part.strip() for part in value.split(",") if part.strip()]
        elif key in moments:
            out[key] = _local_moment(value)
        else:
            out[key] = value
    return out


class FormInvalid(Exception):
    """The form's fields did not fit the API's Struct: ``field`` (the API's name) and why."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field, self.message = field, message


def convert(fields: dict[str, Any], kind: type[T]) -> T:
    try:
        return msgspec.convert(fields, kind, strict=False, dec_hook=_dec_hook)
    except msgspec.ValidationError as exc:
        message = str(exc)
        match = _AT_FIELD.search(message)
        raise FormInvalid(match.group(1) if match else "", message) from None


def field_errors(exc: Exception, locale: str) -> tuple[dict[str, str], str, int]:
    """(field -> message, a message for the whole form, status) of a refused action."""
    if isinstance(exc, FormInvalid):
        return ({exc.field: exc.message}, "", 422) if exc.field else ({}, exc.message, 422)
    assert isinstance(exc, DomainError)
    field = exc.params.get("field")
    if isinstance(field, str):
        return {field: exc.detail(locale)}, "", exc.status
    return {}, exc.detail(locale), exc.status
