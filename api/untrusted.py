"""Where HTTP input meets ``core.inputs``: every path, query string, header and body is checked
before it is decoded.

- ``CheckedRequest`` (the app's request class) checks a JSON body's nesting and escapes in
  ``json()``, the one method Litestar decodes JSON bodies with, and the text of form bodies
  (url-encoded ones as bytes, before Litestar parses them).
- ``InputTextMiddleware`` refuses a path, query string or header holding NUL before any
  parameter is read. (Percent escapes that are not UTF-8, lone surrogates among them, reach
  handlers as U+FFFD: harmless.) Mounted ASGI apps (piccolo-admin at /admin) read bodies
  themselves, past Litestar's limit and request class: the middleware reads their bodies
  first, within the app's limit, and checks them the same way.

Body size is Litestar's ``request_max_body_size``: ``settings.request_max_bytes`` on the app
(a 413 ``request.too_large``), raised on the upload and import routes."""

from __future__ import annotations

from typing import Any

from litestar import Request
from litestar.datastructures import FormMultiDict, UploadFile
from litestar.enums import RequestEncodingType, ScopeType
from litestar.exceptions.http_exceptions import RequestEntityTooLarge
from litestar.handlers import ASGIRouteHandler
from litestar.middleware import ASGIMiddleware
from litestar.types import ASGIApp, Message, Receive, Scope, Send

from api.geo import coord_sys_default, with_default_coord_sys
from core.inputs import UnstorableText, check_json, check_text, check_url_encoded
from core.settings import get_settings

# The body limit of the bulk import routes (places, signposts, grids); Litestar needs it
# when the routes are built.
IMPORT_MAX_BYTES = get_settings().import_max_bytes


class CheckedRequest(Request):
    async def json(self) -> Any:
        check_json(await self.body())
        return await super().json()

    async def body(self) -> bytes:
        body = await super().body()
        if self.content_type[0] == RequestEncodingType.URL_ENCODED:
            check_url_encoded(body)
        return body

    async def form(self) -> FormMultiDict:
        form = await super().form()
        for name, value in form.multi_items():
            check_text(name)
            if isinstance(value, str):
                check_text(value)
            elif isinstance(value, UploadFile) and value.filename:
                check_text(value.filename)
        return form


class InputTextMiddleware(ASGIMiddleware):
    scopes = (ScopeType.HTTP,)

    async def handle(self, scope: Scope, receive: Receive, send: Send, next_app: ASGIApp) -> None:
        # The server has decoded the path's escapes; the query string is still raw.
        if "\x00" in scope["path"] or any(b"\x00" in value for _, value in scope["headers"]):
            raise UnstorableText()
        check_url_encoded(scope["query_string"])
        # Coord-Sys: the request's default coordSys (api.geo), read as the query parameter.
        scope["query_string"] = with_default_coord_sys(scope["query_string"], scope["headers"])
        if isinstance(scope.get("route_handler"), ASGIRouteHandler):
            receive = await _checked_body(scope, receive)
        with coord_sys_default(scope["headers"]):
            await next_app(scope, receive, send)


async def _checked_body(scope: Scope, receive: Receive) -> Receive:
    """``receive`` of a mounted app, its body read (and refused) here first. Such apps
    (Starlette's request.json()) decode whatever the client sends, so every body but a
    multipart one is checked as JSON."""
    limit = get_settings().request_max_bytes
    headers = {name: value for name, value in scope["headers"]}
    if int(headers.get(b"content-length", b"0") or 0) > limit:
        raise RequestEntityTooLarge
    chunks: list[bytes] = []
    size, last = 0, None
    while True:
        message = await receive()
        if message["type"] != "http.request":
            last = message  # a disconnect: passed on after the body
            break
        chunks.append(message.get("body", b""))
        size += len(chunks[-1])
        if size > limit:
            raise RequestEntityTooLarge
        if not message.get("more_body", False):
            break
    body = b"".join(chunks)
    kind = headers.get(b"content-type", b"").split(b";")[0].strip().lower()
    if kind != b"multipart/form-data":
        check_json(body)
    if kind == b"application/x-www-form-urlencoded":
        check_url_encoded(body)
    pending: list[Message] = [{"type": "http.request", "body": body, "more_body": False}]
    if last is not None:
        pending.append(last)

    async def replay() -> Message:
        return pending.pop(0) if pending else await receive()

    return replay
