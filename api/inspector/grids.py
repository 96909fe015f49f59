"""My grids: polygons for the map and today's patrol duties."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import msgspec
import shapely
from litestar import Controller, get
from litestar.di import NamedDependency

from api.geo import CoordSys, CoordSysQuery, coords_out
from core.actors import Actor
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


def geojson_in(shape: Any, coord_sys: CoordSys) -> dict[str, Any]:
    geometry = json.loads(shapely.to_geojson(shape))
    geometry["coordinates"] = coords_out(geometry["coordinates"], coord_sys)
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
