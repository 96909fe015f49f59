"""Bulk import of signposts (CSV or GeoJSON): checked whole, every bad row reported with
its line and reason, written all or nothing. Columns: name, lat, lon, and optionally code
(a printed sticker's code, verified), kind, status, installed_on (YYYY-MM-DD), grid."""

from __future__ import annotations

import datetime as dt

from core import clock
from core.db import is_unique_violation
from core.errors import DomainError
from core.settings import get_settings
from org import geo
from org import service as org
from org.grids import grid_index
from places.importer import insert_rows
from places.tabular import Format, number, read_rows
from qr import codes
from qr.service import STATUSES, existing_codes, unused_codes

_COLUMNS = (
    "code",
    "name",
    "kind",
    "lat",
    "lon",
    "grid_id",
    "grid_code",
    "status",
    "installed_on",
    "created_at",
    "updated_at",
)


async def prepare_signposts(*, data: bytes, fmt: Format, coord_sys: str = "wgs84") -> list[tuple]:
    """Parse and check every row before any transaction opens; raises ImportRejected
    listing every bad row. A code that another writer takes meanwhile fails the write."""
    rows = read_rows(data, fmt, max_rows=get_settings().places_import_max_rows)
    given = [codes.normalize_or_none(str(row.get("code") or "")) for _, row in rows]
    wanted = [code for code in given if code]
    taken = await existing_codes(wanted)
    minted = iter(await unused_codes(given.count(None), avoid=wanted))
    index = await grid_index()
    seen: dict[str, int] = {}
    now = clock.now()
    good, bad = [], []
    for (line, row), code in zip(rows, given, strict=True):
        try:
            if "__error__" in row:
                raise ValueError(row["__error__"])
            name = str(row.get("name") or "").strip()
            if not name or len(name) > 200:
                raise ValueError("name is missing" if not name else "name is too long")
            lat, lon = number(row, "lat"), number(row, "lon")
            if not (-90 <= lat <= 90 and -180 <= lon <= 180):
                raise ValueError("lat must lie in [-90, 90] and lon in [-180, 180]")
            lat, lon = geo.to_wgs84(lat, lon, coord_sys)
            if row.get("code"):
                code = codes.verify(str(row["code"]))
                if code in taken:
                    raise ValueError(f"code {code} already exists")
                if code in seen:
                    raise ValueError(f"code {code} repeats line {seen[code]}")
            else:
                code = next(minted)
            seen[code] = line
            kind = str(row.get("kind") or "intersection").strip()[:32]
            status = str(row.get("status") or "active").strip()
            if status not in STATUSES:
                raise ValueError(f"status must be one of {', '.join(STATUSES)}")
            installed = row.get("installed_on")
            try:
                installed = dt.date.fromisoformat(str(installed)) if installed else None
            except ValueError:
                raise ValueError(f"installed_on must be YYYY-MM-DD, got {installed!r}") from None
            if row.get("grid"):
                grid = await org.get_grid(code=str(row["grid"]))
            else:
                grid = index.lookup(lat, lon)
            good.append(
                (
                    code,
                    name,
                    kind,
                    lat,
                    lon,
                    grid.id if grid else None,
                    grid.code if grid else "",
                    status,
                    installed,
                    now,
                    now,
                )
            )
        except ValueError as exc:
            bad.append({"line": line, "reason": str(exc)})
        except DomainError as exc:
            bad.append({"line": line, "reason": exc.detail("en")})
    if bad:
        from places.errors import ImportRejected

        raise ImportRejected(bad)
    return good


async def write_signposts(rows: list[tuple]) -> int:
    """Insert prepared rows, all or none (in the request's transaction)."""
    try:
        await insert_rows("signpost", _COLUMNS, rows)
    except Exception as exc:
        if not is_unique_violation(exc):
            raise
        from places.errors import ImportRejected

        taken = {"line": 0, "reason": "a code was taken meanwhile by another writer; import again"}
        raise ImportRejected([taken]) from None
    return len(rows)
