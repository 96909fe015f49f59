"""The public map of cases: the public cases in a bounding box, one by one when zoomed in and
as counts per grid cell when zoomed out, strictly within the visibility policy
(cases.visibility): public states only, no text of the reporter's, and every position,
the exact one of ordinary categories and the cell centre of private ones, is the *public*
position; filters and clusters are computed from it too, so neither a box nor a cluster of
one can tell more about a private case than its ~200 m cell."""

from __future__ import annotations

import math
from collections.abc import Collection, Sequence
from dataclasses import dataclass

from cases import visibility
from cases.errors import CaseNotFound
from cases.public_errors import MapAreaTooLarge
from cases.tables import Case
from core.db import is_sqlite, raw
from core.replica import replica_reads
from org.categories import private_location_codes

MAX_ZOOM = 22
# A cluster cell is a quarter of a 256-pixel web-map tile (64 px): about what a marker with
# a count covers. A box may span this many cells each way (a big screen at its zoom).
CELLS_PER_TILE = 4
MAX_CELLS_ACROSS = 512
# Zoom derived from a box alone assumes a map about four tiles (1024 px) wide.
TILES_ACROSS = 4


@dataclass(frozen=True, slots=True)
class MapQuery:
    bbox: tuple[float, float, float, float]  # west, south, east, north, WGS-84
    categories: Sequence[str] = ()
    states: Sequence[str] = ()  # public states; empty: all of them
    zoom: int | None = None


@dataclass(frozen=True, slots=True)
class Cluster:
    lat: float
    lon: float
    count: int


@dataclass(frozen=True, slots=True)
class MapAnswer:
    zoom: int
    clustered: bool
    truncated: bool
    clusters: list[Cluster]
    cases: list[visibility.Shown]


def zoom_for(query: MapQuery) -> int:
    if query.zoom is not None:
        return query.zoom
    west, south, east, north = query.bbox
    span = max(east - west, north - south, 1e-9)
    return max(0, min(MAX_ZOOM, math.floor(math.log2(360 * TILES_ACROSS / span))))


def cell_degrees(zoom: int) -> float:
    return 360 / 2**zoom / CELLS_PER_TILE


async def public_map(*, query: MapQuery, cluster_below: int, max_features: int) -> MapAnswer:
    """On the read replica when one is fit (core.replica): a map may be seconds behind."""
    zoom = zoom_for(query)
    private = await private_location_codes()
    async with replica_reads():
        return await _public_map(query, zoom, private, cluster_below, max_features)


async def _public_map(
    query: MapQuery, zoom: int, private: Collection[str], cluster_below: int, max_features: int
) -> MapAnswer:
    if zoom >= cluster_below:
        cases = await _cases(query, private, max_features + 1)
        shown = [visibility.show(case, None, private) for case in cases[:max_features]]
        return MapAnswer(zoom, False, len(cases) > max_features, [], shown)
    cell = cell_degrees(zoom)
    west, south, east, north = query.bbox
    if max(east - west, north - south) / cell > MAX_CELLS_ACROSS:
        raise MapAreaTooLarge()
    clusters = await _clusters(query, private, cell, max_features + 1)
    return MapAnswer(zoom, True, len(clusters) > max_features, clusters[:max_features], [])


async def public_case(*, public_id: str) -> visibility.Shown:
    """One case as the public sees it; 404 ``case.not_found`` unless public."""
    case = await Case.objects().where(Case.public_id == public_id).first()
    target = None if case is None else await visibility.public_target(case)
    if target is None:
        raise CaseNotFound()
    return visibility.show(target, None, await private_location_codes())


def _states(query: MapQuery) -> list[str]:
    return sorted(set(query.states) or visibility.PUBLIC_STATES)


async def _cases(query: MapQuery, private: Collection[str], limit: int) -> list[Case]:
    select = Case.objects().where(
        Case.state.is_in(_states(query)) & visibility.bbox_clause(query.bbox, private)
    )
    if query.categories:
        select = select.where(Case.category_code.is_in(list(query.categories)))
    return (
        await select.order_by(Case.reported_at, ascending=False)
        .order_by(Case.id, ascending=False)
        .limit(limit)
    )


def _floor(expression: str) -> str:
    # SQLite has floor() only when built with its math functions; CAST truncates toward
    # zero, which is the floor for the positive numbers the offset makes of every degree.
    if is_sqlite():
        return f"(CAST(({expression}) + 1000000 AS INTEGER) - 1000000)"
    return f"floor({expression})"


def _public(column: str, step: float, private_in: str) -> str:
    """The public coordinate in SQL: the cell centre for private categories, as
    visibility.coarsen computes it, else the exact value."""
    centre = f"(({_floor(f'{column} / {step!r}')}) + 0.5) * {step!r}"
    return f"CASE WHEN category_code IN ({private_in}) THEN {centre} ELSE {column} END"


async def _clusters(
    query: MapQuery, private: Collection[str], cell: float, limit: int
) -> list[Cluster]:
    """Counts per cell of ``cell`` degrees, each at the mean public position of its cases.
    The inner box is widened by a private cell so it finds every case whose public position
    is inside; the outer one filters on that position."""
    west, south, east, north = query.bbox
    codes = sorted(private) or [""]
    private_in = ", ".join("{}" for _ in codes)
    states = _states(query)
    where = [
        f"state IN ({', '.join('{}' for _ in states)})",
        "lat >= {} AND lat <= {} AND lon >= {} AND lon <= {}",
    ]
    args: list[object] = [*codes, *codes, *states]
    args += [
        south - visibility.CELL_LAT,
        north + visibility.CELL_LAT,
        west - visibility.CELL_LON,
        east + visibility.CELL_LON,
    ]
    if query.categories:
        where.append(f"category_code IN ({', '.join('{}' for _ in query.categories)})")
        args += list(query.categories)
    plat = _public("lat", visibility.CELL_LAT, private_in)
    plon = _public("lon", visibility.CELL_LON, private_in)
    # Only our own expressions and numbers are formatted in; every value is a parameter.
    sql = (
        f"SELECT {_floor(f'plat / {cell!r}')} AS cy, {_floor(f'plon / {cell!r}')} AS cx, "  # noqa: S608
        "count(*) AS n, avg(plat) AS lat, avg(plon) AS lon FROM ("
        f"SELECT {plat} AS plat, {plon} AS plon FROM case_file WHERE {' AND '.join(where)}"
        ") AS shown WHERE plat >= {} AND plat <= {} AND plon >= {} AND plon <= {} "
        "GROUP BY cy, cx ORDER BY n DESC, cy, cx LIMIT {}"
    )
    rows = await raw(sql, *args, south, north, west, east, limit)
    return [
        Cluster(lat=float(row["lat"]), lon=float(row["lon"]), count=int(row["n"])) for row in rows
    ]
