"""Place views shared by the citizen API, the signpost lookup and the /q page."""

from __future__ import annotations

import datetime as dt
from typing import Any

import msgspec

from api.geo import CoordSys, Location
from org import geo
from places.hours import parse_hours
from places.index import Hit
from places.navigation import NavLinks, links, links_wgs84
from places.service import PlaceInfo


class NearbyPlaceOut(msgspec.Struct, frozen=True, rename="camel"):
    id: int
    kind: str
    name: str
    address: str
    location: Location
    distance_m: int
    bearing_deg: int
    status: str
    open_now: bool | None
    attributes: dict[str, Any]
    navigation: NavLinks


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


def nearby_item(hit: Hit, coord_sys: CoordSys) -> NearbyPlaceOut:
    details = hit.details
    return NearbyPlaceOut(
        id=hit.id,
        kind=hit.kind,
        name=details.name,
        address=details.address,
        location=_location((hit.lat, hit.lon), (hit.gcj_lat, hit.gcj_lon), coord_sys),
        distance_m=round(hit.distance_m),
        bearing_deg=round(hit.bearing_deg) % 360,
        status=details.status,
        open_now=hit.open_now,
        attributes=details.attributes,
        navigation=links(gcj_lat=hit.gcj_lat, gcj_lon=hit.gcj_lon, name=details.name),
    )


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
