"""Place views shared by the citizen API, the signpost lookup and the /q page."""

from __future__ import annotations

import datetime as dt
from typing import Any

import msgspec

from api.geo import CoordSys, Location
from org import geo
from places.found import Found
from places.hours import parse_hours
from places.navigation import NavLinks, links, links_wgs84
from places.segment import Details, Hit
from places.service import PlaceInfo


class NearbyPlaceOut(msgspec.Struct, frozen=True, rename="camel"):
    # What holds for the place whatever the query comes first: nearby_json renders those
    # fields once per place and reuses the bytes (see _PlacePart and _QueryPart).
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


class _PlacePart(msgspec.Struct, frozen=True, rename="camel"):
    id: int
    kind: str
    name: str
    address: str
    status: str
    attributes: dict[str, Any]
    navigation: NavLinks


class _QueryPart(msgspec.Struct, frozen=True, rename="camel"):
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
    """From the GCJ-02 position the index precomputed, so no per-result transform."""
    if coord_sys == "wgs84":
        lat, lon = wgs
    elif coord_sys == "gcj02":
        lat, lon = gcj
    else:
        lat, lon = geo.gcj02_to_bd09(*gcj)
    return Location(lat=round(lat, 7), lon=round(lon, 7), coord_sys=coord_sys)


def _place_part(place_id: int, kind: str, gcj: tuple[float, float], details: Details) -> _PlacePart:
    return _PlacePart(
        id=place_id,
        kind=kind,
        name=details.name,
        address=details.address,
        status=details.status,
        attributes=details.attributes,
        navigation=links(gcj_lat=gcj[0], gcj_lon=gcj[1], name=details.name),
    )


def _query_part(
    wgs: tuple[float, float],
    gcj: tuple[float, float],
    distance_m: float,
    bearing_deg: float,
    open_now: bool | None,
    coord_sys: CoordSys,
) -> _QueryPart:
    return _QueryPart(
        location=_location(wgs, gcj, coord_sys),
        distance_m=round(distance_m),
        bearing_deg=round(bearing_deg) % 360,
        open_now=open_now,
    )


def nearby_item(hit: Hit, coord_sys: CoordSys) -> NearbyPlaceOut:
    return NearbyPlaceOut(
        **msgspec.structs.asdict(
            _place_part(hit.id, hit.kind, (hit.gcj_lat, hit.gcj_lon), hit.details)
        ),
        **msgspec.structs.asdict(
            _query_part(
                (hit.lat, hit.lon),
                (hit.gcj_lat, hit.gcj_lon),
                hit.distance_m,
                hit.bearing_deg,
                hit.open_now,
                coord_sys,
            )
        ),
    )


_encode = msgspec.json.Encoder().encode
# Rendered place parts by index key: a few tens of MB at most, beside the index itself.
_PLACE_PARTS_MAX = 30_000
_place_parts: dict[int, bytes] = {}


def _place_json(found: Found, i: int) -> bytes:
    """The place part of an item as JSON without its closing brace. Navigation links and
    escaping cost more than the search itself, and the same places answer again and again."""
    key = found.keys[i]
    part = _place_parts.get(key)
    if part is None:
        if len(_place_parts) >= _PLACE_PARTS_MAX:
            _place_parts.clear()
        gcj = (found.gcj_lat[i], found.gcj_lon[i])
        place = _place_part(found.ids[i], found.kinds[i], gcj, found.details(i))
        part = _place_parts[key] = _encode(place)[:-1]
    return part


def nearby_json(found: Found, coord_sys: CoordSys) -> bytes:
    """NearbyOut of ``found`` encoded as JSON, the same document msgspec makes of
    ``NearbyOut(items=[nearby_item(hit, coord_sys) ...])``, from cached place parts."""
    items = []
    for i in range(len(found)):
        query = _query_part(
            (found.lat[i], found.lon[i]),
            (found.gcj_lat[i], found.gcj_lon[i]),
            found.distance_m[i],
            found.bearing_deg[i],
            found.open_now[i],
            coord_sys,
        )
        items.append(_place_json(found, i) + b"," + _encode(query)[1:])
    return b'{"items":[' + b",".join(items) + b"]}"


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
