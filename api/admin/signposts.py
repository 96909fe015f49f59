"""Administration of QR signposts: CRUD, import, QR images, the print sheet, scan counts and
damage reports."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal

import msgspec
from litestar import Controller, Request, Response, delete, get, patch, post
from litestar.params import FromPath, FromQuery, JSONBody, QueryParameter

from api.geo import CoordSys, CoordSysQuery, Location, location_out
from api.params import PageLimit
from api.types import CalendarDate
from api.untrusted import IMPORT_MAX_BYTES
from core.db import transaction
from places.tabular import detect_format
from qr import cache as signpost_cache
from qr import codes, importer, render
from qr import service as signposts

Status = Literal["active", "damaged", "removed"]
Code = Annotated[str, msgspec.Meta(min_length=1, max_length=32)]


class SignpostIn(msgspec.Struct, frozen=True, rename="camel", forbid_unknown_fields=True):
    name: Annotated[str, msgspec.Meta(min_length=1, max_length=200)]
    location: Location
    kind: Annotated[str, msgspec.Meta(min_length=1, max_length=32)] = "intersection"
    status: Status = "active"
    installed_on: CalendarDate | None = None
    grid_code: Annotated[str, msgspec.Meta(max_length=32)] | None = None
    code: Code | None = None  # a printed sticker's code, when re-registering it


class SignpostPatch(msgspec.Struct, frozen=True, rename="camel", forbid_unknown_fields=True):
    name: Annotated[str, msgspec.Meta(min_length=1, max_length=200)] | None = None
    location: Location | None = None
    kind: Annotated[str, msgspec.Meta(min_length=1, max_length=32)] | None = None
    status: Status | None = None
    installed_on: CalendarDate | None = None
    grid_code: Annotated[str, msgspec.Meta(max_length=32)] | None = None


class SignpostOut(msgspec.Struct, frozen=True, rename="camel"):
    code: str
    url: str
    name: str
    kind: str
    location: Location
    grid_id: int | None
    grid_code: str | None
    status: str
    installed_on: dt.date | None
    created_at: dt.datetime
    updated_at: dt.datetime


class SignpostPage(msgspec.Struct, frozen=True, rename="camel"):
    items: list[SignpostOut]
    next_cursor: str | None


class ScanDayOut(msgspec.Struct, frozen=True, rename="camel"):
    day: dt.date
    app: int
    web: int
    total: int


class ScansOut(msgspec.Struct, frozen=True, rename="camel"):
    code: str
    total: int
    days: list[ScanDayOut]


class DamageOut(msgspec.Struct, frozen=True, rename="camel"):
    id: int
    code: str
    signpost_name: str
    note: str
    channel: str
    reported_at: dt.datetime


class DamageListOut(msgspec.Struct, frozen=True, rename="camel"):
    items: list[DamageOut]


class SheetIn(msgspec.Struct, frozen=True, rename="camel", forbid_unknown_fields=True):
    codes: Annotated[list[Code], msgspec.Meta(min_length=1)]
    label: bool = True


class SignpostImportOut(msgspec.Struct, frozen=True, rename="camel"):
    imported: int


def _out(sign: signposts.SignpostInfo, coord_sys: CoordSys = "wgs84") -> SignpostOut:
    return SignpostOut(
        code=sign.code,
        url=codes.url_of(sign.code),
        name=sign.name,
        kind=sign.kind,
        location=location_out(sign.lat, sign.lon, coord_sys),
        grid_id=sign.grid_id,
        grid_code=sign.grid_code or None,
        status=sign.status,
        installed_on=sign.installed_on,
        created_at=sign.created_at,
        updated_at=sign.updated_at,
    )


class AdminSignpostController(Controller):
    path = "/signposts"
    tags = ["signposts admin"]

    @get("/", summary="Signposts, oldest first, keyset pages")
    async def list_signposts(
        self,
        sign_status: Annotated[Status | None, QueryParameter(name="status")] = None,
        cursor: FromQuery[str | None] = None,
        limit: PageLimit = 50,
        coord_sys: CoordSysQuery = "wgs84",
    ) -> SignpostPage:
        items, next_cursor = await signposts.list_signposts(
            status=sign_status, cursor=cursor, limit=limit
        )
        return SignpostPage(items=[_out(s, coord_sys) for s in items], next_cursor=next_cursor)

    @post("/", summary="Add a signpost; its code is issued here unless given")
    async def create(self, data: JSONBody[SignpostIn]) -> SignpostOut:
        lat, lon = data.location.wgs84()
        async with transaction():
            sign = await signposts.create_signpost(
                name=data.name,
                lat=lat,
                lon=lon,
                kind=data.kind,
                status=data.status,
                installed_on=data.installed_on,
                grid_code=data.grid_code,
                code=data.code,
            )
        signpost_cache.forget()
        return _out(sign)

    @get("/damage-reports", summary="Signs reported damaged, newest first")
    async def damage(
        self,
        code: FromQuery[Code | None] = None,
        limit: Annotated[int, QueryParameter(ge=1, le=500)] = 100,
    ) -> DamageListOut:
        reports = await signposts.damage_reports(code=code, limit=limit)
        return DamageListOut(
            items=[
                DamageOut(
                    id=r.id,
                    code=r.code,
                    signpost_name=r.signpost_name,
                    note=r.note,
                    channel=r.channel,
                    reported_at=r.reported_at,
                )
                for r in reports
            ]
        )

    @post(
        "/import",
        summary="Bulk import (text/csv or application/geo+json), all or nothing",
        request_max_body_size=IMPORT_MAX_BYTES,
    )
    async def import_file(
        self,
        request: Request,
        file_format: Annotated[str | None, QueryParameter(name="format")] = None,
        coord_sys: CoordSysQuery = "wgs84",
    ) -> SignpostImportOut:
        fmt = detect_format(request.headers.get("content-type"), file_format)
        rows = await importer.prepare_signposts(
            data=await request.body(), fmt=fmt, coord_sys=coord_sys
        )
        async with transaction():
            count = await importer.write_signposts(rows)
        signpost_cache.forget()  # after the commit: this process's scans see it at once
        return SignpostImportOut(imported=count)

    @post("/sheet", status_code=200, summary="A printable PDF of many labelled codes")
    async def sheet(self, data: JSONBody[SheetIn]) -> Response[bytes]:
        return Response(
            await signposts.sheet_pdf(sign_codes=data.codes, label=data.label),
            media_type="application/pdf",
            headers={"Content-Disposition": 'inline; filename="signposts.pdf"'},
        )

    @get("/{code:str}", summary="One signpost")
    async def one(self, code: FromPath[Code], coord_sys: CoordSysQuery = "wgs84") -> SignpostOut:
        return _out(await signposts.get_signpost(code=code), coord_sys)

    @patch("/{code:str}", summary="Change a signpost")
    async def change(self, code: FromPath[Code], data: JSONBody[SignpostPatch]) -> SignpostOut:
        lat, lon = data.location.wgs84() if data.location else (None, None)
        async with transaction():
            sign = await signposts.update_signpost(
                code=code,
                name=data.name,
                lat=lat,
                lon=lon,
                kind=data.kind,
                status=data.status,
                installed_on=data.installed_on,
                grid_code=data.grid_code,
            )
        signpost_cache.forget()
        return _out(sign)

    @delete("/{code:str}", summary="Delete a signpost with its scans and damage reports")
    async def remove(self, code: FromPath[Code]) -> None:
        async with transaction():
            await signposts.delete_signpost(code=code)
        signpost_cache.forget()

    @get(
        "/{code:str}/qr.png",
        summary="The QR code as PNG (error correction Q)",
        media_type="image/png",
    )
    async def qr_png(
        self,
        code: FromPath[Code],
        label: FromQuery[bool] = True,
        size: Annotated[int, QueryParameter(ge=2, le=40)] = 10,
    ) -> Response[bytes]:
        sign = await signposts.get_signpost(code=code)
        image = render.png(codes.url_of(sign.code), sign.name if label else None, box=size)
        return Response(image, media_type="image/png")

    @get(
        "/{code:str}/qr.svg",
        summary="The QR code as SVG (error correction Q)",
        media_type="image/svg+xml",
    )
    async def qr_svg(
        self,
        code: FromPath[Code],
        label: FromQuery[bool] = True,
        size: Annotated[int, QueryParameter(ge=2, le=40)] = 10,
    ) -> Response[bytes]:
        sign = await signposts.get_signpost(code=code)
        image = render.svg(codes.url_of(sign.code), sign.name if label else None, box=size)
        return Response(image, media_type="image/svg+xml")

    @get("/{code:str}/scans", summary="Scans per day in the city's time zone")
    async def scans(
        self, code: FromPath[Code], days: Annotated[int, QueryParameter(ge=1, le=366)] = 30
    ) -> ScansOut:
        counted = await signposts.scans_per_day(code=code, days=days)
        items = [ScanDayOut(day=d.day, app=d.app, web=d.web, total=d.app + d.web) for d in counted]
        return ScansOut(code=codes.normalize(code), total=sum(i.total for i in items), days=items)
