"""Grid administration in bulk: listing, inspector assignments and GeoJSON import.

An import is checked as a whole before anything is written: one bad feature refuses the
file, so a city never ends up with half a grid layer. Overlaps between sibling grids and
gaps in a parent's coverage are not errors (surveys are imperfect, and a point on an
overlap still resolves to one grid) but are reported so the GIS team can fix the source.
"""

from __future__ import annotations

import math
import re
from typing import Any

import msgspec
import shapely
from shapely.strtree import STRtree

from org import grids
from org.errors import GridImportInvalid, InvalidPolygon
from org.tables import Grid, GridInspector
from org.units import get_unit_by_code, unit_kinds_and_parents

MAX_FEATURES = 5000
_CODE = re.compile(r"^\d{2,24}$")
# Slivers below this many square metres are rounding in the source data, not overlaps/gaps.
MIN_REPORTED_M2 = 1.0


class GridRow(msgspec.Struct, frozen=True, kw_only=True):
    id: int
    code: str
    name: str
    level: int
    parent_code: str | None
    unit_id: int | None
    area_id: int | None
    active: bool
    min_lat: float
    min_lon: float
    max_lat: float
    max_lon: float
    inspector_ids: list[int]


class Overlap(msgspec.Struct, frozen=True, kw_only=True):
    a: str
    b: str
    area_m2: float


class Gap(msgspec.Struct, frozen=True, kw_only=True):
    parent: str
    area_m2: float
    # A point inside the uncovered area, [lon, lat], to find it on a map.
    at: list[float]


class Outside(msgspec.Struct, frozen=True, kw_only=True):
    code: str
    parent: str
    area_m2: float


class ImportReport(msgspec.Struct, frozen=True, kw_only=True):
    created: list[str]
    updated: list[str]
    overlaps: list[Overlap]
    gaps: list[Gap]
    outside_parent: list[Outside]
    dry_run: bool


async def list_grids(*, include_inactive: bool = False, code: str | None = None) -> list[GridRow]:
    query = Grid.select(
        Grid.id,
        Grid.code,
        Grid.name,
        Grid.level,
        Grid.parent.code,
        Grid.unit,
        Grid.area,
        Grid.active,
        Grid.min_lat,
        Grid.min_lon,
        Grid.max_lat,
        Grid.max_lon,
    ).order_by(Grid.code)
    if not include_inactive:
        query = query.where(Grid.active.eq(True))
    inspectors = GridInspector.select(GridInspector.grid, GridInspector.staff_id).order_by(
        GridInspector.staff_id
    )
    if code is not None:
        query = query.where(Grid.code == code)
        inspectors = inspectors.where(GridInspector.grid.code == code)
    rows = await query
    assigned: dict[int, list[int]] = {}
    for row in await inspectors:
        assigned.setdefault(row["grid"], []).append(row["staff_id"])
    return [
        GridRow(
            id=r["id"],
            code=r["code"],
            name=r["name"],
            level=r["level"],
            parent_code=r["parent.code"],
            unit_id=r["unit"],
            area_id=r["area"],
            active=bool(r["active"]),
            min_lat=r["min_lat"],
            min_lon=r["min_lon"],
            max_lat=r["max_lat"],
            max_lon=r["max_lon"],
            inspector_ids=assigned.get(r["id"], []),
        )
        for r in rows
    ]


async def grid_codes_of_inspector(*, staff_id: int) -> list[str]:
    rows = (
        await GridInspector.select(GridInspector.grid.code)
        .where(GridInspector.staff_id == staff_id)
        .order_by(GridInspector.grid.code)
    )
    return [row["grid.code"] for row in rows]


async def set_inspector_grids(*, staff_id: int, grid_codes: list[str]) -> list[str]:
    """Make the inspector's grids exactly ``grid_codes``; unknown codes refuse the change."""
    wanted = sorted(set(grid_codes))
    for code in wanted:
        await grids.get_grid(code=code)  # grid.unknown before anything changes
    current = await grid_codes_of_inspector(staff_id=staff_id)
    for code in set(current) - set(wanted):
        await grids.unassign_inspector(grid_code=code, staff_id=staff_id)
    for code in set(wanted) - set(current):
        await grids.assign_inspector(grid_code=code, staff_id=staff_id)
    return wanted


# --- GeoJSON import -----------------------------------------------------------------------


def _m2(area_deg2: float, lat: float) -> float:
    """Square degrees to square metres near ``lat`` (good enough to rank slivers)."""
    return area_deg2 * 111_320.0 * 111_320.0 * math.cos(math.radians(lat))


class _Feature(msgspec.Struct, kw_only=True):
    index: int
    code: str
    name: str
    parent: str | None
    shape: Any
    geojson: dict
    unit_id: int | None
    area_id: int | None


async def _unit_id(code: Any, field: str, problems: list[str]) -> int | None:
    if code in (None, ""):
        return None
    unit = await get_unit_by_code(code=str(code)) if isinstance(code, str | int) else None
    if unit is None or not unit.active:
        problems.append(f"{field} {code!r} is not an active unit")
        return None
    return unit.id


async def _parse_feature(
    index: int, feature: Any, coord_sys: str
) -> tuple[_Feature | None, list[str]]:
    problems: list[str] = []
    if not isinstance(feature, dict) or feature.get("type") != "Feature":
        return None, ["not a GeoJSON Feature"]
    props = feature.get("properties") or {}
    if not isinstance(props, dict):
        return None, ["properties must be an object"]
    code, name, parent = props.get("code"), props.get("name"), props.get("parent")
    if not isinstance(code, str) or not _CODE.match(code):
        problems.append("properties.code is 2 to 24 digits")
    if not isinstance(name, str) or not name.strip() or len(name) > 100:
        problems.append("properties.name is required (at most 100 characters)")
    if parent is not None and (
        not isinstance(parent, str)
        or not isinstance(code, str)
        or not code.startswith(parent)
        or code == parent
    ):
        problems.append("properties.parent is a code that the grid's code extends")
    shaped, geojson = None, None
    try:
        shaped, text = grids.parse_polygon(feature.get("geometry") or {}, coord_sys=coord_sys)
        geojson = msgspec.json.decode(text)
    except InvalidPolygon as exc:
        problems.append(f"geometry: {exc.params.get('reason')}")
    unit_id = await _unit_id(props.get("unitCode"), "unitCode", problems)
    area_id = await _unit_id(props.get("areaCode"), "areaCode", problems)
    if area_id is not None:
        kinds = await unit_kinds_and_parents()
        if kinds[area_id][0] not in ("community", "street", "district"):
            problems.append("areaCode must be a community, street or district")
    if problems:
        return None, problems
    return _Feature(
        index=index,
        code=code,
        name=name.strip(),
        parent=parent,
        shape=shaped,
        geojson=geojson,
        unit_id=unit_id,
        area_id=area_id,
    ), []


def _analyse(
    features: list[_Feature], parents: dict[str, Any]
) -> tuple[list[Overlap], list[Gap], list[Outside]]:
    overlaps: list[Overlap] = []
    gaps: list[Gap] = []
    outside: list[Outside] = []
    by_parent: dict[str | None, list[_Feature]] = {}
    for f in features:
        by_parent.setdefault(f.parent, []).append(f)
    for parent_code, siblings in sorted(by_parent.items(), key=lambda kv: kv[0] or ""):
        shapes = [f.shape for f in siblings]
        tree = STRtree(shapes)
        for i, j in zip(*tree.query(shapes, predicate="intersects"), strict=True):
            if i >= j:
                continue
            common = shapes[i].intersection(shapes[j])
            area = _m2(common.area, common.centroid.y if not common.is_empty else 0)
            if area >= MIN_REPORTED_M2:
                overlaps.append(
                    Overlap(a=siblings[i].code, b=siblings[j].code, area_m2=round(area, 1))
                )
        parent_shape = parents.get(parent_code) if parent_code else None
        if parent_shape is None:
            continue
        lat = parent_shape.centroid.y
        uncovered = parent_shape.difference(shapely.union_all(shapes))
        for part in getattr(uncovered, "geoms", [uncovered]):
            if not part.is_empty and _m2(part.area, lat) >= MIN_REPORTED_M2:
                point = part.representative_point()
                gaps.append(
                    Gap(
                        parent=parent_code,
                        area_m2=round(_m2(part.area, lat), 1),
                        at=[round(point.x, 7), round(point.y, 7)],
                    )
                )
        for f in siblings:
            beyond = f.shape.difference(parent_shape)
            if _m2(beyond.area, lat) >= MIN_REPORTED_M2:
                outside.append(
                    Outside(
                        code=f.code, parent=parent_code, area_m2=round(_m2(beyond.area, lat), 1)
                    )
                )
    overlaps.sort(key=lambda o: (o.a, o.b))
    return overlaps, gaps, outside


async def import_grids(
    *, collection: Any, coord_sys: str = "wgs84", dry_run: bool = False
) -> ImportReport:
    """Create or update grids from a GeoJSON FeatureCollection whose features carry
    ``properties``: code, name, parent (a code, in the file or already stored), unitCode,
    areaCode. Parents are written before their children whatever the file order."""
    if not isinstance(collection, dict) or collection.get("type") != "FeatureCollection":
        raise GridImportInvalid(
            count=1, errors=[{"index": None, "code": None, "problems": ["not a FeatureCollection"]}]
        )
    raw_features = collection.get("features")
    if not isinstance(raw_features, list) or not 1 <= len(raw_features) <= MAX_FEATURES:
        raise GridImportInvalid(
            count=1,
            errors=[
                {
                    "index": None,
                    "code": None,
                    "problems": [f"features is a list of 1 to {MAX_FEATURES} features"],
                }
            ],
        )
    errors: list[dict] = []
    features: list[_Feature] = []
    for index, raw_feature in enumerate(raw_features):
        feature, problems = await _parse_feature(index, raw_feature, coord_sys)
        if feature is None:
            code = (
                (raw_feature.get("properties") or {}).get("code")
                if isinstance(raw_feature, dict) and isinstance(raw_feature.get("properties"), dict)
                else None
            )
            errors.append({"index": index, "code": code, "problems": problems})
        else:
            features.append(feature)
    seen: dict[str, int] = {}
    for f in features:
        if f.code in seen:
            errors.append(
                {
                    "index": f.index,
                    "code": f.code,
                    "problems": [f"code repeats feature {seen[f.code]}"],
                }
            )
        seen.setdefault(f.code, f.index)
    in_file = {f.code: f.shape for f in features}
    stored = {row["code"]: row for row in await Grid.select(Grid.code, Grid.polygon, Grid.parent)}
    parents: dict[str, Any] = dict(in_file)
    for f in features:
        if f.parent and f.parent not in in_file:
            if f.parent not in stored:
                errors.append(
                    {
                        "index": f.index,
                        "code": f.code,
                        "problems": [f"parent {f.parent} is neither in the file nor stored"],
                    }
                )
            else:
                parents[f.parent] = shapely.from_geojson(stored[f.parent]["polygon"])
    if errors:
        errors.sort(key=lambda e: e["index"] if e["index"] is not None else -1)
        raise GridImportInvalid(count=len(errors), errors=errors)
    overlaps, gaps, outside = _analyse(features, parents)
    created, updated = [], []
    for f in sorted(features, key=lambda f: (len(f.code), f.code)):  # parents first
        if f.code in stored:
            updated.append(f.code)
            if not dry_run:
                await grids.update_grid(
                    code=f.code,
                    name=f.name,
                    polygon=f.geojson,
                    unit_id=f.unit_id,
                    area_id=f.area_id,
                )
        else:
            created.append(f.code)
            if not dry_run:
                await grids.create_grid(
                    code=f.code,
                    name=f.name,
                    polygon=f.geojson,
                    parent_code=f.parent,
                    unit_id=f.unit_id,
                    area_id=f.area_id,
                )
    return ImportReport(
        created=created,
        updated=updated,
        overlaps=overlaps,
        gaps=gaps,
        outside_parent=outside,
        dry_run=dry_run,
    )


async def grid_polygon(*, code: str) -> dict:
    row = await Grid.select(Grid.polygon).where(Grid.code == code).first()
    if row is None:
        from org.errors import UnknownGrid

        raise UnknownGrid(grid=code)
    return msgspec.json.decode(row["polygon"])
