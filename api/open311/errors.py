"""Open311 clients expect errors as ``[{"code": status, "description": "..."}]``."""

from __future__ import annotations

from litestar import Request, Response
from litestar.exceptions import HTTPException, ValidationException

from core.errors import DomainError
from core.i18n import Msg, negotiate_locale


class Open311Error(DomainError):
    code = "open311.invalid"
    status = 400
    title = Msg(zh="请求无效", en="Invalid request")
    message = Msg(zh="{reason}", en="{reason}")


class Open311NotFound(DomainError):
    code = "open311.not_found"
    status = 404
    title = Msg(zh="未找到", en="Not found")
    message = Msg(zh="{what} 不存在", en="{what} does not exist")


class Open311KeyInvalid(DomainError):
    code = "open311.key_invalid"
    status = 403
    title = Msg(zh="api_key 无效", en="Invalid api_key")
    message = Msg(zh="需要有效的 api_key", en="A valid api_key is required")


def _error(status: int, description: str, request: Request | None = None) -> Response:
    """In the format the path asked for: ``<errors><error>`` for ``.xml``."""
    from api.open311 import formats

    body = [{"code": status, "description": description}]
    fmt = formats.path_format(request) if request is not None else "json"
    return formats.respond(body, fmt, root="errors", item="error", status=status)


def domain_error(request: Request, exc: DomainError) -> Response:
    locale = negotiate_locale(request.headers.get("accept-language"), "en")
    return _error(exc.status, exc.detail(locale), request)


def http_error(request: Request, exc: HTTPException) -> Response:
    if isinstance(exc, ValidationException):
        problems = "; ".join(
            f"{e.get('key', '')}: {e.get('message', '')}"
            for e in (exc.extra or [])
            if isinstance(e, dict)
        )
        return _error(400, problems or str(exc.detail), request)
    return _error(exc.status_code, str(exc.detail), request)


# ValidationException is named too: the app maps it, and the most specific class wins.
EXCEPTION_HANDLERS = {
    DomainError: domain_error,
    HTTPException: http_error,
    ValidationException: http_error,
}
