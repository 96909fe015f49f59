"""The base of every domain error. Each domain declares its errors in its own ``errors.py``;
``api/errors.py`` is the one place that turns them into problem+json responses."""

from __future__ import annotations

from typing import Any, ClassVar

from core.i18n import Msg


class DomainError(Exception):
    code: ClassVar[str] = "error"
    status: ClassVar[int] = 400
    title: ClassVar[Msg] = Msg(zh="请求无法处理", en="The request cannot be processed")
    message: ClassVar[Msg | None] = None
    # Commit the transaction's changes although the request fails (failure counters).
    keeps_changes: ClassVar[bool] = False

    def __init__(self, **params: Any) -> None:
        self.params = params
        super().__init__(f"{self.code} {params}" if params else self.code)

    def detail(self, locale: str) -> str:
        return (self.message or self.title).render(locale, **self.params)

    def extra(self) -> dict[str, Any]:
        """Machine-readable members added to the problem document."""
        return {}


class NotFound(DomainError):
    code = "not_found"
    status = 404
    title = Msg(zh="未找到", en="Not found")
    message = Msg(zh="{what}不存在或无权访问", en="{what} does not exist or is not yours to see")


class Forbidden(DomainError):
    code = "forbidden"
    status = 403
    title = Msg(zh="无权操作", en="Forbidden")


class RateLimited(DomainError):
    code = "rate_limited"
    status = 429
    title = Msg(zh="请求过于频繁", en="Too many requests")
    message = Msg(zh="请在 {retry_after} 秒后重试", en="Try again in {retry_after} seconds")

    def extra(self) -> dict[str, Any]:
        return {"retryAfter": self.params.get("retry_after")}


class ServiceUnavailable(DomainError):
    code = "service.unavailable"
    status = 503
    title = Msg(zh="服务暂时不可用", en="Service temporarily unavailable")
    message = Msg(zh="请稍后重试", en="Please try again shortly")
    # A restarting or failing-over database is usually back within seconds; clients (and
    # their offline queues) should come back soon, not give up.
    retry_after_seconds: ClassVar[int] = 5

    def extra(self) -> dict[str, Any]:
        return {"retryAfter": self.params.get("retry_after", self.retry_after_seconds)}


class FieldRequired(DomainError):
    code = "request.field_required"
    status = 422
    title = Msg(zh="缺少字段", en="Field required")
    message = Msg(zh="此操作需要字段 {field}", en="This action needs the field {field}")
