"""Coordinates on the wire: accepted and returned in the system the client asks for."""

from __future__ import annotations

import contextlib
import contextvars
import math
from collections.abc import Iterator
from typing import Annotated, Any, Literal, get_args
from urllib.parse import quote_from_bytes, unquote_to_bytes

import msgspec
from litestar.params import QueryParameter

from org.geo import from_wgs84, to_wgs84

CoordSys = Literal["wgs84", "gcj02", "bd09"]
# ?coordSys=gcj02 on any route that takes or returns coordinates.
CoordSysQuery = Annotated[CoordSys, QueryParameter(name="coordSys")]
Latitude = Annotated[float, msgspec.Meta(ge=-90, le=90)]
Longitude = Annotated[float, msgspec.Meta(ge=-180, le=180)]


# The request's default system: the Coord-Sys header, else WGS-84 (set per request by
# api.untrusted.InputTextMiddleware). Bodies that leave coordSys out are read in it, so an
# app that declared gcj02 once is never read as WGS-84 behind its back.
_request_default: contextvars.ContextVar[CoordSys] = contextvars.ContextVar(
    "coord_sys", default="wgs84"
)


def body_coord_sys() -> CoordSys:
    """``coordSys: CoordSys = msgspec.field(default_factory=body_coord_sys)`` in a request
    body: the request's default when the client leaves it out."""
    return _request_default.get()


class Location(msgspec.Struct, frozen=True, rename="camel"):
    lat: Latitude
    lon: Longitude
    coord_sys: CoordSys = msgspec.field(default_factory=body_coord_sys)

    def wgs84(self) -> tuple[float, float]:
        return to_wgs84(self.lat, self.lon, self.coord_sys)


def location_out(lat: float, lon: float, coord_sys: CoordSys) -> Location:
    out_lat, out_lon = from_wgs84(lat, lon, coord_sys)
    return Location(lat=round(out_lat, 7), lon=round(out_lon, 7), coord_sys=coord_sys)


def exif_position(
    lat: float | None, lon: float | None, coord_sys: CoordSys
) -> tuple[float | None, float | None]:
    """A photo's EXIF position (WGS-84, what GPS receivers write) in ``coord_sys``."""
    if lat is None or lon is None:
        return None, None
    out_lat, out_lon = from_wgs84(lat, lon, coord_sys)
    return round(out_lat, 7), round(out_lon, 7)


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


COORD_SYS_HEADER = "Coord-Sys"
_QUERY_KEY = b"coordSys"


@contextlib.contextmanager
def coord_sys_default(headers: list[tuple[bytes, bytes]]) -> Iterator[None]:
    """The request's default system for bodies, from its Coord-Sys header if valid (a bad
    one is refused where the query reads it)."""
    value = next((v for k, v in headers if k == b"coord-sys"), b"").strip().decode("latin-1")
    token = _request_default.set(value if value in get_args(CoordSys) else "wgs84")  # type: ignore[arg-type]
    try:
        yield
    finally:
        _request_default.reset(token)


def with_default_coord_sys(query: bytes, headers: list[tuple[bytes, bytes]]) -> bytes:
    """The query string with ``coordSys`` from the ``Coord-Sys`` request header when the
    query names none: the header is the app's default, set once in its HTTP client (a
    WeChat mini-program sends gcj02 on every request), and an explicit ``?coordSys`` wins.
    A bad header value lands in the query and is refused there like a bad parameter."""
    value = next((v for k, v in headers if k == b"coord-sys"), None)
    if not value:
        return query
    keys = {unquote_to_bytes(part.split(b"=", 1)[0]) for part in query.split(b"&") if part}
    if _QUERY_KEY in keys:
        return query
    added = _QUERY_KEY + b"=" + quote_from_bytes(value.strip()).encode()
    return query + b"&" + added if query else added
