"""Coordinates on the wire: accepted and returned in the system the client asks for."""

from __future__ import annotations

import math
from typing import Annotated, Any, Literal

import msgspec
from litestar.params import QueryParameter

from org.geo import from_wgs84, to_wgs84

CoordSys = Literal["wgs84", "gcj02", "bd09"]
# ?coordSys=gcj02 on any route that takes or returns coordinates.
CoordSysQuery = Annotated[CoordSys, QueryParameter(name="coordSys")]
Latitude = Annotated[float, msgspec.Meta(ge=-90, le=90)]
Longitude = Annotated[float, msgspec.Meta(ge=-180, le=180)]


class Location(msgspec.Struct, frozen=True, rename="camel"):
    lat: Latitude
    lon: Longitude
    coord_sys: CoordSys = "wgs84"

    def wgs84(self) -> tuple[float, float]:
        return to_wgs84(self.lat, self.lon, self.coord_sys)


def location_out(lat: float, lon: float, coord_sys: CoordSys) -> Location:
    out_lat, out_lon = from_wgs84(lat, lon, coord_sys)
    return Location(lat=round(out_lat, 7), lon=round(out_lon, 7), coord_sys=coord_sys)


def read_bbox(value: str) -> tuple[float, float, float, float] | None:
    """ "west,south,east,north" as four finite degrees in range, west <= east and south <=
    north (no box across the antimeridian: no city lies there); None if it is not one."""
    try:
        west, south, east, north = (float(v) for v in value.split(","))
    except ValueError:
        return None
    if not (
        all(math.isfinite(v) for v in (west, south, east, north))
        and -180 <= west <= east <= 180
        and -90 <= south <= north <= 90
    ):
        return None
    return west, south, east, north


def coords_out(value: Any, coord_sys: CoordSys) -> Any:
    """GeoJSON coordinates (a position or nested lists of them, [lon, lat] in WGS-84) in
    ``coord_sys``."""
    if value and isinstance(value[0], int | float):
        lat, lon = from_wgs84(value[1], value[0], coord_sys)
        return [round(lon, 7), round(lat, 7)]
    return [coords_out(item, coord_sys) for item in value]
