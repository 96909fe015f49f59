"""Where HTTP input meets ``core.inputs``: every path, query string, header and body is checked
before Litestar decodes it.

- ``CheckedRequest`` (the app's request class) checks a JSON body's nesting and escapes in
  ``json()``, the one method Litestar decodes JSON bodies with, and the text of form bodies
  (url-encoded ones as bytes, before Litestar parses them).
- ``InputTextMiddleware`` refuses a path, query string or header holding NUL before any
  parameter is read. (Percent escapes that are not UTF-8, lone surrogates among them, reach
  handlers as U+FFFD: harmless.)

Body size is Litestar's ``request_max_body_size``: ``settings.request_max_bytes`` on the app
(a 413 ``request.too_large``), raised on the upload and import routes."""

from __future__ import annotations

from typing import Any

from litestar import Request
from litestar.datastructures import FormMultiDict, UploadFile
from litestar.enums import RequestEncodingType, ScopeType
from litestar.middleware import ASGIMiddleware
from litestar.types import ASGIApp, Receive, Scope, Send

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
        await next_app(scope, receive, send)
