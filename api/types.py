"""The API's date-time and date types: every moment or day a client sends goes through these.

A date-time must carry a time zone (``Z`` or an offset such as ``+08:00``), must fall within
``core.clock.EARLIEST`` .. ``LATEST`` and reaches the handler as an aware datetime in UTC. A
date must fall within the same years. Anything else is a 400 ``request.invalid`` naming the
field: before, ``0001-01-01T00:00:00+14:00`` parsed and then overflowed when it was moved to
UTC (a 500 on 22 of 24 inputs), and a naive time meant whatever the database assumed.

msgspec has no range constraint for datetimes, so the two types are classes of their own that
msgspec hands to Litestar's type decoders (``TYPE_DECODERS``, registered on the app). What
the decoder returns is a plain ``datetime``/``date``: the metaclass tells msgspec it is a
valid instance, so handlers, services and both database drivers see ordinary values.
``ApiTypesSchema`` documents them as ``format: date-time`` and ``format: date``."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any

import msgspec
from litestar.openapi.spec import OpenAPIFormat, OpenAPIType, Schema
from litestar.plugins import OpenAPISchemaPlugin

from core.clock import EARLIEST, LATEST

FIRST_DAY = EARLIEST.date()
LAST_DAY = LATEST.date() - dt.timedelta(days=1)


class _Decoded(type):
    """``isinstance(value, T)`` is true for exactly what T's decoder returns (msgspec checks
    a decoder's result that way)."""

    plain: type

    def __instancecheck__(cls, value: Any) -> bool:
        return type(value) is cls.plain


if TYPE_CHECKING:
    UtcDateTime = dt.datetime
    CalendarDate = dt.date
else:

    class UtcDateTime(metaclass=_Decoded):
        """A moment with a time zone, within the platform's years; decoded to UTC."""

        plain = dt.datetime

    class CalendarDate(metaclass=_Decoded):
        """A day within the platform's years."""

        plain = dt.date


def _parse(value: Any, kind: type) -> Any:
    if type(value) is kind:  # a path parameter Litestar has already parsed
        return value
    if not isinstance(value, str):
        raise TypeError(f"Expected an ISO 8601 {kind.__name__} string")
    try:
        return msgspec.convert(value, kind)
    except msgspec.ValidationError:
        raise ValueError(f"Invalid ISO 8601 {kind.__name__}: {value[:40]!r}") from None


def parse_datetime(value: Any) -> dt.datetime:
    moment: dt.datetime = _parse(value, dt.datetime)
    if moment.tzinfo is None:
        raise ValueError("A time zone is required, e.g. 2026-05-01T08:30:00+08:00 or ...Z")
    # Compared before conversion: moving year 1 or 9999 to UTC is what overflowed.
    if not EARLIEST <= moment < LATEST:
        raise ValueError(f"Must be from {EARLIEST:%Y-%m-%d} to before {LATEST:%Y-%m-%d} (UTC)")
    return moment.astimezone(dt.UTC)


def parse_date(value: Any) -> dt.date:
    day: dt.date = _parse(value, dt.date)
    if not FIRST_DAY <= day <= LAST_DAY:
        raise ValueError(f"Must be from {FIRST_DAY} to {LAST_DAY}")
    return day


TYPE_DECODERS = [
    (lambda kind: kind is UtcDateTime, lambda _, value: parse_datetime(value)),
    (lambda kind: kind is CalendarDate, lambda _, value: parse_date(value)),
]


class ApiTypesSchema(OpenAPISchemaPlugin):
    """The two types in the OpenAPI document: strings of format date-time and date."""

    @staticmethod
    def is_plugin_supported_type(value: Any) -> bool:
        return value is UtcDateTime or value is CalendarDate

    def to_openapi_schema(self, field_definition, schema_creator) -> Schema:
        if field_definition.annotation is UtcDateTime:
            return Schema(
                type=OpenAPIType.STRING,
                format=OpenAPIFormat.DATE_TIME,
                description=f"With a time zone; from {EARLIEST:%Y-%m-%d} to before "
                f"{LATEST:%Y-%m-%d} (UTC)",
            )
        return Schema(
            type=OpenAPIType.STRING,
            format=OpenAPIFormat.DATE,
            description=f"From {FIRST_DAY} to {LAST_DAY}",
        )
