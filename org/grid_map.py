"""Grids as a map draws them: the grids a viewer may see, the outlines of the streets and
districts they make up, and the inspectors who patrol them. Shapes are WGS-84 shapely
geometries from the grid index (no extra query for the polygons)."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

import msgspec
import shapely

from org.grids import GridInfo, grid_index
from org.tables import GridInspector
from org.units import list_units


class Outline(msgspec.Struct, frozen=True, kw_only=True):
    unit_id: int
    kind: str  # street | district
    name: str
    shape: Any  # WGS-84


async def visible_grids(keep: Callable[[GridInfo], bool]) -> list[tuple[GridInfo, Any]]:
    """Active grids ``keep`` accepts, in code order, with their shapes."""
    index = await grid_index()
    if index.tree is None:
        return []
    shapes = index.tree.geometries
    found = [(info, shapes[i]) for i, info in enumerate(index.grids) if keep(info)]
    return sorted(found, key=lambda item: item[0].code)


async def area_outlines(grids: Iterable[tuple[GridInfo, Any]], *, locale: str) -> list[Outline]:
    """Each street's and district's outline: the union of its unit grids the viewer sees."""
    by_area: dict[tuple[str, int], list[Any]] = {}
    for info, shape in grids:
        if not info.leaf:
            continue
        for kind, unit_id in (("street", info.street_id), ("district", info.district_id)):
            if unit_id is not None:
                by_area.setdefault((kind, unit_id), []).append(shape)
    if not by_area:
        return []
    names = {unit.id: unit.name(locale) for unit in await list_units(active_only=False)}
    return [
        Outline(
            unit_id=unit_id,
            kind=kind,
            name=names.get(unit_id, str(unit_id)),
            shape=shapely.union_all(shapes),
        )
        for (kind, unit_id), shapes in sorted(by_area.items())
    ]


async def inspectors_of_grids(grid_ids: Iterable[int]) -> set[int]:
    ids = sorted(set(grid_ids))
    if not ids:
        return set()
    rows = await GridInspector.select(GridInspector.staff_id).where(GridInspector.grid.is_in(ids))
    return {row["staff_id"] for row in rows}
