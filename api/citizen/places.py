"""Public: toilets, parks, parking ... near a point, and one place."""

from __future__ import annotations

from typing import Annotated

import msgspec
from litestar import Controller, Request, get
from litestar.params import FromQuery, QueryParameter

from api.auth import client_ip
from api.citizen.place_views import NearbyOut, PlaceOut, nearby_json, place_out
from api.geo import CoordSysQuery
from api.params import IdParam
from core import clock
from core.i18n import negotiate_locale
from core.settings import get_settings
from org.geo import to_wgs84
from places import kinds as place_kinds
from places import service as places
from places.throttle import BatchedLimiter

nearby_limiter = BatchedLimiter("places.nearby")


class KindOut(msgspec.Struct, frozen=True, rename="camel"):
    code: str
    name: str
    attributes: list[str]


class KindsOut(msgspec.Struct, frozen=True, rename="camel"):
    items: list[KindOut]


class CitizenPlaceController(Controller):
    path = "/places"
    tags = ["places"]
    opt = {"public": True}

    @get("/nearby", summary="Places of some kinds near a point, nearest first")
    async def nearby(
        self,
        request: Request,
        lat: FromQuery[float],
        lon: FromQuery[float],
        kinds: FromQuery[Annotated[str, msgspec.Meta(min_length=1, max_length=200)]] = "toilet",
        radius: FromQuery[float] = 1000,
        limit: FromQuery[int] = 20,
        open_now: Annotated[bool, QueryParameter(name="openNow")] = False,
        accessible: FromQuery[bool] = False,
        coord_sys: CoordSysQuery = "wgs84",
    ) -> NearbyOut:
        nearby_limiter.hit(client_ip(request), limit=get_settings().places_nearby_rate_limit)
        wgs_lat, wgs_lon = to_wgs84(lat, lon, coord_sys)
        wanted = list(dict.fromkeys(k.strip() for k in kinds.split(",") if k.strip()))
        hits = await places.nearby(
            lat=wgs_lat,
            lon=wgs_lon,
            kinds=wanted,
            radius_m=radius,
            limit=limit,
            accessible=accessible,
            open_now=open_now,
        )
        # Documented as NearbyOut; sent as the bytes nearby_json renders for it (Raw goes
        # through Litestar's plain data path, cheaper than a Response of our own).
        return msgspec.Raw(nearby_json(hits, coord_sys))

    @get("/kinds", summary="The kinds of places, in the request's language")
    async def kinds(self, request: Request) -> KindsOut:
        locale = negotiate_locale(
            request.headers.get("accept-language"), get_settings().default_locale
        )
        return KindsOut(
            items=[
                KindOut(code=k.code, name=k.name(locale), attributes=list(k.attributes))
                for k in await place_kinds.list_kinds()
            ]
        )

    @get("/{place_id:int}", summary="One place with its hours, phone and photos")
    async def one(self, place_id: IdParam, coord_sys: CoordSysQuery = "wgs84") -> PlaceOut:
        return place_out(await places.get_place(place_id=place_id), coord_sys, clock.city_now())
