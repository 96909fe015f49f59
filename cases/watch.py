"""Watch areas: a citizen draws a polygon or a circle, or picks a grid, and is told of new
public cases inside it (cases.visibility: a case becomes public when staff accept it, and
it is inside an area when its *public* position is, so an area around a home cannot pin a
private case down to less than its cell). They are told at once, through the notification
outbox and their channels, or in one digest a day (cases.watch_digest).

Limits: CITYOPS_WATCH_AREAS_MAX areas a citizen, each at most CITYOPS_WATCH_AREA_MAX_KM2
and MAX_VERTICES positions; a circle's radius at most MAX_RADIUS_M."""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from typing import Any

from shapely import affinity
from shapely.geometry import Point, mapping, shape

from cases import visibility
from cases.public_errors import (
    TooManyWatchAreas,
    WatchAreaInvalid,
    WatchAreaNotFound,
    WatchAreaTooLarge,
)
from cases.tables import Case, WatchArea
from cases.workflow import on_transition
from core import clock
from core.actors import Actor
from core.db import lock, raw
from core.settings import get_settings
from notify.service import enqueue
from org import grids
from org.categories import private_location_codes
from org.errors import InvalidPolygon

MAX_VERTICES = 200
MAX_RADIUS_M = 5000
MIN_RADIUS_M = 50
# Metres per degree of latitude, and of longitude at the equator (WGS-84, near enough for
# sizes and circles of a few kilometres).
M_PER_DEG_LAT = 110_574.0
M_PER_DEG_LON = 111_320.0
TEMPLATE = "watch.new_case"


@dataclass(frozen=True, slots=True)
class Drawn:
    """What a citizen sent: exactly one of a polygon (GeoJSON in ``coord_sys``), a circle
    (centre in WGS-84 and radius) or a grid code."""

    polygon: dict[str, Any] | None = None
    coord_sys: str = "wgs84"
    centre: tuple[float, float] | None = None
    radius_m: float | None = None
    grid: str | None = None


def area_km2(geometry: Any) -> float:
    """The area of a WGS-84 geometry, on a local equirectangular projection at its centre."""
    lat = geometry.centroid.y
    scale = M_PER_DEG_LAT * M_PER_DEG_LON * math.cos(math.radians(lat))
    return geometry.area * scale / 1e6


def circle(lat: float, lon: float, radius_m: float) -> Any:
    """A 64-gon around the point, in degrees."""
    disc = Point(0, 0).buffer(radius_m, 16)
    lon_scale = 1 / (M_PER_DEG_LON * math.cos(math.radians(lat)))
    disc = affinity.scale(disc, xfact=lon_scale, yfact=1 / M_PER_DEG_LAT, origin=(0, 0))
    return affinity.translate(disc, xoff=lon, yoff=lat)


async def _geometry(drawn: Drawn) -> tuple[str, Any, dict[str, Any]]:
    """(kind, shapely geometry in WGS-84, what to keep of the request)."""
    given = [x is not None for x in (drawn.polygon, drawn.centre, drawn.grid)]
    if sum(given) != 1:
        raise WatchAreaInvalid(reason="send exactly one of polygon, circle or grid")
    if drawn.polygon is not None:
        rings = drawn.polygon.get("coordinates")
        count = (
            sum(len(ring) for ring in rings if isinstance(ring, list))
            if isinstance(rings, list)
            else 0
        )
        if drawn.polygon.get("type") != "Polygon" or count > MAX_VERTICES:
            raise WatchAreaInvalid(reason=f"a GeoJSON Polygon of at most {MAX_VERTICES} positions")
        try:
            shaped, _ = grids.parse_polygon(drawn.polygon, coord_sys=drawn.coord_sys)
        except InvalidPolygon as exc:
            raise WatchAreaInvalid(reason=exc.params.get("reason", "")) from None
        return "polygon", shaped, {}
    if drawn.centre is not None:
        radius = drawn.radius_m or 0
        if not MIN_RADIUS_M <= radius <= MAX_RADIUS_M:
            raise WatchAreaInvalid(reason=f"radius {MIN_RADIUS_M}..{MAX_RADIUS_M} m")
        lat, lon = drawn.centre
        return "circle", circle(lat, lon, radius), {"lat": lat, "lon": lon, "radiusM": radius}
    polygon = await grids.grid_polygon(code=drawn.grid or "")
    if polygon is None:
        raise WatchAreaInvalid(reason=f"no grid {drawn.grid}")
    return "grid", shape(json.loads(polygon)), {"grid": drawn.grid}


async def create_area(*, actor: Actor, name: str, drawn: Drawn, digest: bool) -> WatchArea:
    settings = get_settings()
    kind, geometry, spec = await _geometry(drawn)
    size = area_km2(geometry)
    if size > settings.watch_area_max_km2:
        raise WatchAreaTooLarge(limit=settings.watch_area_max_km2)
    # Counted and inserted under one lock per citizen, so parallel requests cannot pass
    # the limit together.
    await lock(f"watch:{actor.id}")
    if await WatchArea.count().where(WatchArea.citizen_id == actor.id) >= settings.watch_areas_max:
        raise TooManyWatchAreas(limit=settings.watch_areas_max)
    min_lon, min_lat, max_lon, max_lat = geometry.bounds
    area = WatchArea(
        citizen_id=actor.id,
        name=name.strip(),
        kind=kind,
        spec=json.dumps(spec),
        polygon=json.dumps(mapping(geometry), separators=(",", ":")),
        min_lat=min_lat,
        min_lon=min_lon,
        max_lat=max_lat,
        max_lon=max_lon,
        area_km2=round(size, 4),
        digest=digest,
        created_at=clock.now(),
    )
    await area.save()
    return area


async def list_areas(*, actor: Actor) -> list[WatchArea]:
    return await WatchArea.objects().where(WatchArea.citizen_id == actor.id).order_by(WatchArea.id)


async def delete_area(*, actor: Actor, area_id: int) -> None:
    """Another citizen's area is a 404, as one that does not exist."""
    deleted = (
        await WatchArea.delete()
        .where((WatchArea.id == area_id) & (WatchArea.citizen_id == actor.id))
        .returning(WatchArea.id)
    )
    if not deleted:
        raise WatchAreaNotFound()


async def _watchers(case: Case) -> dict[int, tuple[str, bool]]:
    """citizen id -> (the name of one of their areas holding the case, digest only): a
    citizen with an immediate area holding it is told at once."""
    shown = visibility.show(case, None, await private_location_codes())
    rows = await WatchArea.select(
        WatchArea.citizen_id, WatchArea.name, WatchArea.polygon, WatchArea.digest
    ).where(
        (WatchArea.min_lat <= shown.lat)
        & (WatchArea.max_lat >= shown.lat)
        & (WatchArea.min_lon <= shown.lon)
        & (WatchArea.max_lon >= shown.lon)
    )
    point = Point(shown.lon, shown.lat)
    found: dict[int, tuple[str, bool]] = {}
    for row in rows:
        if not shape(json.loads(row["polygon"])).covers(point):
            continue
        known = found.get(row["citizen_id"])
        if known is None or (known[1] and not row["digest"]):
            found[row["citizen_id"]] = (row["name"], row["digest"])
    return found


async def on_public(case: Case) -> int:
    """Record the case for every citizen watching its place and tell the immediate ones;
    in the accepting transaction (the outbox delivers after commit). Not its reporter: they
    know. Returns how many citizens were told at once."""
    told = 0
    for citizen_id, (name, digest) in (await _watchers(case)).items():
        if case.reporter_kind == "citizen" and case.reporter_id == citizen_id:
            continue
        inserted = await raw(
            'INSERT INTO watch_hit (citizen_id, "case", area_name, slot, digest, created_at) '
            "VALUES ({}, {}, {}, {}, {}, {}) ON CONFLICT (slot) DO NOTHING RETURNING id",
            citizen_id,
            case.id,
            name,
            f"{citizen_id}:{case.id}",
            digest,
            clock.now(),
        )
        if inserted and not digest:
            told += 1
            await enqueue(
                recipient_kind="citizen",
                recipient_id=citizen_id,
                template=TEMPLATE,
                params={"caseId": case.public_id, "number": case.number, "area": name},
                case_id=case.id,
                dedupe_key=f"watch:{citizen_id}:{case.id}",
            )
    return told


@on_transition
async def _on_case_moved(case: Case, action: str, actor: Actor) -> None:
    if action == "accept":
        await on_public(case)
