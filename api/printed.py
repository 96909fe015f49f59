"""A JSON document printed before the handler returns, sent as it is.

A handler annotated ``-> ASGIApp`` hands Litestar an ASGI app, which Litestar sends without
building a Response: on /api/citizen/places/nearby that path (a Response, its headers,
re-encoding the bytes) cost more than printing twenty places. The app's middleware (metrics,
compression, request ids) still sees every message. ``printed_json_responses`` documents
what the route sends, since Litestar cannot read it from the annotation."""

from __future__ import annotations

from typing import Any

from litestar.openapi import ResponseSpec
from litestar.types import Receive, Scope, Send


class PrintedJson:
    __slots__ = ("body",)

    def __init__(self, body: bytes) -> None:
        self.body = body

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        headers = [
            (b"content-type", b"application/json"),
            (b"content-length", str(len(self.body)).encode()),
        ]
        await send({"type": "http.response.start", "status": 200, "headers": headers})
        await send({"type": "http.response.body", "body": self.body, "more_body": False})


def printed_json_responses(document: type[Any], description: str) -> dict[int, ResponseSpec]:
    """The OpenAPI 200 of a route that returns PrintedJson of ``document``."""
    return {200: ResponseSpec(data_container=document, description=description)}
