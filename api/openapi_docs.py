"""What the OpenAPI document says about errors and headers, derived in one place from what
each route does: its guards, path parameters, method and body, its rate limits and its use
of Idempotency-Key. Generated clients (tests/api/test_generated_client.py) read it: a
status listed that cannot happen is noise, one missing is a failure on the client."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from litestar import Litestar
from litestar.constants import RESERVED_KWARGS
from litestar.handlers import HTTPRouteHandler
from litestar.openapi.spec import OpenAPIHeader, OpenAPIResponse, Operation, Parameter
from litestar.openapi.spec import Schema as OpenAPISchema
from litestar.openapi.spec.enums import OpenAPIType
from litestar.routes import HTTPRoute

from api.idempotent import IDEMPOTENCY_HEADER, REPLAYED_HEADER
from api.problems import georeport_error_responses, problem_responses
from core.idempotency import MAX_KEY_LENGTH

# Handlers that run their action through these honour Idempotency-Key (api/idempotent.py).
IDEMPOTENT_CALLS = frozenset({"run_idempotent", "run_once"})
# Every route: a query string or header it refuses (api/untrusted), the database away.
ALWAYS = frozenset({400, 503})
# The answers that tell the client when to come back (Problem.retryAfter, in seconds).
RETRY_AFTER_STATUSES = frozenset({429, 503})
WRITES = frozenset({"POST", "PUT", "PATCH", "DELETE"})


def _calls(handler: HTTPRouteHandler) -> frozenset[str]:
    """The global and attribute names the handler's own code uses."""
    code = getattr(handler.fn, "__code__", None)
    return frozenset(code.co_names) if code is not None else frozenset()


def is_idempotent(handler: HTTPRouteHandler) -> bool:
    return not IDEMPOTENT_CALLS.isdisjoint(_calls(handler))


def reads_body(handler: HTTPRouteHandler) -> bool:
    """A ``data`` parameter, ``request.body()`` in the handler, or in run_idempotent."""
    return (
        "data" in handler.parsed_fn_signature.parameters
        or "body" in _calls(handler)
        or is_idempotent(handler)
    )


def takes_parameters(route: HTTPRoute, handler: HTTPRouteHandler) -> bool:
    """Path or query parameters, declared in the signature or read by the handler itself
    (api.query's ``operation_class``)."""
    if route.path_parameters or handler.operation_class is not Operation:
        return True
    dependencies = handler.resolve_dependencies()
    return any(
        name not in RESERVED_KWARGS and name not in dependencies
        for name in handler.parsed_fn_signature.parameters
    )


def error_statuses(route: HTTPRoute, handler: HTTPRouteHandler) -> frozenset[int]:
    """The 4xx and 503 statuses ``handler`` can answer with (500 is documented apart).

    - guards or a security requirement: 401 (no or a bad token), 403 (a role or an object
      that is not the caller's to act on);
    - a parameter (path or query: a code or id that names nothing, a malformed value, an
      impossible range or position) or a write (its body names other objects): 404, 422;
    - a write: 409 (the object's state), 422 (a business rule; a reused Idempotency-Key);
    - a body: 413 (too large); 415 only where a handler checks the type itself (photos,
      calendar files: ``opt["errors"]``), for JSON is read whatever the header says;
    - ``opt={"rate_limited": True}``: 429;
    - ``opt={"errors": (...)}``: whatever else the handler's service is known to answer.
    """
    statuses = set(ALWAYS)
    writes = not WRITES.isdisjoint(handler.http_methods)
    security = handler.resolve_security() or []
    if handler.resolve_guards() or any(requirement for requirement in security):
        statuses |= {401, 403}
    if writes or takes_parameters(route, handler):
        statuses |= {404, 422}
    if writes:
        statuses.add(409)
    if reads_body(handler):
        statuses.add(413)
    if handler.opt.get("rate_limited"):
        statuses.add(429)
    statuses.update(handler.opt.get("errors", ()))
    return frozenset(statuses)


def _handlers(app: Litestar) -> Iterator[tuple[HTTPRoute, HTTPRouteHandler]]:
    for route in app.routes:
        if isinstance(route, HTTPRoute):
            for handler in route.route_handlers:
                yield route, handler


def document_operations(app: Litestar, *, open311_prefix: str) -> None:
    """Give each handler the problems it can answer with (Litestar declares error responses
    per handler) and an Operation class that adds the headers Litestar has no place for: a
    header of an error response, a header the handler reads from the request itself.

    The Open311 router answers in GeoReport's own error format; an unexpected error and the
    database away (an exception the router does not map) reach the app's handler and are
    problem documents."""
    for route, handler in _handlers(app):
        statuses = sorted(error_statuses(route, handler))
        errors = problem_responses(*statuses, 500)
        if route.path.startswith(open311_prefix):
            errors |= georeport_error_responses(*(s for s in statuses if s != 503))
        handler.responses = {**errors, **(handler.responses or {})}
        handler.operation_class = _with_headers(
            handler.operation_class, idempotent=is_idempotent(handler)
        )


def _with_headers(base: type[Operation], *, idempotent: bool) -> type[Operation]:
    @dataclass
    class DocumentedOperation(base):  # type: ignore[valid-type,misc]
        def __post_init__(self) -> None:
            if post_init := getattr(super(), "__post_init__", None):
                post_init()
            _add_headers(self, idempotent=idempotent)

    return DocumentedOperation


def _header(description: str, kind: OpenAPIType, **schema) -> OpenAPIHeader:
    return OpenAPIHeader(description=description, schema=OpenAPISchema(type=kind, **schema))


RETRY_AFTER = _header(
    "Seconds to wait before retrying (the problem's `retryAfter`)", OpenAPIType.INTEGER, minimum=1
)
REPLAYED = _header(
    "`true` when this is the stored first response to an earlier request with the same "
    "Idempotency-Key: the action was not done again",
    OpenAPIType.STRING,
    enum=["true"],
)
IDEMPOTENCY_KEY = Parameter(
    name=IDEMPOTENCY_HEADER,
    param_in="header",
    required=False,
    description="A key the client chooses per action (visible ASCII); a retry with the same "
    "key and body replays the first response, with another body it is a 422 "
    "`idempotency.key_reused`",
    schema=OpenAPISchema(
        type=OpenAPIType.STRING, min_length=1, max_length=MAX_KEY_LENGTH, pattern="^[!-~]+$"
    ),
)


def _add_headers(operation: Operation, *, idempotent: bool) -> None:
    for status, response in (operation.responses or {}).items():
        if not isinstance(response, OpenAPIResponse):
            continue
        if int(status) in RETRY_AFTER_STATUSES:
            response.headers = {**(response.headers or {}), "Retry-After": RETRY_AFTER}
        if idempotent and str(status).startswith("2"):
            response.headers = {**(response.headers or {}), REPLAYED_HEADER: REPLAYED}
    if idempotent:
        others = [
            p for p in operation.parameters or [] if getattr(p, "name", None) != IDEMPOTENCY_HEADER
        ]
        operation.parameters = [*others, IDEMPOTENCY_KEY]
