"""The schema fuzzing's hostile phase: inputs random generation reaches too rarely to count
on, sent to every operation as the role that owns it.

- every string input: NUL, and lone surrogates in JSON bodies (a URL or header cannot
  carry one: their escapes arrive as U+FFFD);
- every integer input: 2**31, 2**63, 2**70 and -(2**63)-1; every number in a URL: nan, inf;
- every date-time and date input: year 1 and 9999 with extreme offsets, naive, just out of
  range (tests/hostile.py);
- every ``cursor``: crafted cursors (unsigned, out of range, junk);
- every JSON body: nested 1,000 deep, and over the 1 MiB body limit.

Each variant starts from a minimal valid case (the simplest one schemathesis generates), with
real path parameters where the world has them, and changes one input; the answer is checked
like any fuzzed one (no 5xx, documented status, media type and schema). The date-time and
date strategies of the random phases also draw the edge values (``register_formats``)."""

from __future__ import annotations

import copy
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import requests
from hypothesis import HealthCheck, Phase, find, settings
from hypothesis import strategies as st

from tests.fuzz_support import auth_for, status_classes
from tests.hostile import (
    CRAFTED_CURSORS,
    DEEP_ARRAY,
    DEEP_OBJECT,
    EDGE_DATES,
    EDGE_DATETIMES,
    HUGE_INTEGERS,
    LONE_SURROGATES,
    NUL_TEXT,
    ODD_NUMBERS,
    Input,
    inputs,
    owner,
    with_value,
)

OVERSIZE = 1024 * 1024 + 1


def register_formats() -> None:
    """Let the random phases draw the edge date-times and dates now and then."""
    import schemathesis
    from schemathesis.specs.openapi.formats import get_default_format_strategies

    defaults = get_default_format_strategies()
    schemathesis.openapi.format(
        "date-time", st.one_of(defaults["date-time"], st.sampled_from(EDGE_DATETIMES))
    )
    schemathesis.openapi.format("date", st.one_of(defaults["date"], st.sampled_from(EDGE_DATES)))


def values_for(item: Input) -> tuple:
    kind = item.schema.get("type")
    fmt = item.schema.get("format")
    if item.name == "cursor":
        return CRAFTED_CURSORS
    if fmt == "date-time":
        return EDGE_DATETIMES
    if fmt == "date":
        return EDGE_DATES
    if kind == "integer":
        return HUGE_INTEGERS
    if kind == "number":
        return ODD_NUMBERS if item.location in ("path", "query") else ()
    if kind == "string" and fmt != "binary":
        return (NUL_TEXT, *LONE_SURROGATES) if item.location == "body" else (NUL_TEXT,)
    return ()


@dataclass
class HostileRun:
    operations: int = 0
    requests: int = 0
    statuses: Counter = field(default_factory=Counter)
    failures: list[str] = field(default_factory=list)
    seconds: float = 0.0

    def summary(self, database: str) -> str:
        return (
            f"schema fuzz [{database}] hostile inputs: {self.operations} operations, "
            f"{self.requests} requests, {status_classes(self.statuses)}, "
            f"{len(self.failures)} failing, {self.seconds:.0f} s"
        )


def _seed(operation) -> Any:
    """The simplest valid case schemathesis makes for ``operation``."""
    from schemathesis import GenerationMode

    return find(
        operation.as_strategy(generation_mode=GenerationMode.POSITIVE),
        lambda _: True,
        settings=settings(
            database=None,
            max_examples=50,
            phases=[Phase.generate, Phase.shrink],
            suppress_health_check=list(HealthCheck),
        ),
    )


def _variants(seed, items: list[Input]) -> Iterator[tuple[str, dict]]:
    """(label, changes to the seed case) for each hostile value of each input."""
    for item in items:
        for value in values_for(item):
            label = f"{item.location} {item.name}={value!r:.40}"
            if item.location == "body":
                body = seed.body if isinstance(seed.body, dict) else None
                yield label, {"body": with_value(item.keys, value, copy.deepcopy(body))}
            elif item.location in ("path", "query"):
                attribute = "path_parameters" if item.location == "path" else "query"
                yield label, {attribute: {**(getattr(seed, attribute) or {}), item.name: value}}


def _send(case, base: str, session: requests.Session, auth: dict, raw: bytes | None = None):
    if raw is None:
        return case.call(base_url=base, session=session, headers=auth)
    kwargs = case.as_transport_kwargs(base_url=base, headers=auth)
    kwargs.pop("json", None)
    kwargs["data"] = raw
    kwargs["headers"] = {**kwargs.get("headers", {}), "Content-Type": "application/json"}
    return session.request(**kwargs, timeout=60)


def fuzz_hostile(schema, spec: dict, world, *, base: str, checks: list) -> HostileRun:
    run = HostileRun()
    by_operation: dict[tuple[str, str], list[Input]] = {}
    for item in inputs(spec):
        by_operation.setdefault((item.method.upper(), item.path), []).append(item)
    session = requests.Session()
    started = time.monotonic()
    for result in schema.get_all_operations():
        operation = result.ok()
        run.operations += 1
        path, method = operation.path, operation.method.upper()
        auth = auth_for(world, owner(path), method, path)
        seed = _seed(operation)
        real = {
            name: world.values(path, name)[0]
            for name in (p.name for p in operation.path_parameters)
            if world.values(path, name)
        }
        seed.path_parameters = {**(seed.path_parameters or {}), **real}
        variants = list(_variants(seed, by_operation.get((method, path), [])))
        raws = []
        if seed.media_type == "application/json":
            raws = [("deep array", DEEP_ARRAY.encode()), ("deep object", DEEP_OBJECT.encode())]
            raws.append(("oversize", b'"' + b"x" * OVERSIZE + b'"'))
        for label, changes, raw in [
            *((label, changes, None) for label, changes in variants),
            *((label, {}, raw) for label, raw in raws),
        ]:
            case = operation.Case(
                path_parameters=changes.get("path_parameters", seed.path_parameters),
                query=changes.get("query", seed.query),
                headers=seed.headers,
                body=changes.get("body", seed.body),
                media_type=seed.media_type,
            )
            try:
                response = _send(case, base, session, auth, raw)
                run.requests += 1
                run.statuses[response.status_code] += 1
                case.validate_response(response, checks=checks, headers=auth)
            except (Exception, BaseExceptionGroup) as exc:
                run.failures.append(f"{method} {path} [{label}]: {exc}"[:3000])
    session.close()
    run.seconds = time.monotonic() - started
    return run
