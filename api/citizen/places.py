"""Public: toilets, parks, parking ... near a point, and one place."""

from __future__ import annotations

from typing import Annotated

import msgspec
from litestar import Controller, Request, get
from litestar.types import ASGIApp

from api.citizen.place_views import NearbyOut, PlaceOut, nearby_json, place_out
from api.geo import CoordSys, CoordSysQuery
from api.limits import limit_nearby
from api.params import IdParam
from api.printed import PrintedJson, printed_json_responses
from api.query import parse_query, query_operation
from core import clock
from core.i18n import negotiate_locale
from core.settings import get_settings
from org.geo import to_wgs84
from places import kinds as place_kinds
from places import service as places


class NearbyQuery(msgspec.Struct, frozen=True, rename="camel"):
    lat: Annotated[float, msgspec.Meta(description="Latitude in ``coordSys``")]
    lon: Annotated[float, msgspec.Meta(description="Longitude in ``coordSys``")]
    kinds: Annotated[
        str,
        msgspec.Meta(min_length=1, max_length=200, description="Kind codes, comma-separated"),
    ] = "toilet"
    radius: Annotated[float, msgspec.Meta(description="Metres, up to 5000")] = 1000
    limit: Annotated[int, msgspec.Meta(description="Places, up to 50")] = 20
    open_now: bool = False
    accessible: bool = False
    coord_sys: CoordSys = "wgs84"

    def kind_codes(self) -> list[str]:
        return list(dict.fromkeys(k.strip() for k in self.kinds.split(",") if k.strip()))


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

    @get(
        "/nearby",
        summary="Places of some kinds near a point, nearest first",
        operation_class=query_operation(NearbyQuery),
        responses=printed_json_responses(NearbyOut, "The places, nearest first"),
        opt={"rate_limited": True},
    )
    async def nearby(self, request: Request) -> ASGIApp:
        # The busiest public route reads its query itself (api.query): Litestar's parameter
        # handling cost about as much as the search.
        limit_nearby(request)
        query = parse_query(request.scope["query_string"], NearbyQuery)
        lat, lon = to_wgs84(query.lat, query.lon, query.coord_sys)
        hits = await places.nearby(
            lat=lat,
            lon=lon,
            kinds=query.kind_codes(),
            radius_m=query.radius,
            limit=query.limit,
            accessible=query.accessible,
            open_now=query.open_now,
        )
        # NearbyOut, as the bytes nearby_json prints for it (api.printed).
        return PrintedJson(nearby_json(hits, query.coord_sys))

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
