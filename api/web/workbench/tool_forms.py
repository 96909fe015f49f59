"""Forms of the places and signposts pages: the posted fields become the API's JSON body, so
the API's Structs validate them and its services store them; errors are placed by field."""

from __future__ import annotations

import re
import secrets
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

import msgspec
from litestar import Request

from core.actors import Actor
from core.errors import DomainError
from core.idempotency import StoredResponse, run_once

T = TypeVar("T")
LOCATION_FIELDS = ("lat", "lon", "coordSys")
# Which form field a domain error belongs to (others go above the form).
ERROR_FIELDS = {
    "geo.invalid_coordinates": "lat",
    "geo.unknown_coord_sys": "coordSys",
    "place.unknown_kind": "kind",
    "place.invalid_hours": "hours",
    "signpost.code_taken": "code",
    "grid.unknown": "gridCode",
}
_PATH = re.compile(r"`\$\.(?:location\.)?([A-Za-z]+)")


class FormInvalid(Exception):
    """The form as posted, and the errors by field name ("" = the whole form)."""

    def __init__(self, values: dict[str, str], errors: dict[str, str], status: int) -> None:
        super().__init__(errors)
        self.values, self.errors, self.status = values, errors, status


async def posted(request: Request) -> dict[str, str]:
    """Text fields as posted, without the CSRF token; "" stays (the page shows it again)."""
    form = await request.form()
    return {
        key: value.strip()
        for key, value in form.items()
        if isinstance(value, str) and key != "_csrf_token"
    }


def body_of(
    values: dict[str, str], fields: tuple[str, ...], clearable: tuple[str, ...] = ()
) -> dict[str, Any]:
    """The API's JSON body: empty fields left out ("" is not ``int | None``) except the
    ``clearable`` texts an edit may empty, and lat, lon and coordSys nested as its
    ``location``."""
    body: dict[str, Any] = {
        k: values[k] for k in fields if values.get(k, "") != "" or (k in clearable and k in values)
    }
    location = {k: values[k] for k in LOCATION_FIELDS if values.get(k, "") != ""}
    if location:
        body["location"] = location
    return body


def convert(
    values: dict[str, str],
    fields: tuple[str, ...],
    struct: type[T],
    clearable: tuple[str, ...] = (),
) -> T:
    try:
        return msgspec.convert(body_of(values, fields, clearable), struct, strict=False)
    except msgspec.ValidationError as exc:
        message = str(exc)
        found = _PATH.search(message)
        field = found.group(1) if found else ""
        if field == "location" or "`location`" in message:
            field = "lat"
        raise FormInvalid(values, {field: message}, 422) from None


def domain_invalid(values: dict[str, str], exc: DomainError, locale: str) -> FormInvalid:
    field = ERROR_FIELDS.get(exc.code, "")
    return FormInvalid(values, {field: exc.detail(locale)}, exc.status)


def form_key() -> str:
    """A new per-render key for a creating form: a second submit of the same form (a double
    click, a resend after a lost response) creates nothing twice."""
    return secrets.token_urlsafe(18)


async def create_once(
    actor: Actor, route: str, values: dict[str, str], create: Callable[[], Awaitable[object]]
) -> str:
    """Run ``create`` (which returns the new object's reference) at most once per form key,
    as the API's Idempotency-Key does; a replay returns the first reference."""

    async def action() -> StoredResponse:
        return StoredResponse(status_code=303, body=str(await create()).encode())

    stored = await run_once(
        key=values.get("_key") or None,
        scope=actor.scope,
        route=route,
        body=msgspec.json.encode({k: v for k, v in sorted(values.items()) if k != "_key"}),
        action=action,
    )
    return stored.body.decode()
