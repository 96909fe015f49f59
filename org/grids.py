"""Unit grids (单元网格): polygons, the point-to-grid index and grid administration.

The index (a shapely STRtree) lives in process memory. Every change to grids bumps the
"grids" VersionStamp in the same transaction, and every lookup first reads that stamp: one
read of a unique index, far cheaper than the lookup itself, and an admin's edit is seen by
every worker process on the next request instead of after a timer runs out.
"""

from __future__ import annotations

import json
import math
import re
import secrets
import time
from typing import Any

import msgspec
import shapely
from shapely.geometry import Point, shape
from shapely.strtree import STRtree
from shapely.validation import explain_validity

from core import clock
from core.db import is_unique_violation, raw
from core.settings import get_settings
from org import geo
from org.errors import GridCodeTaken, InvalidGrid, InvalidPolygon, UnknownGrid
from org.tables import Grid, GridInspector
from org.units import enclosing, get_unit, unit_kinds_and_parents

STAMP = "grids"
_CODE = re.compile(r"^\d{2,24}$")


class GridInfo(msgspec.Struct, frozen=True, kw_only=True):
    id: int
    code: str
    name: str
    level: int
    parent_id: int | None
    unit_id: int | None
    area_id: int | None
    street_id: int | None
    district_id: int | None
    # A unit grid (单元网格): no grid below it. Inspectors patrol unit grids; a case that
    # falls only in a parent grid has no inspector.
    leaf: bool = True


# --- polygons ---------------------------------------------------------------------------


def _ring(ring: Any, coord_sys: str) -> list[list[float]]:
    if not isinstance(ring, list) or len(ring) < 4:
        raise InvalidPolygon(reason="a ring needs at least 4 positions")
    points = []
    for position in ring:
        if (
            not isinstance(position, list)
            or len(position) not in (2, 3)
            or not all(isinstance(v, int | float) and not isinstance(v, bool) for v in position)
        ):
            raise InvalidPolygon(reason="a position is [longitude, latitude]")
        lon, lat = float(position[0]), float(position[1])
        if not (
            math.isfinite(lat) and math.isfinite(lon) and -90 <= lat <= 90 and -180 <= lon <= 180
        ):
            raise InvalidPolygon(reason="positions are [longitude, latitude] within range")
        lat, lon = geo.to_wgs84(lat, lon, coord_sys)
        points.append([lon, lat])
    if ring[0][:2] != ring[-1][:2]:
        raise InvalidPolygon(reason="a ring must be closed (last position = first)")
    points[-1] = points[0]  # keep the ring closed after the transform, bit for bit
    return points


def _polygon_rings(rings: Any, coord_sys: str) -> list[list[list[float]]]:
    if not isinstance(rings, list) or not rings:
        raise InvalidPolygon(reason="a polygon needs an outer ring")
    return [_ring(ring, coord_sys) for ring in rings]


def parse_polygon(polygon: str | dict, *, coord_sys: str = "wgs84") -> tuple[Any, str]:
    """A GeoJSON Polygon or MultiPolygon geometry ([lon, lat] order, in ``coord_sys``),
    validated, as (shapely geometry, WGS-84 GeoJSON text to store)."""
    if isinstance(polygon, str):
        try:
            polygon = json.loads(polygon)
        except ValueError:
            raise InvalidPolygon(reason="not valid JSON") from None
    if not isinstance(polygon, dict) or polygon.get("type") not in ("Polygon", "MultiPolygon"):
        raise InvalidPolygon(reason="expected a GeoJSON Polygon or MultiPolygon geometry")
    coordinates = polygon.get("coordinates")
    if polygon["type"] == "Polygon":
        cleaned: list = _polygon_rings(coordinates, coord_sys)
    else:
        if not isinstance(coordinates, list) or not coordinates:
            raise InvalidPolygon(reason="a multipolygon needs at least one polygon")
        cleaned = [_polygon_rings(part, coord_sys) for part in coordinates]
    geometry = {"type": polygon["type"], "coordinates": cleaned}
    shaped = shape(geometry)
    if not shaped.is_valid:  # also catches rings without area (GEOS: self-intersection)
        raise InvalidPolygon(reason=explain_validity(shaped))
    return shaped, json.dumps(geometry, separators=(",", ":"))


# --- the version stamp and the index ------------------------------------------------------


async def grids_version() -> int | None:
    rows = await raw("SELECT version FROM version_stamp WHERE name = {}", STAMP)
    return rows[0]["version"] if rows else None


async def bump_grids_version() -> None:
    """Call in the transaction that changed grids. A new stamp starts at a random number,
    not 1: after the table is emptied (tests, a restore) a process must not mistake a fresh
    stamp for the one its cache was built at."""
    global _index
    await raw(
        "INSERT INTO version_stamp (name, version) VALUES ({}, {}) ON CONFLICT (name) "
        "DO UPDATE SET version = version_stamp.version + 1",
        STAMP,
        secrets.randbelow(2**30) + 1,
    )
    _index = None  # this process sees its own change at once


class GridIndex:
    def __init__(self, version: int | None, grids: list[GridInfo], shapes: list[Any]) -> None:
        self.version = version
        self.grids = grids
        self.tree = STRtree(shapes) if shapes else None

    def lookup(self, lat: float, lon: float) -> GridInfo | None:
        """The grid covering the point. Boundaries count as inside (``intersects``), so a
        point on an edge shared by two grids matches both; the deepest level wins, then
        the smallest code: the same grid every time, in every process."""
        if self.tree is None:
            return None
        hits = self.tree.query(Point(lon, lat), predicate="intersects")
        if len(hits) == 0:
            return None
        return min((self.grids[i] for i in hits), key=lambda grid: (-grid.level, grid.code))


_index: GridIndex | None = None


async def _build_index(version: int | None) -> GridIndex:
    rows = await Grid.select(
        Grid.id,
        Grid.code,
        Grid.name,
        Grid.level,
        Grid.parent,
        Grid.unit,
        Grid.area,
        Grid.polygon,
    ).where(Grid.active.eq(True))
    units = await unit_kinds_and_parents()
    parents = {row["parent"] for row in rows}
    grids, shapes = [], []
    for row in rows:
        grids.append(msgspec.structs.replace(grid_info(row, units), leaf=row["id"] not in parents))
        shapes.append(shapely.from_geojson(row["polygon"]))
    return GridIndex(version, grids, shapes)


async def city_has_grids() -> bool:
    """Whether the city's area is drawn at all (before any grid, nowhere is outside it)."""
    return bool((await grid_index()).grids)


_checked_at = 0.0


async def grid_index() -> GridIndex:
    """The current index, rebuilt when the stamp moved. The stamp is read at most every
    CITYOPS_CACHE_CHECK_SECONDS (an edit reaches other processes within that), so a burst
    of reports does not pay a query each. Two requests may rebuild at once after a change;
    both build the same index, so no lock is worth holding."""
    global _index, _checked_at
    now = time.monotonic()
    if _index is not None and now - _checked_at < get_settings().cache_check_seconds:
        return _index
    version = await grids_version()  # read before the rows: rows are at least this new
    if _index is None or _index.version != version:
        _index = await _build_index(version)
    _checked_at = now
    return _index


async def locate(*, lat: float, lon: float) -> GridInfo | None:
    """The grid of a WGS-84 point; None outside every grid (the unassigned queue)."""
    geo.validate(lat, lon)
    return (await grid_index()).lookup(lat, lon)


# --- grid administration -------------------------------------------------------------------


def grid_info(row: dict, units: dict[int, tuple[str, int | None]]) -> GridInfo:
    area = row["area"]
    return GridInfo(
        id=row["id"],
        code=row["code"],
        name=row["name"],
        level=row["level"],
        parent_id=row["parent"],
        unit_id=row["unit"],
        area_id=area,
        street_id=enclosing(units, area, "street"),
        district_id=enclosing(units, area, "district"),
    )


async def get_grid(*, code: str) -> GridInfo:
    row = await Grid.select().where(Grid.code == code).first()
    if row is None:
        raise UnknownGrid(grid=code)
    return grid_info(row, await unit_kinds_and_parents())


async def grid_polygon(*, code: str) -> str | None:
    """The GeoJSON (WGS-84) of an active grid, None when there is no such grid."""
    row = await Grid.select(Grid.polygon).where((Grid.code == code) & Grid.active.eq(True)).first()
    return None if row is None else row["polygon"]


async def find_grid(*, grid_id: int) -> GridInfo | None:
    """A grid by id, retired ones included (old cases still name them)."""
    row = await Grid.select().where(Grid.id == grid_id).first()
    return None if row is None else grid_info(row, await unit_kinds_and_parents())


async def _check_area(area_id: int | None) -> None:
    if area_id is None:
        return
    area = await get_unit(unit_id=area_id)
    if area.kind not in ("community", "street", "district"):
        raise InvalidGrid(reason="the area must be a community, street or district")


def _bbox(shaped: Any) -> dict[str, float]:
    min_lon, min_lat, max_lon, max_lat = shaped.bounds
    return {"min_lat": min_lat, "min_lon": min_lon, "max_lat": max_lat, "max_lon": max_lon}


async def create_grid(
    *,
    code: str,
    name: str,
    polygon: str | dict,
    coord_sys: str = "wgs84",
    parent_code: str | None = None,
    unit_id: int | None = None,
    area_id: int | None = None,
) -> GridInfo:
    """A grid whose code extends its parent's (370202 > 370202001 > ... > 370202001001001)."""
    if not _CODE.match(code):
        raise InvalidGrid(reason="the code is 2 to 24 digits")
    if not name.strip():
        raise InvalidGrid(reason="a name is required")
    shaped, geojson = parse_polygon(polygon, coord_sys=coord_sys)
    parent_id, level = None, 1
    if parent_code is not None:
        parent = await Grid.select(Grid.id, Grid.level).where(Grid.code == parent_code).first()
        if parent is None:
            raise UnknownGrid(grid=parent_code)
        if not code.startswith(parent_code) or code == parent_code:
            raise InvalidGrid(reason="a grid code extends its parent's code")
        parent_id, level = parent["id"], parent["level"] + 1
    if unit_id is not None:
        await get_unit(unit_id=unit_id)
    await _check_area(area_id)
    if await Grid.exists().where(Grid.code == code):
        raise GridCodeTaken(code=code)
    row = Grid(
        code=code,
        name=name.strip(),
        parent=parent_id,
        level=level,
        polygon=geojson,
        unit=unit_id,
        area=area_id,
        created_at=clock.now(),
        updated_at=clock.now(),
        **_bbox(shaped),
    )
    try:
        await row.save()
    except Exception as exc:
        if is_unique_violation(exc):
            raise GridCodeTaken(code=code) from None
        raise
    await bump_grids_version()
    return await get_grid(code=code)


async def update_grid(
    *,
    code: str,
    name: str | None = None,
    polygon: str | dict | None = None,
    coord_sys: str = "wgs84",
    unit_id: int | None = None,
    area_id: int | None = None,
    active: bool | None = None,
) -> GridInfo:
    row = await Grid.objects().where(Grid.code == code).first()
    if row is None:
        raise UnknownGrid(grid=code)
    changes: dict[Any, Any] = {Grid.updated_at: clock.now()}
    if name is not None:
        if not name.strip():
            raise InvalidGrid(reason="a name is required")
        changes[Grid.name] = name.strip()
    if polygon is not None:
        shaped, changes[Grid.polygon] = parse_polygon(polygon, coord_sys=coord_sys)
        changes.update({getattr(Grid, name): value for name, value in _bbox(shaped).items()})
    if unit_id is not None:
        await get_unit(unit_id=unit_id)
        changes[Grid.unit] = unit_id
    if area_id is not None:
        await _check_area(area_id)
        changes[Grid.area] = area_id
    if active is not None:
        changes[Grid.active] = active
    await Grid.update(changes).where(Grid.id == row.id)
    await bump_grids_version()
    return await get_grid(code=code)


async def _grid_id(code: str) -> int:
    row = await Grid.select(Grid.id).where(Grid.code == code).first()
    if row is None:
        raise UnknownGrid(grid=code)
    return row["id"]


async def assign_inspector(*, grid_code: str, staff_id: int) -> None:
    """Idempotent: assigning twice keeps one assignment."""
    grid_id = await _grid_id(grid_code)
    await raw(
        "INSERT INTO grid_inspector (grid, staff_id, slot, created_at) VALUES ({}, {}, {}, {}) "
        "ON CONFLICT (slot) DO NOTHING",
        grid_id,
        staff_id,
        f"{grid_id}:{staff_id}",
        clock.now(),
    )


async def unassign_inspector(*, grid_code: str, staff_id: int) -> None:
    grid_id = await _grid_id(grid_code)
    await GridInspector.delete().where(GridInspector.slot == f"{grid_id}:{staff_id}")


async def inspector_grid_ids(*, staff_id: int) -> list[int]:
    """The grids an inspector patrols (their cases are the ones they may see)."""
    rows = (
        await GridInspector.select(GridInspector.grid)
        .where(GridInspector.staff_id == staff_id)
        .order_by(GridInspector.grid)
    )
    return [row["grid"] for row in rows]


async def grid_inspector_ids(*, grid_id: int) -> list[int]:
    rows = (
        await GridInspector.select(GridInspector.staff_id)
        .where(GridInspector.grid == grid_id)
        .order_by(GridInspector.staff_id)
    )
    return [row["staff_id"] for row in rows]


async def grids_in_view(
    *, min_lat: float, min_lon: float, max_lat: float, max_lon: float
) -> list[GridInfo]:
    """Active grids whose bounding box meets the view (a map asking what to draw)."""
    rows = (
        await Grid.select()
        .where(
            Grid.active.eq(True)
            & (Grid.max_lat >= min_lat)
            & (Grid.min_lat <= max_lat)
            & (Grid.max_lon >= min_lon)
            & (Grid.min_lon <= max_lon)
        )
        .order_by(Grid.code)
    )
    units = await unit_kinds_and_parents()
    return [grid_info(row, units) for row in rows]
