"""A query string read straight into a msgspec Struct, for the busiest public route.

Litestar reads each query parameter through the handler's signature model. On
/api/citizen/places/nearby that cost about as much as the search itself. ``parse_query``
reads the string once into a Struct that carries the same bounds, and ``QueryOperation``
puts the Struct's fields into the OpenAPI document as query parameters, so the route is
described (and fuzzed) as if Litestar had read them."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, TypeVar
from urllib.parse import unquote_plus

import msgspec
from litestar.exceptions import ValidationException
from litestar.openapi.spec import OpenAPIType, Operation, Parameter, Schema

Model = TypeVar("Model", bound=msgspec.Struct)

_AT_FIELD = re.compile(r" - at `\$\.([^`]+)`$")


def parse_query(query_string: bytes, model: type[Model]) -> Model:
    """``query_string`` as ``model``, read as Litestar reads one: ``+`` and percent escapes
    decoded, empty values dropped, the last of a repeated key kept; strings converted to the
    fields' types by msgspec, which also checks their bounds. Bad input raises Litestar's
    ValidationException, a 400 ``request.invalid`` naming the field (api.errors)."""
    fields: dict[str, str] = {}
    if query_string:
        for part in query_string.decode("utf-8", "replace").split("&"):
            key, _, value = part.partition("=")
            if "%" in part or "+" in part:
                key, value = unquote_plus(key), unquote_plus(value)
            if value:
                fields[key] = value
    try:
        return msgspec.convert(fields, model, strict=False)
    except msgspec.ValidationError as exc:
        message = str(exc)
        at = _AT_FIELD.search(message)
        error: dict[str, Any] = {"message": message, "source": "query"}
        if at:
            error["key"] = at.group(1)
        raise ValidationException(detail="Invalid query", extra=[error]) from None


def query_operation(model: type[msgspec.Struct]) -> type[Operation]:
    """An Operation class for ``operation_class=`` that lists ``model``'s fields as the
    route's query parameters."""
    parameters = query_parameters(model)

    @dataclass
    class QueryOperation(Operation):
        def __post_init__(self) -> None:
            self.parameters = [*(self.parameters or []), *parameters]

    return QueryOperation


def query_parameters(model: type[msgspec.Struct]) -> list[Parameter]:
    """OpenAPI query parameters from ``model``'s JSON schema (its wire names, types, bounds
    and defaults)."""
    document = msgspec.json.schema(model)
    definition = document["$defs"][document["$ref"].rsplit("/", 1)[1]]
    required = set(definition.get("required", ()))
    return [
        Parameter(
            name=name,
            param_in="query",
            required=name in required,
            description=field.get("description"),
            schema=_schema(field),
        )
        for name, field in definition["properties"].items()
    ]


def _schema(field: dict[str, Any]) -> Schema:
    kind = field.get("type")
    if kind is None and all(isinstance(value, str) for value in field.get("enum", [None])):
        kind = "string"
    return Schema(
        type=OpenAPIType(kind) if kind else None,
        enum=field.get("enum"),
        default=field.get("default"),
        minimum=field.get("minimum"),
        maximum=field.get("maximum"),
        min_length=field.get("minLength"),
        max_length=field.get("maxLength"),
    )
