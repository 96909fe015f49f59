"""Request ids and Prometheus metrics on every request, in the one ASGI wrapper around the app.

Litestar's PrometheusMiddleware built a Request, a labels dict and four label children on
every call: more time than a nearby query takes. Here a request costs one dict lookup for
its metric children, cached by (method, route, status).
"""

from __future__ import annotations

import os
import re
import time

from litestar.types import ASGIApp, Message, Receive, Scope, Send
from prometheus_client import Counter, Gauge, Histogram

from api.security_headers import with_security_headers
from core.logging import request_id_var

_VALID_ID = re.compile(r"^[A-Za-z0-9._-]{1,64}$")
APP_NAME = "cityops"
_NOT_MEASURED = frozenset({"/metrics", "/healthz", "/readyz"})
# Anything a client can put in a label is folded to a few values, so a scan of random paths
# or methods cannot grow the metrics without bound.
_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})
_UNMATCHED = "<unmatched>"

_LABELS = ("method", "path", "status_code", "app_name")
REQUESTS = Counter("cityops_requests_total", "Total requests", _LABELS)
ERRORS = Counter("cityops_requests_error_total", "Requests answered with a 5xx", _LABELS)
DURATION = Histogram("cityops_request_duration_seconds", "Request duration, in seconds", _LABELS)
IN_PROGRESS = Gauge("cityops_requests_in_progress", "Requests being served", ("app_name",)).labels(
    APP_NAME
)
# Days of the coming 90 without holiday data (org.calendar.coverage): above 0, SLA
# deadlines would count holidays as working days. Set when /metrics or /readyz is asked.
CALENDAR_DAYS_WITHOUT_DATA = Gauge(
    "cityops_calendar_days_without_data",
    "Days of the coming 90 whose year has no holiday data (package or import)",
)

_children: dict[tuple[str, str, int], tuple[Counter, Histogram, Counter | None]] = {}


def _children_for(method: str, path: str, status: int) -> tuple:
    key = (method, path, status)
    found = _children.get(key)
    if found is None:
        labels = (method, path, str(status), APP_NAME)
        errors = ERRORS.labels(*labels) if status >= 500 else None
        found = _children[key] = (REQUESTS.labels(*labels), DURATION.labels(*labels), errors)
    return found


def _request_id(scope: Scope) -> str:
    for name, value in scope["headers"]:
        if name == b"x-request-id":
            incoming = value.decode("latin-1")
            if _VALID_ID.match(incoming):
                return incoming
            break
    return os.urandom(16).hex()  # as random as uuid4().hex, without building a UUID


class ObservabilityMiddleware:
    """Wraps everything, so even a 404 for an unknown route carries a request id and the
    security headers (Litestar's own middleware runs only for matched routes)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request_id = _request_id(scope)
        header = (b"x-request-id", request_id.encode())
        path = scope["path"]  # as asked: a mounted app's router rewrites the scope's
        status = 500  # unless the app starts a response

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                headers = with_security_headers(path, [*message.get("headers", ())])
                message = {**message, "headers": [*headers, header]}
            await send(message)

        token = request_id_var.set(request_id)
        started = time.perf_counter()
        IN_PROGRESS.inc()
        try:
            await self.app(scope, receive, send_with_id)
        finally:
            IN_PROGRESS.dec()
            request_id_var.reset(token)
            _record(scope, status, time.perf_counter() - started)


def _record(scope: Scope, status: int, seconds: float) -> None:
    # The router writes the matched route's template into the scope it was given.
    path = scope.get("path_template", _UNMATCHED)
    if path in _NOT_MEASURED:
        return
    method = scope["method"] if scope["method"] in _METHODS else "OTHER"
    requests, duration, errors = _children_for(method, path, status)
    requests.inc()
    duration.observe(seconds)
    if errors is not None:
        errors.inc()
