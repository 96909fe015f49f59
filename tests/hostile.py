"""Hostile inputs, shared by their regression tests (tests/api/test_hostile_inputs.py) and
the schema fuzzing's hostile phase (tests/fuzz_support.py): the values, and a walk over the
OpenAPI document that finds every input of a kind, so a new route is covered without being
listed by hand."""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

DEPTH = 1000
DEEP_ARRAY = "[" * DEPTH + "]" * DEPTH
DEEP_OBJECT = '{"a":' * DEPTH + "1" + "}" * DEPTH
# Each overflowed when moved to UTC; the naive one meant whatever the database assumed.
EDGE_DATETIMES = (
    "0001-01-01T00:00:00+14:00",
    "9999-12-31T23:59:59-14:00",
    "2026-05-01T08:30:00",
    "1999-12-31T23:59:59Z",
    "2100-01-01T00:00:00Z",
)
EDGE_DATES = ("0001-01-01", "9999-12-31", "1999-12-31", "2100-01-01")
# 2**31 overflows PostgreSQL's INTEGER only (SQLite's are 64-bit); the others both.
HUGE_INTEGERS = (2**31, 2**63, 2**70, -(2**63) - 1)
# Numbers a query string can spell that JSON cannot.
ODD_NUMBERS = ("nan", "inf", "-inf", "1e400")
NUL_TEXT = "a\x00b"
LONE_SURROGATES = ("\ud800", "x\udfff")
METHODS = ("get", "post", "put", "patch", "delete")


def _b64(data: Any) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).decode().rstrip("=")


# Cursors as they looked before they were signed, with values no column can hold, and junk.
CRAFTED_CURSORS = (
    _b64(["2026-01-01T00:00:00Z", 2**70]),
    _b64(["9999-12-31T23:59:59-14:00", 5]),
    _b64(["0001-01-01T00:00:00+14:00", 5]),
    _b64(["2026-01-01T00:00:00Z", -1]),
    _b64(["2026-01-01T00:00:00Z", 5]),
    _b64({"at": "2026-01-01T00:00:00Z", "id": 5}),
    "not a cursor",
    "x" * 5000,
    "%00",
)


def owner(path: str) -> str:
    """The role whose requests get past the route's guards to the decoding of its input."""
    for prefix, role in (
        ("/api/citizen/", "citizen"),
        ("/api/inspector/", "inspector"),
        ("/api/admin/", "admin"),
        ("/api/intake/", "intake"),
        ("/api/hotline/", "admin"),  # a call-taker, the centre too (cases.hotline.TAKER_ROLES)
        ("/api/merchant/", "merchant"),
    ):
        if path.startswith(prefix):
            return role
    return "anonymous"


def json_text(value: Any) -> str:
    """JSON as a client escaping everything sends it (lone surrogates as ``\\udXXX``)."""
    return json.dumps(value, ensure_ascii=True)


@dataclass(frozen=True)
class Input:
    """One input of one operation: a parameter, or a leaf of its JSON body."""

    method: str
    path: str
    location: str  # path, query, header or body
    name: str  # the parameter's name, or the body leaf's path: fixes[0].at
    keys: tuple  # the body leaf's keys: ("fixes", 0, "at")
    schema: dict

    @property
    def kind(self) -> str:
        return f"{self.schema.get('type')}:{self.schema.get('format', '')}"


def _resolve(spec: dict, schema: dict) -> dict:
    while "$ref" in schema:
        schema = spec["components"]["schemas"][schema["$ref"].rsplit("/", 1)[1]]
    return schema


def _leaves(spec: dict, schema: dict, keys: tuple, depth: int = 0) -> Iterator[tuple]:
    schema = _resolve(spec, schema)
    if depth > 8:
        return
    for combinator in ("oneOf", "anyOf"):
        if combinator in schema:
            # Bounds sit beside the combinator: {"oneOf": [integer, null], "maximum": ...}
            siblings = {k: v for k, v in schema.items() if k != combinator}
            for branch in schema[combinator]:
                yield from _leaves(spec, {**siblings, **_resolve(spec, branch)}, keys, depth + 1)
            return
    kind = schema.get("type")
    if kind == "object" or "properties" in schema:
        for name, member in (schema.get("properties") or {}).items():
            yield from _leaves(spec, member, (*keys, name), depth + 1)
    elif kind == "array":
        yield from _leaves(spec, schema.get("items") or {}, (*keys, 0), depth + 1)
    elif kind in ("string", "integer", "number", "boolean"):
        yield keys, schema


def _dotted(keys: tuple) -> str:
    out = ""
    for key in keys:
        out += f"[{key}]" if isinstance(key, int) else (f".{key}" if out else key)
    return out


def inputs(spec: dict) -> list[Input]:
    """Every parameter and JSON body leaf of every operation of ``spec``."""
    found = []
    for path, operations in spec["paths"].items():
        for method, operation in operations.items():
            if method not in METHODS:
                continue
            for parameter in operation.get("parameters", []):
                for _, schema in _leaves(spec, parameter["schema"], ()):
                    found.append(
                        Input(method, path, parameter["in"], parameter["name"], (), schema)
                    )
            content = (operation.get("requestBody") or {}).get("content", {})
            if "application/json" in content:
                for keys, schema in _leaves(spec, content["application/json"]["schema"], ()):
                    found.append(Input(method, path, "body", _dotted(keys), keys, schema))
    return _unique(found)


def _unique(found: list[Input]) -> list[Input]:
    seen, out = set(), []
    for item in found:
        key = (item.method, item.path, item.location, item.name, item.kind)
        if key not in seen:
            seen.add(key)
            out.append(item)
    return out


def with_value(keys: tuple, value: Any, base: Any = None) -> Any:
    """``base`` (or a new document) with ``value`` at ``keys``, making objects and one-item
    arrays on the way."""
    if not keys:
        return value
    key, rest = keys[0], keys[1:]
    if isinstance(key, int):
        inner = base[0] if isinstance(base, list) and base else None
        return [with_value(rest, value, inner)]
    document = dict(base) if isinstance(base, dict) else {}
    document[key] = with_value(rest, value, document.get(key))
    return document
