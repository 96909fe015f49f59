"""A catch-all for the audit trail: an admin write whose handler did not record itself
(places, rewards, signposts, case actions, ...) is still recorded after it succeeds, with
who, when, the route and the response as ``after``. Handlers that record themselves (the
configuration API) do it inside their transaction, with ``before`` as well.

The catch-all entry is written after the handler's transaction has committed, in its own:
if it fails the write stands and the failure is logged (refusing the response would tell the
client that a committed change did not happen)."""

from __future__ import annotations

import logging
from contextvars import ContextVar
from typing import Any

from litestar import Request, Response

from audit import service as audit
from core.actors import Actor
from core.db import transaction

log = logging.getLogger("cityops.audit")
WRITES = frozenset({"POST", "PUT", "PATCH", "DELETE"})
PREFIX = "/api/admin/"
# after_request hooks receive only the response; the request is kept here for them.
_request: ContextVar[Request | None] = ContextVar("audit_request", default=None)


async def _before(request: Request) -> None:
    # Reset on every request: where requests share a context (an in-process test client),
    # a read must not pick up the state of an earlier write that failed.
    if request.method in WRITES:
        audit.watch()
        _request.set(request)
    else:
        audit.unwatch()
        _request.set(None)


async def _after(response: Response) -> Response:
    recorded = audit.recorded_actions()
    # File and stream responses settle their status later (None here): they succeeded.
    status = getattr(response, "status_code", None) or 200
    if recorded is None or recorded or status >= 400:
        return response
    request = _request.get()
    if request is None:
        return response
    actor: Actor | None = getattr(request.state, "actor", None)
    route = request.scope.get("path_template", request.url.path).removeprefix(PREFIX)
    resource = route.split("/", 1)[0] or "admin"
    params = request.path_params
    target_id = ",".join(str(v) for v in params.values()) if params else ""
    try:
        async with transaction():
            await audit.record(
                actor=actor or Actor(kind="system", id=0, role="unknown"),
                action=f"{request.method} /{route}"[:48],
                target_kind=resource[:32],
                target_id=target_id[:64],
                after=_content(getattr(response, "content", None)),
            )
    except Exception:
        log.exception("audit entry for %s %s not written", request.method, route)
    return response


def _content(content: Any) -> Any:
    """Structured responses (Structs, dicts, lists) are kept; files, pages, streams not."""
    if isinstance(content, dict | list) or hasattr(content, "__struct_fields__"):
        return content
    return None


# Spread into the admin Router: Router(..., **AUDIT_HOOKS).
AUDIT_HOOKS: dict[str, Any] = {"before_request": _before, "after_request": _after}
