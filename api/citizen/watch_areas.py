"""A citizen's watch areas (cases.watch): create, list, delete."""

from __future__ import annotations

import datetime as dt
import json
from typing import Annotated, Any

import msgspec
from litestar import Controller, Request, Response, delete, get, post
from litestar.di import NamedDependency
from litestar.params import JSONBody
from litestar.status_codes import HTTP_204_NO_CONTENT

from api.geo import (
    CoordSys,
    CoordSysQuery,
    Location,
    body_coord_sys,
    coords_out,
    location_out,
)
from api.idempotent import run_idempotent
from api.params import IdParam
from cases import watch
from cases.tables import WatchArea
from core.actors import Actor
from core.db import transaction

Name = Annotated[str, msgspec.Meta(max_length=40)]


class CircleIn(msgspec.Struct, frozen=True, rename="camel"):
    center: Location
    radius_m: Annotated[float, msgspec.Meta(ge=0, le=1_000_000)]


class WatchAreaIn(msgspec.Struct, frozen=True, rename="camel"):
    """Exactly one of ``polygon`` (a GeoJSON Polygon, [lon, lat] in ``coordSys``),
    ``circle`` or ``grid`` (a grid's code, e.g. one picked on the map of grids)."""

    name: Name = ""
    polygon: dict[str, Any] | None = None
    circle: CircleIn | None = None
    grid: Annotated[str, msgspec.Meta(min_length=1, max_length=32)] | None = None
    digest: bool = False  # one notification a day instead of one per case
    coord_sys: CoordSys = msgspec.field(default_factory=body_coord_sys)


class WatchAreaOut(msgspec.Struct, frozen=True, rename="camel"):
    id: int
    name: str
    kind: str
    digest: bool
    area_km2: float
    polygon: dict[str, Any]  # GeoJSON, [lon, lat] in coordSys
    coord_sys: CoordSys
    created_at: dt.datetime
    circle: dict[str, Any] | None = None  # {center: Location, radiusM}
    grid: str | None = None


def area_out(area: WatchArea, coord_sys: CoordSys) -> WatchAreaOut:
    spec = json.loads(area.spec)
    polygon = json.loads(area.polygon)
    polygon["coordinates"] = coords_out(polygon["coordinates"], coord_sys)
    circle = None
    if area.kind == "circle":
        centre = location_out(spec["lat"], spec["lon"], coord_sys)
        circle = {"center": msgspec.to_builtins(centre), "radiusM": spec["radiusM"]}
    return WatchAreaOut(
        id=area.id,
        name=area.name,
        kind=area.kind,
        digest=area.digest,
        area_km2=area.area_km2,
        polygon=polygon,
        coord_sys=coord_sys,
        created_at=area.created_at,
        circle=circle,
        grid=spec.get("grid"),
    )


class WatchAreaController(Controller):
    path = "/watch-areas"
    tags = ["watch areas"]

    @post(
        "/",
        summary="Watch an area for new public cases (idempotent)",
        description="422 `watch.invalid_area` or `watch.area_too_large`; 409 `watch.too_many` "
        "past CITYOPS_WATCH_AREAS_MAX.",
    )
    async def create(
        self, request: Request, actor: NamedDependency[Actor], data: JSONBody[WatchAreaIn]
    ) -> Response[WatchAreaOut]:
        async def action() -> WatchAreaOut:
            drawn = watch.Drawn(
                polygon=data.polygon,
                coord_sys=data.coord_sys,
                centre=data.circle.center.wgs84() if data.circle else None,
                radius_m=data.circle.radius_m if data.circle else None,
                grid=data.grid,
            )
            area = await watch.create_area(
                actor=actor, name=data.name, drawn=drawn, digest=data.digest
            )
            return area_out(area, data.coord_sys)

        return await run_idempotent(request, actor, action)

    @get("/", summary="My watch areas")
    async def mine(
        self, actor: NamedDependency[Actor], coord_sys: CoordSysQuery = "wgs84"
    ) -> list[WatchAreaOut]:
        return [area_out(a, coord_sys) for a in await watch.list_areas(actor=actor)]

    @delete("/{area_id:int}", status_code=HTTP_204_NO_CONTENT, summary="Stop watching an area")
    async def remove(self, actor: NamedDependency[Actor], area_id: IdParam) -> None:
        async with transaction():
            await watch.delete_area(actor=actor, area_id=area_id)
