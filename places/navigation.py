"""Navigation links into the map apps Chinese phones have, each in the coordinate system
that app expects: AMap (高德) and Tencent Maps take GCJ-02, Baidu Maps BD-09, Apple Maps
GCJ-02 inside China (its map data there is AutoNavi's) and WGS-84 elsewhere, which is what
the GCJ-02 transform returns outside China anyway. None of the links names a start point:
each app then routes from where the phone is."""

from __future__ import annotations

from functools import lru_cache
from urllib.parse import quote

import msgspec
import numpy as np

from core.settings import get_settings
from org import geo
from places import _kernel


class NavLinks(msgspec.Struct, frozen=True, rename="camel"):
    amap: str
    baidu: str
    tencent: str
    apple: str


_encode = msgspec.json.Encoder().encode


def quoted_json_name(name_json: bytes) -> bytes:
    """A name given as JSON, percent-encoded for a URL. places/_kernel.c encodes names itself
    and asks this only for one that JSON had to escape."""
    return quote(msgspec.json.decode(name_json), safe="").encode()


@lru_cache(maxsize=8)
def _quoted(text: str) -> bytes:
    return quote(text, safe="").encode()


def referer() -> bytes:
    """The ``src``/``referer`` the map apps ask callers to send, percent-encoded."""
    return _quoted(get_settings().map_referer)


def links(*, gcj_lat: float, gcj_lon: float, name: str) -> NavLinks:
    """From the GCJ-02 position (Baidu's BD-09 is derived from it). places/_kernel.c prints
    them, here and in the nearby list."""
    document = _kernel.links(gcj_lat, gcj_lon, _encode(name), quoted_json_name, referer())
    return msgspec.json.decode(document, type=NavLinks)


def links_wgs84(*, lat: float, lon: float, name: str) -> NavLinks:
    gcj_lat, gcj_lon = geo.wgs84_to_gcj02(lat, lon)
    return links(gcj_lat=gcj_lat, gcj_lon=gcj_lon, name=name)


# --- GCJ-02 for many points at once (the nearby index precomputes the offsets) -------------

_A = 6378245.0
_EE = 0.00669342162296594323


def gcj_offsets(lat: np.ndarray, lon: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """org.geo._gcj_offset for arrays (degrees); zero outside China, as org.geo does."""
    x, y = lon - 105.0, lat - 35.0
    pi = np.pi
    d_lat = -100.0 + 2.0 * x + 3.0 * y + 0.2 * y * y + 0.1 * x * y + 0.2 * np.sqrt(np.abs(x))
    d_lat += (20.0 * np.sin(6.0 * x * pi) + 20.0 * np.sin(2.0 * x * pi)) * 2 / 3
    d_lat += (20.0 * np.sin(y * pi) + 40.0 * np.sin(y / 3.0 * pi)) * 2 / 3
    d_lat += (160.0 * np.sin(y / 12.0 * pi) + 320.0 * np.sin(y * pi / 30.0)) * 2 / 3
    d_lon = 300.0 + x + 2.0 * y + 0.1 * x * x + 0.1 * x * y + 0.1 * np.sqrt(np.abs(x))
    d_lon += (20.0 * np.sin(6.0 * x * pi) + 20.0 * np.sin(2.0 * x * pi)) * 2 / 3
    d_lon += (20.0 * np.sin(x * pi) + 40.0 * np.sin(x / 3.0 * pi)) * 2 / 3
    d_lon += (150.0 * np.sin(x / 12.0 * pi) + 300.0 * np.sin(x / 30.0 * pi)) * 2 / 3
    rad = lat / 180.0 * pi
    magic = 1 - _EE * np.sin(rad) ** 2
    sqrt_magic = np.sqrt(magic)
    d_lat = (d_lat * 180.0) / ((_A * (1 - _EE)) / (magic * sqrt_magic) * pi)
    d_lon = (d_lon * 180.0) / (_A / sqrt_magic * np.cos(rad) * pi)
    outside = ~((lon >= 72.004) & (lon <= 137.8347) & (lat >= 0.8293) & (lat <= 55.8271))
    d_lat[outside] = 0.0
    d_lon[outside] = 0.0
    return d_lat, d_lon
