"""The problem+json document (RFC 9457) every error response uses."""

from __future__ import annotations

from typing import Any

import msgspec
from litestar import Response
from litestar.openapi import ResponseSpec

PROBLEM_MEDIA_TYPE = "application/problem+json"


class FieldError(msgspec.Struct, frozen=True):
    field: str
    message: str


class Problem(msgspec.Struct, frozen=True, omit_defaults=True):
    type: str
    title: str
    status: int
    detail: str
    code: str
    instance: str | None = None
    requestId: str | None = None
    errors: list[FieldError] | None = None
    retryAfter: int | None = None


class RowError(msgspec.Struct, frozen=True):
    """A bad feature of an all-or-nothing grid import (``grid.import_invalid``): its index in
    the file, its code when it has one, and everything wrong with it."""

    index: int | None
    code: str | None
    problems: list[str]


class GridImportProblem(Problem, frozen=True, omit_defaults=True):
    errors: list[RowError] | None = None


class ImportRowError(msgspec.Struct, frozen=True):
    """A bad row of an all-or-nothing calendar import (``calendar.import_invalid``): its row
    number (a CSV line, a JSON array position from 1), what is wrong (a stable code:
    bad_date, wrong_year, duplicate_date, unknown_kind, too_long) and how."""

    row: int
    code: str
    detail: str


class RowImportProblem(Problem, frozen=True, omit_defaults=True):
    errors: list[ImportRowError] | None = None


def problem_type(code: str) -> str:
    return f"urn:cityops:problem:{code}"


def problem_response(
    *,
    status: int,
    code: str,
    title: str,
    detail: str,
    instance: str | None,
    request_id: str | None,
    extra: dict[str, Any] | None = None,
    errors: list[FieldError] | None = None,
) -> Response:
    body: dict[str, Any] = {
        "type": problem_type(code),
        "title": title,
        "status": status,
        "detail": detail,
        "code": code,
        "instance": instance,
        "requestId": request_id,
    }
    if errors:
        body["errors"] = [msgspec.structs.asdict(e) for e in errors]
    body.update({k: v for k, v in (extra or {}).items() if v is not None})
    headers = {}
    if body.get("retryAfter") is not None:
        headers["Retry-After"] = str(body["retryAfter"])
    return Response(
        content={k: v for k, v in body.items() if v is not None},
        status_code=status,
        media_type=PROBLEM_MEDIA_TYPE,
        headers=headers,
    )


_DESCRIPTIONS = {
    400: "Malformed or invalid request (`request.malformed`, `request.invalid` with field "
    "errors, `request.too_deep`, `request.invalid_text`, `request.invalid_cursor`)",
    401: "Missing, invalid or expired access token (`auth.*`)",
    403: "Token for another app or a role that may not do this",
    404: "No such object, or not yours to see",
    409: "Conflicts with the object's current state",
    413: "Request body too large (`request.too_large`)",
    415: "Unsupported request content type",
    422: "Understood but refused by a business rule",
    429: "Rate limited; see `retryAfter`",
    500: "Unexpected error; report the `requestId`",
    502: "An upstream service (the SMS vendor) answered with an error",
    503: "A dependency (database, WeChat...) is unavailable; retry",
}


class GeoReportError(msgspec.Struct, frozen=True):
    """One error as Open311 GeoReport v2 clients expect it: a list of these is the body."""

    code: int
    description: str


def georeport_error_responses(*statuses: int) -> dict[int, ResponseSpec]:
    """OpenAPI documentation of the errors of the Open311 router (api/open311/errors.py)."""
    return {
        status: ResponseSpec(
            data_container=list[GeoReportError],
            media_type="application/json",
            description="GeoReport v2 error: `[{code, description}]`",
            generate_examples=False,
        )
        for status in statuses
    }


def problem_responses(
    *statuses: int, container: type[Problem] = Problem
) -> dict[int, ResponseSpec]:
    """OpenAPI documentation of the problem documents a router may answer with."""
    return {
        status: ResponseSpec(
            data_container=container,
            media_type=PROBLEM_MEDIA_TYPE,
            description=_DESCRIPTIONS[status],
            generate_examples=False,
        )
        for status in statuses
    }
