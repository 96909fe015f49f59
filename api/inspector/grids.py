"""My grids: polygons for the map and today's patrol duties."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import msgspec
import shapely
from litestar import Controller, get
from litestar.di import NamedDependency

from api.geo import CoordSys, CoordSysQuery
from core.actors import Actor
from org.geo import from_wgs84
from patrols.grids_view import my_grids


class InspectorDutyOut(msgspec.Struct, frozen=True, rename="camel"):
    id: int
    starts_at: dt.datetime
    ends_at: dt.datetime
    note: str


class InspectorGridOut(msgspec.Struct, frozen=True, rename="camel"):
    id: int
    code: str
    name: str
    level: int
    geometry: dict[str, Any]  # GeoJSON, [lon, lat] in the requested coordSys
    coord_sys: str
    duties: list[InspectorDutyOut]


def _coords(value: Any, coord_sys: CoordSys) -> Any:
    if value and isinstance(value[0], int | float):
        lat, lon = from_wgs84(value[1], value[0], coord_sys)
        return [round(lon, 7), round(lat, 7)]
    return [_coords(item, coord_sys) for item in value]


def geojson_in(shape: Any, coord_sys: CoordSys) -> dict[str, Any]:
    geometry = json.loads(shapely.to_geojson(shape))
    geometry["coordinates"] = _coords(geometry["coordinates"], coord_sys)
    return geometry


class GridsController(Controller):
    path = "/grids"
    tags = ["inspector grids"]

    @get("/", summary="My grids with GeoJSON polygons and today's patrol duties")
    async def mine(
        self, actor: NamedDependency[Actor], coord_sys: CoordSysQuery = "wgs84"
    ) -> list[InspectorGridOut]:
        return [
            InspectorGridOut(
                id=g.info.id,
                code=g.info.code,
                name=g.info.name,
                level=g.info.level,
                geometry=geojson_in(g.shape, coord_sys),
                coord_sys=coord_sys,
                duties=[
                    InspectorDutyOut(id=d.id, starts_at=d.starts_at, ends_at=d.ends_at, note=d.note)
                    for d in g.duties
                ],
            )
            for g in await my_grids(actor=actor)
        ]
