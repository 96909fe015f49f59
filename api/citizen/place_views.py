"""Place views shared by the citizen API, the signpost lookup and the /q page."""

from __future__ import annotations

import datetime as dt
from functools import lru_cache
from typing import Any

import msgspec
import numpy as np

from api.geo import CoordSys, Location
from org import geo
from places import _kernel
from places.found import Found
from places.hours import parse_hours
from places.navigation import NavLinks, links_wgs84, quoted_json_name, referer
from places.segment import Segment
from places.service import PlaceInfo


class NearbyPlaceOut(msgspec.Struct, frozen=True, rename="camel"):
    # nearby_json prints this document from the index's columns and JSON records.
    id: int
    kind: str
    name: str
    address: str
    status: str
    attributes: dict[str, Any]
    navigation: NavLinks
    location: Location
    distance_m: int
    bearing_deg: int
    open_now: bool | None


class NearbyOut(msgspec.Struct, frozen=True, rename="camel"):
    items: list[NearbyPlaceOut]


class PlaceOut(msgspec.Struct, frozen=True, rename="camel"):
    id: int
    kind: str
    name: str
    address: str
    location: Location
    phone: str
    hours: str
    open_now: bool | None
    status: str
    attributes: dict[str, Any]
    photos: list[str]
    source: str
    updated_at: dt.datetime
    navigation: NavLinks


def _location(wgs: tuple[float, float], gcj: tuple[float, float], coord_sys: CoordSys) -> Location:
    """Rounded to 7 decimals as nearby_json rounds them (numpy's rounding, half to even)."""
    if coord_sys == "wgs84":
        lat, lon = wgs
    elif coord_sys == "gcj02":
        lat, lon = gcj
    else:
        lat, lon = geo.gcj02_to_bd09(*gcj)
    lat, lon = np.round((lat, lon), 7).tolist()
    return Location(lat=lat, lon=lon, coord_sys=coord_sys)


_COORD_SYS = {"wgs84": 0, "gcj02": 1, "bd09": 2}


@lru_cache(maxsize=64)
def _kinds_json(codes: tuple[str, ...]) -> list[bytes]:
    return [msgspec.json.encode(code) for code in codes]


def nearby_json(found: Found, coord_sys: CoordSys) -> bytes:
    """NearbyOut of ``found`` as JSON. places/_kernel.c prints each NearbyPlaceOut from the
    index's columns and the places' JSON records: a Struct per place and per link cost more
    than the search itself."""
    if found.single is not None:  # the usual case: one segment, printed in order
        documents, _ = _print(found, found.segments[found.single], coord_sys)
        return b"".join((b'{"items":[', documents, b"]}"))
    return b'{"items":[' + b",".join(_item_documents(found, coord_sys)) + b"]}"


def _print(part: Found, segment: Segment, coord_sys: CoordSys) -> tuple[bytes, bytes]:
    return _kernel.items(
        segment.records,
        segment.bounds,
        segment.cuts,
        segment.ids,
        segment.kinds,
        segment.lat,
        segment.lon,
        segment.d_lat,
        segment.d_lon,
        part.pos,
        part.distance_m,
        part.open_now,
        _kinds_json(tuple(part.kind_codes)),
        quoted_json_name,
        *part.origin,
        _COORD_SYS[coord_sys],
        referer(),
    )


def _item_documents(found: Found, coord_sys: CoordSys) -> list[bytes]:
    """Each place's document, for a list drawn from more than one segment."""
    documents: list[bytes] = [b""] * len(found)
    for segment, rows in found.by_segment():
        printed, ends = _print(found.take(rows), segment, coord_sys)
        start = 0
        for i, end in zip(rows.tolist(), np.frombuffer(ends, np.int64).tolist(), strict=True):
            documents[i] = printed[start:end]
            start = end + 1  # past the comma
    return documents


def nearby_items(found: Found, coord_sys: CoordSys) -> list[NearbyPlaceOut]:
    return msgspec.json.decode(nearby_json(found, coord_sys), type=NearbyOut).items


def place_out(place: PlaceInfo, coord_sys: CoordSys, now: dt.datetime) -> PlaceOut:
    """``now`` in the city's time zone."""
    hours = parse_hours(place.hours)
    open_now = False if place.status != "open" else (None if hours is None else hours.is_open(now))
    gcj = geo.wgs84_to_gcj02(place.lat, place.lon)
    return PlaceOut(
        id=place.id,
        kind=place.kind,
        name=place.name,
        address=place.address,
        location=_location((place.lat, place.lon), gcj, coord_sys),
        phone=place.phone,
        hours=place.hours,
        open_now=open_now,
        status=place.status,
        attributes=place.attributes,
        photos=place.photos,
        source=place.source,
        updated_at=place.updated_at,
        navigation=links_wgs84(lat=place.lat, lon=place.lon, name=place.name),
    )
