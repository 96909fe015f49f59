"""The form of ``POST requests.{format}``: the report, and what the sender tells of its
caller (GeoReport's first_name, last_name, email, phone, device_id, account_id) and of the
request's photo (``media_url``: a link kept as given, never fetched)."""

from __future__ import annotations

import math
import re
from typing import Any
from urllib.parse import urlsplit

from api.open311.errors import Open311Error
from api.types import parse_datetime
from cases import hotline
from cases.reporting import NewCase


def form_value(data: dict[str, Any], name: str) -> str | None:
    value = data.get(name)
    if isinstance(value, list):
        value = value[0] if value else None
    return None if value is None else str(value)


def _float(data: dict[str, Any], name: str, low: float, high: float) -> float:
    text = form_value(data, name)
    try:
        value = float(text) if text is not None else math.nan
    except ValueError:
        value = math.nan
    if not (math.isfinite(value) and low <= value <= high):
        raise Open311Error(reason=f"{name} is required, a number from {low} to {high} (WGS-84)")
    return value


def new_case(data: dict[str, Any]) -> NewCase:
    code = form_value(data, "service_code")
    if not code:
        raise Open311Error(reason="service_code is required")
    description = form_value(data, "description") or ""
    address = form_value(data, "address_string") or ""
    if len(description) > 1000 or len(address) > 200:
        raise Open311Error(
            reason="description is at most 1000 characters, address_string at most 200"
        )
    occurred = form_value(data, "attribute[occurred_at]")
    occurred_at = None
    if occurred:
        try:
            occurred_at = parse_datetime(occurred)
        except (TypeError, ValueError) as exc:
            raise Open311Error(reason=f"attribute[occurred_at]: {exc}") from None
    anonymous = (form_value(data, "attribute[anonymous]") or "").lower() == "true"
    return NewCase(
        category_code=code,
        lat=_float(data, "lat", -90, 90),
        lon=_float(data, "long", -180, 180),
        description=description,
        address=address,
        occurred_at=occurred_at,
        anonymous=anonymous,
    )


_EMAIL = re.compile(r"^[^@\s]{1,64}@[^@\s]+\.[^@\s]+$")
# Text limits of the caller's fields: the longest plausible, not the longest possible.
_LIMITS = {"email": 254, "device_id": 100, "account_id": 100}


def _media_url(data: dict[str, Any]) -> str | None:
    """A link to the photo on the sender's side, kept as text: an http(s) URL with a host
    and no credentials in it. We never fetch it (no request leaves the city network on a
    client's say-so); the client that filed it gets it back."""
    url = form_value(data, "media_url")
    if not url:
        return None
    parts = urlsplit(url) if len(url) <= 1000 else None
    if parts is None or parts.scheme not in ("http", "https") or not parts.hostname:
        raise Open311Error(reason="media_url is an http or https URL of at most 1000 characters")
    if parts.username or parts.password:
        raise Open311Error(reason="media_url carries no user name or password")
    return url


def caller(data: dict[str, Any]) -> hotline.CallerIn | None:
    """The caller as the sender gave them; None when it gave nothing of them."""
    name = " ".join(
        v for v in (form_value(data, "last_name"), form_value(data, "first_name")) if v
    ).strip()
    if len(name) > 40:
        raise Open311Error(reason="first_name and last_name are at most 40 characters together")
    details = {}
    for field, limit in _LIMITS.items():
        value = (form_value(data, field) or "").strip()
        if len(value) > limit:
            raise Open311Error(reason=f"{field} is at most {limit} characters")
        if value:
            details[field] = value
    if "email" in details and not _EMAIL.match(details["email"]):
        raise Open311Error(reason="email is not an e-mail address")
    if (url := _media_url(data)) is not None:
        details["media_url"] = url
    phone = form_value(data, "phone") or None
    if not (name or phone or details):
        return None
    return hotline.CallerIn(name=name, phone=phone, details=details)
