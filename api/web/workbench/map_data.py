"""The workbench map's data as same-origin JSON (the CSP allows connect-src 'self' only).

Every point leaves here in the tiles' coordinate system (CITYOPS_MAP_TILE_COORD_SYS): the
browser draws what it gets and converts nothing. Everything is scoped like the case list."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

import msgspec
from litestar import Controller, get
from litestar.di import NamedDependency
from litestar.params import FromPath, QueryParameter

from api.admin.calendar import InvalidRange
from api.errors import EXCEPTION_HANDLERS
from api.geo import location_out
from api.inspector.grids import geojson_in
from api.inspector.patrols import PatrolId
from cases import heat, scope, stats
from core import clock
from core.actors import Actor
from core.settings import get_settings
from org import grid_map
from patrols import supervision
from places import service as places

SUPERVISORS = ("supervisor", "admin")
HEAT_MAX_DAYS = 93
MAX_PLACES = 5000
MAX_CASES = 5000  # the most urgent first; clustered in the browser


class CasePoint(msgspec.Struct, frozen=True, rename="camel"):
    number: str
    lat: float
    lon: float
    light: str  # green | yellow | red | none


class CasePoints(msgspec.Struct, frozen=True, rename="camel"):
    coord_sys: str
    points: list[CasePoint]
    truncated: bool  # more open cases than the map draws (the most urgent are kept)


class HeatOut(msgspec.Struct, frozen=True, rename="camel"):
    coord_sys: str
    cell_deg: float
    cells: list[tuple[float, float, int]]  # [lat, lon, reports]
    max: int


class PatrolOut(msgspec.Struct, frozen=True, rename="camel"):
    id: str
    staff_id: int
    state: str
    started_at: dt.datetime
    ended_at: dt.datetime | None
    distance_m: float
    fixes: int


class TrackOut(msgspec.Struct, frozen=True, rename="camel"):
    patrol: PatrolOut
    coord_sys: str
    runs: list[list[tuple[float, float, int]]]  # [lat, lon, device time ms]


class PlacePoint(msgspec.Struct, frozen=True, rename="camel"):
    id: int
    kind: str
    name: str
    status: str
    lat: float
    lon: float


class PlacePoints(msgspec.Struct, frozen=True, rename="camel"):
    coord_sys: str
    points: list[PlacePoint]
    truncated: bool


def day_bounds(
    first: dt.date, last: dt.date, *, max_days: int = HEAT_MAX_DAYS
) -> tuple[dt.datetime, dt.datetime]:
    """[start of ``first``, end of ``last``) in the city's time zone, as UTC; InvalidRange
    when ``last`` is before ``first`` or the span is longer than ``max_days``."""
    if last < first or (last - first).days >= max_days:
        raise InvalidRange(days=max_days)
    zone = clock.city_zone()
    start = dt.datetime.combine(first, dt.time(), tzinfo=zone)
    end = dt.datetime.combine(last + dt.timedelta(days=1), dt.time(), tzinfo=zone)
    return start.astimezone(dt.UTC), end.astimezone(dt.UTC)


def tile_sys() -> str:
    return get_settings().map_tile_coord_sys


def _latlon(lat: float, lon: float, coord_sys: str) -> tuple[float, float]:
    out = location_out(lat, lon, coord_sys)  # type: ignore[arg-type]
    return out.lat, out.lon


def patrol_out(patrol: Any) -> PatrolOut:
    return PatrolOut(
        id=patrol.public_id,
        staff_id=patrol.staff_id,
        state=patrol.state,
        started_at=clock.as_utc(patrol.started_at),
        ended_at=clock.as_utc(patrol.ended_at) if patrol.ended_at else None,
        distance_m=round(patrol.distance_m or 0.0, 1),
        fixes=patrol.fix_count,
    )


async def patrol_staff(actor: Actor) -> set[int] | None:
    """Whose patrols the actor may watch: everyone's for a city-wide scope, else the
    inspectors of the grids their map shows."""
    within = await scope.scope_of(actor)
    if within.everything:
        return None
    grids = await grid_map.visible_grids(lambda g: scope.sees_grid(within, g))
    return await grid_map.inspectors_of_grids(info.id for info, _ in grids)


class MapDataController(Controller):
    path = "/map/data"
    include_in_schema = False
    # Scripts read these: errors as the API's problem+json, not the router's HTML pages.
    exception_handlers = EXCEPTION_HANDLERS

    @get("/cases", name="wb.map.cases")
    async def cases(self, actor: NamedDependency[Actor]) -> CasePoints:
        coord_sys = tile_sys()
        limit = MAX_CASES
        found = await stats.open_case_points(within=await scope.scope_of(actor), limit=limit + 1)
        points = [
            CasePoint(p.number, *_latlon(p.lat, p.lon, coord_sys), p.light) for p in found[:limit]
        ]
        return CasePoints(coord_sys=coord_sys, points=points, truncated=len(found) > limit)

    @get("/grids", name="wb.map.grids")
    async def grids(self, actor: NamedDependency[Actor]) -> dict[str, Any]:
        """A GeoJSON FeatureCollection: unit grids, then street and district outlines."""
        coord_sys = tile_sys()
        within = await scope.scope_of(actor)
        grids = await grid_map.visible_grids(lambda g: scope.sees_grid(within, g))
        features = [
            {
                "type": "Feature",
                "geometry": geojson_in(shape, coord_sys),  # type: ignore[arg-type]
                "properties": {"kind": "grid", "code": info.code, "name": info.name},
            }
            for info, shape in grids
        ]
        features += [
            {
                "type": "Feature",
                "geometry": geojson_in(outline.shape, coord_sys),  # type: ignore[arg-type]
                "properties": {"kind": outline.kind, "id": outline.unit_id, "name": outline.name},
            }
            for outline in await grid_map.area_outlines(grids, locale=actor.locale)
        ]
        return {"type": "FeatureCollection", "coordSys": coord_sys, "features": features}

    @get("/heat", name="wb.map.heat")
    async def heat(
        self,
        actor: NamedDependency[Actor],
        first: Annotated[dt.date, QueryParameter(name="from")],
        last: Annotated[dt.date, QueryParameter(name="to")],
        # Cell size in degrees: about 110 m to 2.2 km north-south.
        cell: Annotated[float, QueryParameter(ge=0.001, le=0.02)] = heat.DEFAULT_CELL_DEG,
    ) -> HeatOut:
        """Reports of the city days ``from`` to ``to`` (both included)."""
        since, until = day_bounds(first, last)
        coord_sys = tile_sys()
        found = await heat.report_heat(
            within=await scope.scope_of(actor), since=since, until=until, cell_deg=cell
        )
        cells = [(*_latlon(c.lat, c.lon, coord_sys), c.count) for c in found]
        return HeatOut(
            coord_sys=coord_sys,
            cell_deg=cell,
            cells=cells,
            max=max((c.count for c in found), default=0),
        )

    @get("/patrols", name="wb.map.patrols", opt={"roles": SUPERVISORS})
    async def patrols(
        self,
        actor: NamedDependency[Actor],
        day: Annotated[dt.date, QueryParameter(name="day")],
    ) -> list[PatrolOut]:
        """Patrols started on one city day."""
        since, until = day_bounds(day, day)
        found = await supervision.patrols_of(
            staff_ids=await patrol_staff(actor), since=since, until=until
        )
        return [patrol_out(p) for p in found]

    @get("/patrols/{patrol_id:str}", name="wb.map.track", opt={"roles": SUPERVISORS})
    async def track(self, actor: NamedDependency[Actor], patrol_id: FromPath[PatrolId]) -> TrackOut:
        coord_sys = tile_sys()
        patrol, runs = await supervision.patrol_track(
            public_id=patrol_id, staff_ids=await patrol_staff(actor)
        )
        return TrackOut(
            patrol=patrol_out(patrol),
            coord_sys=coord_sys,
            runs=[[(*_latlon(f.lat, f.lon, coord_sys), f.t_ms) for f in run] for run in runs],
        )

    @get("/places", name="wb.map.places")
    async def places(self, actor: NamedDependency[Actor]) -> PlacePoints:
        """Service points are city-wide public data: every staff member's map shows them."""
        coord_sys = tile_sys()
        found = await places.map_points(limit=MAX_PLACES + 1)
        points = [
            PlacePoint(p.id, p.kind, p.name, p.status, *_latlon(p.lat, p.lon, coord_sys))
            for p in found[:MAX_PLACES]
        ]
        return PlacePoints(coord_sys=coord_sys, points=points, truncated=len(found) > MAX_PLACES)
