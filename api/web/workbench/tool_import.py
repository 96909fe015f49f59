"""Bulk import from a page: a multipart upload into the importer the API uses, all or
nothing; a refused file comes back with every bad row (line and reason) for a table."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import msgspec
from litestar import Request

from api.untrusted import IMPORT_MAX_BYTES
from core.actors import Actor
from core.db import transaction
from core.errors import DomainError
from org.errors import UnknownCoordSys
from org.geo import COORD_SYSTEMS
from places.errors import ImportMalformed, ImportRejected


class ImportResult(msgspec.Struct, frozen=True, kw_only=True):
    status: int
    imported: int | None = None
    message: str = ""
    rows: list[dict[str, Any]] = []


def _explicit_format(filename: str) -> str | None:
    lowered = filename.lower()
    if lowered.endswith(".csv"):
        return "csv"
    if lowered.endswith((".geojson", ".json")):
        return "geojson"
    return None


async def run_import(
    request: Request,
    actor: Actor,
    prepare: Callable[[bytes, str, str], Awaitable[list]],
    write: Callable[[list], Awaitable[int]],
    detect: Callable[[str | None, str | None], str],
) -> ImportResult:
    form = await request.form()
    upload = form.get("file")
    coord_sys = str(form.get("coordSys") or "wgs84")
    try:
        if upload is None or isinstance(upload, str) or not upload.filename:
            raise ImportMalformed(reason="choose a CSV or GeoJSON file")
        if coord_sys not in COORD_SYSTEMS:
            raise UnknownCoordSys()
        data = await upload.read()
        if len(data) > IMPORT_MAX_BYTES:
            raise ImportMalformed(reason=f"the file is larger than {IMPORT_MAX_BYTES} bytes")
        fmt = detect(upload.content_type, _explicit_format(upload.filename))
        rows = await prepare(data, fmt, coord_sys)
        async with transaction():
            count = await write(rows)
    except ImportRejected as exc:
        return ImportResult(status=exc.status, message=exc.detail(actor.locale), rows=exc.rows)
    except DomainError as exc:
        return ImportResult(status=exc.status, message=exc.detail(actor.locale))
    return ImportResult(status=200, imported=count)
