"""The one place that maps exceptions to HTTP problems."""

from __future__ import annotations

import logging
import re

from litestar import Request, Response
from litestar.exceptions import (
    HTTPException,
    MethodNotAllowedException,
    NotFoundException,
    ValidationException,
)
from litestar.status_codes import HTTP_500_INTERNAL_SERVER_ERROR

from api.problems import FieldError, problem_response
from core.errors import DomainError, ServiceUnavailable
from core.i18n import Msg, negotiate_locale
from core.inputs import UnstorableText
from core.logging import request_id_var
from core.settings import get_settings

log = logging.getLogger("cityops.errors")

_HTTP_MESSAGES: dict[int, tuple[str, Msg, Msg]] = {
    400: (
        "request.bad",
        Msg(zh="请求无效", en="Bad request"),
        Msg(zh="请求格式不正确", en="The request is malformed"),
    ),
    401: (
        "auth.required",
        Msg(zh="需要登录", en="Authentication required"),
        Msg(zh="请先登录", en="Send a Bearer access token"),
    ),
    403: (
        "forbidden",
        Msg(zh="无权操作", en="Forbidden"),
        Msg(zh="您无权执行此操作", en="You may not do this"),
    ),
    404: (
        "route.not_found",
        Msg(zh="未找到", en="Not found"),
        Msg(zh="请求的地址不存在", en="No such route"),
    ),
    405: (
        "route.method_not_allowed",
        Msg(zh="方法不允许", en="Method not allowed"),
        Msg(zh="该地址不支持此请求方法", en="This route does not accept that method"),
    ),
    413: (
        "request.too_large",
        Msg(zh="请求体过大", en="Request too large"),
        Msg(zh="请求体超过允许的大小", en="The request body is too large"),
    ),
    415: (
        "request.unsupported_media_type",
        Msg(zh="不支持的内容类型", en="Unsupported media type"),
        Msg(zh="请求的内容类型不受支持", en="The request content type is not supported"),
    ),
    429: (
        "rate_limited",
        Msg(zh="请求过于频繁", en="Too many requests"),
        Msg(zh="请稍后重试", en="Try again later"),
    ),
}
_INVALID_BODY = (
    Msg(zh="请求内容无效", en="Invalid request"),
    Msg(zh="请求中有字段无效", en="Some fields of the request are invalid"),
)
_MALFORMED = (
    Msg(zh="请求内容无法解析", en="Malformed request body"),
    Msg(zh="请求体不是有效的 JSON", en="The request body is not valid JSON"),
)
_INTERNAL = (
    Msg(zh="服务器内部错误", en="Internal server error"),
    Msg(
        zh="服务器出错了，请稍后重试；如持续出现请联系管理员并提供请求编号",
        en="Something went wrong on our side; if it persists, report the request id",
    ),
)


def _locale(request: Request) -> str:
    return negotiate_locale(request.headers.get("accept-language"), get_settings().default_locale)


def _respond(request: Request, status: int, code: str, title: Msg, detail: str, **kw) -> Response:
    return problem_response(
        status=status,
        code=code,
        title=title.render(_locale(request)),
        detail=detail,
        instance=request.url.path,
        request_id=request_id_var.get(),
        **kw,
    )


def domain_error_handler(request: Request, exc: DomainError) -> Response:
    locale = _locale(request)
    return _respond(request, exc.status, exc.code, exc.title, exc.detail(locale), extra=exc.extra())


_MISSING_FIELD = re.compile(r"missing required field `([^`]+)`")


def _wire_name(request: Request, key: str) -> str:
    """A parameter's name in the request (``to``), not the handler's (``until``)."""
    try:
        parameter = request.route_handler.parsed_fn_signature.parameters.get(key)
    except AttributeError:
        return key
    definition = getattr(parameter, "kwarg_definition", None)
    for alias in ("name", "query", "header", "cookie"):
        if name := getattr(definition, alias, None):
            return name
    return key


def _field_errors(request: Request, exc: ValidationException) -> list[FieldError]:
    errors = []
    for item in exc.extra if isinstance(exc.extra, list) else []:
        if not isinstance(item, dict):
            continue
        message = str(item.get("message", ""))
        field = _wire_name(request, str(item.get("key") or item.get("source") or "body"))
        if missing := _MISSING_FIELD.search(message):
            field = missing.group(1)
        elif field == "data" and item.get("source") == "body":
            field = "body"
            if message == "'data'":
                message = "A JSON request body is required"
        errors.append(FieldError(field=field, message=message))
    return errors


def validation_error_handler(request: Request, exc: ValidationException) -> Response:
    title, detail = _INVALID_BODY
    errors = _field_errors(request, exc)
    errors = errors or [FieldError(field="body", message=str(exc.detail or ""))]
    return _respond(
        request, 400, "request.invalid", title, detail.render(_locale(request)), errors=errors
    )


def _is_malformed_body(exc: HTTPException) -> bool:
    text = str(exc.detail or "")
    return exc.status_code == 400 and (
        text.startswith("JSON is malformed") or "truncated" in text or "Invalid JSON" in text
    )


def http_error_handler(request: Request, exc: HTTPException) -> Response:
    locale = _locale(request)
    code, title, detail = _HTTP_MESSAGES.get(
        exc.status_code,
        (
            "http.error",
            Msg(zh="请求失败", en="Request failed"),
            Msg(zh="请求失败", en="Request failed"),
        ),
    )
    if exc.status_code >= 500:
        return internal_error_handler(request, exc)
    if _is_malformed_body(exc):
        title, detail = _MALFORMED
        return _respond(request, 400, "request.malformed", title, detail.render(locale))
    headers = getattr(exc, "headers", None) or {}
    response = _respond(request, exc.status_code, code, title, detail.render(locale))
    if "allow" in {k.lower() for k in headers}:
        response.headers.update(headers)
    return response


def internal_error_handler(request: Request, exc: Exception) -> Response:
    from core.db import is_unavailable, is_unstorable_text

    if is_unstorable_text(exc):
        # What core.inputs did not catch at the edge, PostgreSQL still refuses.
        return domain_error_handler(request, UnstorableText())
    if is_unavailable(exc):
        log.warning("database unavailable: %s", type(exc).__name__)
        return domain_error_handler(request, ServiceUnavailable())
    log.error("unhandled error on %s %s", request.method, request.url.path, exc_info=exc)
    title, detail = _INTERNAL
    return _respond(
        request, HTTP_500_INTERNAL_SERVER_ERROR, "internal", title, detail.render(_locale(request))
    )


EXCEPTION_HANDLERS = {
    DomainError: domain_error_handler,
    ValidationException: validation_error_handler,
    NotFoundException: http_error_handler,
    MethodNotAllowedException: http_error_handler,
    HTTPException: http_error_handler,
    Exception: internal_error_handler,
}
