"""Track geometry, pure functions: jump filtering, distance and grid coverage.

Phones report GPS fixes that sometimes jump hundreds of metres (multipath between tall
buildings, a cell-tower fallback). A fix that would mean moving faster than a person can
is dropped; if several fixes in a row all disagree with the last kept one, the last kept
one was the outlier (or the inspector took a bus), so the track restarts there without
counting the gap as distance.

Coverage is computed in a local metric projection (an equirectangular plane around the
track's middle; at city scale its error is far below GPS noise): the track is buffered by
~30 m, the width of a street an inspector can see, and intersected with each grid polygon.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from typing import Any, NamedTuple

import numpy as np
import shapely
from shapely.geometry import LineString, MultiLineString, Point

from org.geo import EARTH_RADIUS_M, distance_m

# Fast cycling; an inspector on an e-bike in city traffic stays below it.
MAX_SPEED_MPS = 12.0
# Jitter allowance: a fix a few metres off within the same second is not a jump.
JITTER_M = 25.0
RESTART_AFTER = 3  # consecutive rejected fixes that re-anchor the track
BUFFER_M = 30.0
SIMPLIFY_M = 3.0


class Fix(NamedTuple):
    t_ms: int
    lat: float
    lon: float


def segments(fixes: Iterable[Fix]) -> tuple[list[list[Fix]], int]:
    """The plausible runs of a track, in time order, and how many fixes were dropped."""
    runs: list[list[Fix]] = []
    current: list[Fix] = []
    rejected: list[Fix] = []
    dropped = 0
    for fix in sorted(fixes):
        if not current:
            current = [fix]
            continue
        last = current[-1]
        seconds = max((fix.t_ms - last.t_ms) / 1000.0, 0.001)
        moved = distance_m(last.lat, last.lon, fix.lat, fix.lon)
        if moved <= JITTER_M or moved / seconds <= MAX_SPEED_MPS:
            current.append(fix)
            dropped += len(rejected)
            rejected = []
            continue
        rejected.append(fix)
        if len(rejected) >= RESTART_AFTER and _consistent(rejected):
            runs.append(current)
            current, rejected = list(rejected), []
    dropped += len(rejected)
    if current:
        runs.append(current)
    return runs, dropped


def _consistent(fixes: Sequence[Fix]) -> bool:
    return all(
        distance_m(a.lat, a.lon, b.lat, b.lon)
        <= JITTER_M + MAX_SPEED_MPS * max((b.t_ms - a.t_ms) / 1000.0, 0.001)
        for a, b in zip(fixes, fixes[1:], strict=False)
    )


def run_length_m(run: Sequence[Fix]) -> float:
    return sum(distance_m(a.lat, a.lon, b.lat, b.lon) for a, b in zip(run, run[1:], strict=False))


class Plane:
    """A local metric plane: x, y in metres from (lat0, lon0)."""

    def __init__(self, lat0: float, lon0: float) -> None:
        self.lat0, self.lon0 = lat0, lon0
        self.k_lon = math.radians(1) * EARTH_RADIUS_M * math.cos(math.radians(lat0))
        self.k_lat = math.radians(1) * EARTH_RADIUS_M

    def forward(self, geometry: Any) -> Any:
        k_lon, k_lat, lon0, lat0 = self.k_lon, self.k_lat, self.lon0, self.lat0
        return shapely.transform(
            geometry,
            lambda c: np.column_stack(((c[:, 0] - lon0) * k_lon, (c[:, 1] - lat0) * k_lat)),
        )

    def inverse(self, geometry: Any) -> Any:
        k_lon, k_lat, lon0, lat0 = self.k_lon, self.k_lat, self.lon0, self.lat0
        return shapely.transform(
            geometry, lambda c: np.column_stack((c[:, 0] / k_lon + lon0, c[:, 1] / k_lat + lat0))
        )


def track_geometry(runs: Sequence[Sequence[Fix]]) -> Any | None:
    """The runs as one WGS-84 geometry ([lon, lat]); a run of one fix is a point."""
    parts = []
    for run in runs:
        coords = [(f.lon, f.lat) for f in run]
        parts.append(LineString(coords) if len(set(coords)) > 1 else Point(coords[0]))
    if not parts:
        return None
    lines = [p for p in parts if isinstance(p, LineString)]
    points = [p for p in parts if isinstance(p, Point)]
    if points:
        return shapely.GeometryCollection(lines + points)
    return MultiLineString(lines)


def _plane_for(geometries: Sequence[Any]) -> Plane:
    """A plane centred on the middle of the geometries' bounding box (a union to find a
    centroid would node every crossing of a much-walked track: seconds, for nothing)."""
    min_lon, min_lat, max_lon, max_lat = shapely.GeometryCollection(list(geometries)).bounds
    return Plane((min_lat + max_lat) / 2, (min_lon + max_lon) / 2)


def covered_area(track: Any | None) -> Any | None:
    """The WGS-84 area within BUFFER_M of a WGS-84 track, simplified to about a metre. It
    is what a patrol keeps: period statistics union these areas instead of re-buffering
    every track."""
    if track is None or track.is_empty:
        return None
    plane = _plane_for([track])
    area = buffered(plane.forward(track)).simplify(1.0)
    return shapely.set_precision(plane.inverse(area), 1e-7)


def coverage(areas: Sequence[Any | None], grid_shapes: dict[int, Any]) -> dict[int, float]:
    """Share (0..1) of each grid's area (WGS-84 shapes by grid id) inside any of the
    covered ``areas`` (WGS-84, from ``covered_area``)."""
    present = [a for a in areas if a is not None and not a.is_empty]
    if not grid_shapes:
        return {}
    if not present:
        return {grid_id: 0.0 for grid_id in grid_shapes}
    plane = _plane_for(present)
    covered = shapely.union_all([plane.forward(area) for area in present])
    shares = {}
    for grid_id, polygon in grid_shapes.items():
        area = plane.forward(polygon)
        shares[grid_id] = (
            round(min(1.0, area.intersection(covered).area / area.area), 4) if area.area else 0.0
        )
    return shares


def buffered(geometry: Any, piece: int = 8) -> Any:
    """The area within BUFFER_M of a (metric) track. Patrols walk the same streets again
    and again, and GEOS buffers a long self-overlapping line very slowly (15 s for 10,000
    fixes round one loop): so the track is simplified (3 m, far below the buffer; topology
    is irrelevant for a line about to be buffered), cut into short pieces, each piece
    buffered, and the pieces unioned (cascaded), which stays well under a second."""
    pieces = []
    for part in shapely.get_parts(shapely.get_parts(geometry)):
        if part.is_empty:
            continue
        if part.geom_type != "LineString":
            pieces.append(part)
            continue
        coords = np.asarray(part.simplify(SIMPLIFY_M, preserve_topology=False).coords)
        for start in range(0, max(len(coords) - 1, 1), piece):
            chunk = coords[start : start + piece + 1]
            pieces.append(shapely.linestrings(chunk) if len(chunk) > 1 else Point(chunk[0]))
    if not pieces:
        return shapely.Polygon()
    return shapely.union_all(shapely.buffer(np.array(pieces, dtype=object), BUFFER_M))


def to_geojson(geometry: Any | None) -> str:
    return shapely.to_geojson(geometry) if geometry is not None and not geometry.is_empty else ""


def from_geojson(text: str) -> Any | None:
    return shapely.from_geojson(text) if text else None
