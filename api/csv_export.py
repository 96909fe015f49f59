"""The one CSV writer of every export: UTF-8 with a BOM (so Excel reads Chinese), times in
UTC ISO 8601, and text that a spreadsheet would run as a formula made inert.

A cell starting with = + - @ (or a tab or carriage return, which some programs skip before
looking) is a formula to Excel and LibreOffice: a unit named ``=HYPERLINK(...)`` would
become a live link in the operator's spreadsheet (CSV injection, OWASP). Such text gets a
leading apostrophe; numbers stay numbers."""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Iterable, Sequence

from litestar import Response

from core import clock

_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def cell(value: object) -> object:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return value
    if isinstance(value, dt.datetime):
        return clock.as_utc(value).isoformat()
    text = str(value)
    return "'" + text if text.startswith(_FORMULA_STARTS) else text


def csv_bytes(header: Sequence[str], rows: Iterable[Iterable[object]]) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow([cell(name) for name in header])
    for row in rows:
        writer.writerow([cell(value) for value in row])
    return ("\ufeff" + out.getvalue()).encode()


def csv_response(data: bytes, *, filename: str) -> Response[bytes]:
    return Response(
        content=data,
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )
