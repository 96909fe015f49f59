"""Run a mobile POST once per Idempotency-Key and replay its first response on retry."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

import msgspec
from litestar import Request, Response

from core.actors import Actor
from core.idempotency import StoredResponse, run_once

IDEMPOTENCY_HEADER = "Idempotency-Key"
REPLAYED_HEADER = "Idempotent-Replayed"


async def run_idempotent(
    request: Request,
    actor: Actor,
    action: Callable[[], Awaitable[msgspec.Struct]],
    *,
    status_code: int = 201,
) -> Response:
    async def respond() -> StoredResponse:
        return StoredResponse(status_code=status_code, body=msgspec.json.encode(await action()))

    stored = await run_once(
        key=request.headers.get(IDEMPOTENCY_HEADER.lower()),
        scope=actor.scope,
        route=f"{request.method} {request.url.path}",
        body=await request.body(),
        action=respond,
    )
    headers = {REPLAYED_HEADER: "true"} if stored.replayed else {}
    return Response(
        content=stored.body,
        status_code=stored.status_code,
        media_type="application/json",
        headers=headers,
    )
