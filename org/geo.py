"""Coordinates: WGS-84 (stored, GPS), GCJ-02 (WeChat, Amap, Tencent maps) and BD-09 (Baidu).

GCJ-02 is WGS-84 shifted by the published Krasowski-ellipsoid formula; BD-09 is a further
shift of GCJ-02. Outside mainland China (the usual bounding box) maps use WGS-84 unchanged,
so every transform leaves such points alone. The forward shift has no closed inverse: we
invert it by fixed-point iteration, which converges to far below a centimetre.
"""

from __future__ import annotations

import math
from typing import Literal

from org.errors import InvalidCoordinates, UnknownCoordSys

CoordSys = Literal["wgs84", "gcj02", "bd09"]
COORD_SYSTEMS: tuple[str, ...] = ("wgs84", "gcj02", "bd09")

# Krasowski 1940 ellipsoid, as used by the GCJ-02 formula.
_KRASOWSKI_A = 6378245.0
_KRASOWSKI_EE = 0.00669342162296594323
_X_PI = math.pi * 3000.0 / 180.0
# Mean earth radius (IUGG) for haversine distances.
EARTH_RADIUS_M = 6371008.8

_INVERSE_TOLERANCE_DEG = 1e-9  # ~0.1 mm, well under the 1e-7 deg we promise
_INVERSE_MAX_STEPS = 30


def validate(lat: float, lon: float) -> None:
    if not (math.isfinite(lat) and math.isfinite(lon)):
        raise InvalidCoordinates()
    if not (-90.0 <= lat <= 90.0 and -180.0 <= lon <= 180.0):
        raise InvalidCoordinates()


def out_of_china(lat: float, lon: float) -> bool:
    return not (72.004 <= lon <= 137.8347 and 0.8293 <= lat <= 55.8271)


def _shift_lat(x: float, y: float) -> float:
    shift = -100.0 + 2.0 * x + 3.0 * y + 0.2 * y * y + 0.1 * x * y + 0.2 * math.sqrt(abs(x))
    shift += (20.0 * math.sin(6.0 * x * math.pi) + 20.0 * math.sin(2.0 * x * math.pi)) * 2 / 3
    shift += (20.0 * math.sin(y * math.pi) + 40.0 * math.sin(y / 3.0 * math.pi)) * 2 / 3
    shift += (160.0 * math.sin(y / 12.0 * math.pi) + 320.0 * math.sin(y * math.pi / 30.0)) * 2 / 3
    return shift


def _shift_lon(x: float, y: float) -> float:
    shift = 300.0 + x + 2.0 * y + 0.1 * x * x + 0.1 * x * y + 0.1 * math.sqrt(abs(x))
    shift += (20.0 * math.sin(6.0 * x * math.pi) + 20.0 * math.sin(2.0 * x * math.pi)) * 2 / 3
    shift += (20.0 * math.sin(x * math.pi) + 40.0 * math.sin(x / 3.0 * math.pi)) * 2 / 3
    shift += (150.0 * math.sin(x / 12.0 * math.pi) + 300.0 * math.sin(x / 30.0 * math.pi)) * 2 / 3
    return shift


def _gcj_offset(lat: float, lon: float) -> tuple[float, float]:
    """The GCJ-02 offset in degrees (lat, lon) at a WGS-84 point."""
    d_lat = _shift_lat(lon - 105.0, lat - 35.0)
    d_lon = _shift_lon(lon - 105.0, lat - 35.0)
    rad_lat = lat / 180.0 * math.pi
    magic = 1 - _KRASOWSKI_EE * math.sin(rad_lat) ** 2
    sqrt_magic = math.sqrt(magic)
    meridian_radius = _KRASOWSKI_A * (1 - _KRASOWSKI_EE) / (magic * sqrt_magic)
    d_lat = (d_lat * 180.0) / (meridian_radius * math.pi)
    d_lon = (d_lon * 180.0) / (_KRASOWSKI_A / sqrt_magic * math.cos(rad_lat) * math.pi)
    return d_lat, d_lon


def wgs84_to_gcj02(lat: float, lon: float) -> tuple[float, float]:
    if out_of_china(lat, lon):
        return lat, lon
    d_lat, d_lon = _gcj_offset(lat, lon)
    return lat + d_lat, lon + d_lon


def gcj02_to_wgs84(lat: float, lon: float) -> tuple[float, float]:
    """Invert the shift: w = g - offset(w), iterated. The offset varies by well under 1e-5
    deg per deg, so each step gains about five digits; three steps usually suffice."""
    if out_of_china(lat, lon):
        return lat, lon
    w_lat, w_lon = lat, lon
    for _ in range(_INVERSE_MAX_STEPS):
        g_lat, g_lon = wgs84_to_gcj02(w_lat, w_lon)
        err_lat, err_lon = g_lat - lat, g_lon - lon
        w_lat, w_lon = w_lat - err_lat, w_lon - err_lon
        if abs(err_lat) < _INVERSE_TOLERANCE_DEG and abs(err_lon) < _INVERSE_TOLERANCE_DEG:
            break
    return w_lat, w_lon


def gcj02_to_bd09(lat: float, lon: float) -> tuple[float, float]:
    if out_of_china(lat, lon):
        return lat, lon
    z = math.hypot(lon, lat) + 0.00002 * math.sin(lat * _X_PI)
    theta = math.atan2(lat, lon) + 0.000003 * math.cos(lon * _X_PI)
    return z * math.sin(theta) + 0.006, z * math.cos(theta) + 0.0065


def bd09_to_gcj02(lat: float, lon: float) -> tuple[float, float]:
    if out_of_china(lat, lon):
        return lat, lon
    x, y = lon - 0.0065, lat - 0.006
    z = math.hypot(x, y) - 0.00002 * math.sin(y * _X_PI)
    theta = math.atan2(y, x) - 0.000003 * math.cos(x * _X_PI)
    return z * math.sin(theta), z * math.cos(theta)


def wgs84_to_bd09(lat: float, lon: float) -> tuple[float, float]:
    return gcj02_to_bd09(*wgs84_to_gcj02(lat, lon))


def bd09_to_wgs84(lat: float, lon: float) -> tuple[float, float]:
    return gcj02_to_wgs84(*bd09_to_gcj02(lat, lon))


def _check_coord_sys(coord_sys: str) -> None:
    if coord_sys not in COORD_SYSTEMS:
        raise UnknownCoordSys(coord_sys=coord_sys)


def to_wgs84(lat: float, lon: float, coord_sys: str = "wgs84") -> tuple[float, float]:
    """A point a client sent in ``coord_sys``, as WGS-84 for storage."""
    _check_coord_sys(coord_sys)
    validate(lat, lon)
    if coord_sys == "gcj02":
        return gcj02_to_wgs84(lat, lon)
    if coord_sys == "bd09":
        return bd09_to_wgs84(lat, lon)
    return lat, lon


def from_wgs84(lat: float, lon: float, coord_sys: str = "wgs84") -> tuple[float, float]:
    """A stored WGS-84 point, in the system the client asked for."""
    _check_coord_sys(coord_sys)
    validate(lat, lon)
    if coord_sys == "gcj02":
        return wgs84_to_gcj02(lat, lon)
    if coord_sys == "bd09":
        return wgs84_to_bd09(lat, lon)
    return lat, lon


def distance_m(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle (haversine) distance in metres."""
    phi1, phi2 = math.radians(lat1), math.radians(lat2)
    d_phi = phi2 - phi1
    d_lambda = math.radians(lon2 - lon1)
    h = math.sin(d_phi / 2) ** 2 + math.cos(phi1) * math.cos(phi2) * math.sin(d_lambda / 2) ** 2
    return 2 * EARTH_RADIUS_M * math.asin(min(1.0, math.sqrt(h)))


def bearing_deg(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Initial bearing from point 1 to point 2, degrees clockwise from north in [0, 360)."""
    phi1, phi2 = math.radians(lat1), math.radians(lat2)
    d_lambda = math.radians(lon2 - lon1)
    x = math.sin(d_lambda) * math.cos(phi2)
    y = math.cos(phi1) * math.sin(phi2) - math.sin(phi1) * math.cos(phi2) * math.cos(d_lambda)
    return (math.degrees(math.atan2(x, y)) + 360.0) % 360.0
