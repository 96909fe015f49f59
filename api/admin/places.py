"""Administration of places and place kinds, and bulk import."""

from __future__ import annotations

from typing import Annotated, Any, Literal

import msgspec
from litestar import Controller, Request, delete, get, patch, post, put
from litestar.di import NamedDependency
from litestar.params import FromPath, FromQuery, JSONBody, QueryParameter

from api.citizen.place_views import PlaceOut, place_out
from api.geo import CoordSys, CoordSysQuery, Location
from api.params import IdParam, Int32, PageLimit
from api.untrusted import IMPORT_MAX_BYTES
from core import clock
from core.actors import Actor
from core.db import transaction
from places import importer, kinds
from places import service as places
from places.tabular import detect_format

Status = Literal["open", "closed", "maintenance"]
Text200 = Annotated[str, msgspec.Meta(max_length=200)]


class PlaceIn(msgspec.Struct, frozen=True, rename="camel", forbid_unknown_fields=True):
    kind: Annotated[str, msgspec.Meta(min_length=1, max_length=32)]
    name: Text200
    location: Location
    address: Annotated[str, msgspec.Meta(max_length=300)] = ""
    phone: Annotated[str, msgspec.Meta(max_length=40)] = ""
    hours: Annotated[str, msgspec.Meta(max_length=500)] = ""
    attributes: dict[str, Any] = {}
    status: Status = "open"
    photos: list[str] = []
    source: Annotated[str, msgspec.Meta(max_length=100)] = ""


class PlacePatch(msgspec.Struct, frozen=True, rename="camel", forbid_unknown_fields=True):
    kind: Annotated[str, msgspec.Meta(min_length=1, max_length=32)] | None = None
    name: Text200 | None = None
    location: Location | None = None
    address: Annotated[str, msgspec.Meta(max_length=300)] | None = None
    phone: Annotated[str, msgspec.Meta(max_length=40)] | None = None
    hours: Annotated[str, msgspec.Meta(max_length=500)] | None = None
    attributes: dict[str, Any] | None = None
    status: Status | None = None
    photos: list[str] | None = None
    source: Annotated[str, msgspec.Meta(max_length=100)] | None = None


class AdminPlacePage(msgspec.Struct, frozen=True, rename="camel"):
    items: list[PlaceOut]
    next_cursor: str | None


class FeedIn(msgspec.Struct, frozen=True, rename="camel", forbid_unknown_fields=True):
    client_id: Int32 | None  # an API client of kind "parking"; null unbinds


class FeedOut(msgspec.Struct, frozen=True, rename="camel"):
    place_id: int
    client_id: int | None


class PlaceImportOut(msgspec.Struct, frozen=True, rename="camel"):
    imported: int


class KindIn(msgspec.Struct, frozen=True, rename="camel", forbid_unknown_fields=True):
    code: Annotated[str, msgspec.Meta(min_length=2, max_length=32)]
    name_zh: Annotated[str, msgspec.Meta(min_length=1, max_length=50)]
    name_en: Annotated[str, msgspec.Meta(max_length=80)] = ""
    attributes: list[str] = []
    sort_order: Int32 = 100


class KindPatch(msgspec.Struct, frozen=True, rename="camel", forbid_unknown_fields=True):
    name_zh: Annotated[str, msgspec.Meta(min_length=1, max_length=50)] | None = None
    name_en: Annotated[str, msgspec.Meta(max_length=80)] | None = None
    attributes: list[str] | None = None
    sort_order: Int32 | None = None
    active: bool | None = None


class KindAdminOut(msgspec.Struct, frozen=True, rename="camel"):
    code: str
    name_zh: str
    name_en: str
    attributes: list[str]
    sort_order: int
    active: bool


class KindListOut(msgspec.Struct, frozen=True, rename="camel"):
    items: list[KindAdminOut]


def _kind_out(kind: kinds.KindInfo) -> KindAdminOut:
    return KindAdminOut(
        code=kind.code,
        name_zh=kind.name_zh,
        name_en=kind.name_en,
        attributes=list(kind.attributes),
        sort_order=kind.sort_order,
        active=kind.active,
    )


def _out(place: places.PlaceInfo, coord_sys: CoordSys = "wgs84") -> PlaceOut:
    return place_out(place, coord_sys, clock.city_now())


class AdminPlaceController(Controller):
    path = "/places"
    tags = ["places admin"]

    @get("/", summary="Places, oldest first, keyset pages")
    async def list_places(
        self,
        kind: FromQuery[str | None] = None,
        cursor: FromQuery[str | None] = None,
        limit: PageLimit = 50,
        coord_sys: CoordSysQuery = "wgs84",
    ) -> AdminPlacePage:
        page = await places.list_places(kind=kind, cursor=cursor, limit=limit)
        return AdminPlacePage(
            items=[_out(p, coord_sys) for p in page.items], next_cursor=page.next_cursor
        )

    @post("/", summary="Add a place")
    async def create(self, actor: NamedDependency[Actor], data: JSONBody[PlaceIn]) -> PlaceOut:
        lat, lon = data.location.wgs84()
        async with transaction():
            place = await places.create_place(
                actor=actor,
                kind=data.kind,
                name=data.name,
                lat=lat,
                lon=lon,
                address=data.address,
                phone=data.phone,
                hours=data.hours,
                attributes=data.attributes,
                status=data.status,
                photos=data.photos,
                source=data.source,
            )
        return _out(place)

    @get("/{place_id:int}", summary="One place")
    async def one(self, place_id: IdParam, coord_sys: CoordSysQuery = "wgs84") -> PlaceOut:
        return _out(await places.get_place(place_id=place_id), coord_sys)

    @patch("/{place_id:int}", summary="Change a place; attributes replace the whole object")
    async def change(
        self, actor: NamedDependency[Actor], place_id: IdParam, data: JSONBody[PlacePatch]
    ) -> PlaceOut:
        lat, lon = data.location.wgs84() if data.location else (None, None)
        async with transaction():
            place = await places.update_place(
                actor=actor,
                place_id=place_id,
                kind=data.kind,
                name=data.name,
                lat=lat,
                lon=lon,
                address=data.address,
                phone=data.phone,
                hours=data.hours,
                attributes=data.attributes,
                status=data.status,
                photos=data.photos,
                source=data.source,
            )
        return _out(place)

    @delete("/{place_id:int}", summary="Remove a place")
    async def remove(self, place_id: IdParam) -> None:
        async with transaction():
            await places.delete_place(place_id=place_id)

    @get("/{place_id:int}/feed", summary="The parking system that reports a car park's spaces")
    async def feed(self, place_id: IdParam) -> FeedOut:
        place = await places.get_place(place_id=place_id)
        return FeedOut(place_id=place.id, client_id=place.feed_client_id)

    @put(
        "/{place_id:int}/feed",
        summary="Bind a car park to the parking system whose key reports its free spaces",
    )
    async def bind_feed(self, place_id: IdParam, data: JSONBody[FeedIn]) -> FeedOut:
        async with transaction():
            place = await places.bind_feed(place_id=place_id, client_id=data.client_id)
        return FeedOut(place_id=place.id, client_id=place.feed_client_id)

    @post(
        "/import",
        summary="Bulk import (text/csv or application/geo+json), all or nothing",
        request_max_body_size=IMPORT_MAX_BYTES,
    )
    async def import_file(
        self,
        request: Request,
        actor: NamedDependency[Actor],
        file_format: Annotated[str | None, QueryParameter(name="format")] = None,
        coord_sys: CoordSysQuery = "wgs84",
    ) -> PlaceImportOut:
        fmt = detect_format(request.headers.get("content-type"), file_format)
        rows = await importer.prepare_places(
            actor=actor, data=await request.body(), fmt=fmt, coord_sys=coord_sys
        )
        async with transaction():
            count = await importer.write_places(rows)
        return PlaceImportOut(imported=count)


class AdminPlaceKindController(Controller):
    path = "/place-kinds"
    tags = ["places admin"]

    @get("/", summary="All place kinds, inactive ones included")
    async def list_kinds(self) -> KindListOut:
        return KindListOut(
            items=[_kind_out(k) for k in await kinds.list_kinds(include_inactive=True)]
        )

    @post("/", summary="Add a kind of place")
    async def create(self, data: JSONBody[KindIn]) -> KindAdminOut:
        async with transaction():
            kind = await kinds.create_kind(
                code=data.code,
                name_zh=data.name_zh,
                name_en=data.name_en,
                attributes=data.attributes,
                sort_order=data.sort_order,
            )
        return _kind_out(kind)

    @patch("/{code:str}", summary="Change a kind")
    async def change(self, code: FromPath[str], data: JSONBody[KindPatch]) -> KindAdminOut:
        async with transaction():
            kind = await kinds.update_kind(
                code=code,
                name_zh=data.name_zh,
                name_en=data.name_en,
                attributes=data.attributes,
                sort_order=data.sort_order,
                active=data.active,
            )
        return _kind_out(kind)
