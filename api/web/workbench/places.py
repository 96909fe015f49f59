"""/workbench/places: service points (公厕, parks, parking...): list and search, create and
edit with a map picker, bulk import. Writes go through the API's Structs (PlaceIn,
PlacePatch) and places.service, as POST/PATCH /api/admin/places do."""

from __future__ import annotations

from typing import Annotated, Any

from litestar import Controller, Request, Response, get, post
from litestar.di import NamedDependency
from litestar.params import FromPath, QueryParameter
from litestar.response import Redirect, Template

from api.admin.places import PlaceIn, PlacePatch
from api.geo import location_out
from api.params import Int32
from api.untrusted import IMPORT_MAX_BYTES
from api.web.workbench.map_data import tile_sys
from api.web.workbench.templating import chrome, page_headers
from api.web.workbench.tool_forms import (
    FormInvalid,
    convert,
    create_once,
    domain_invalid,
    form_key,
    posted,
)
from api.web.workbench.tool_import import run_import
from core.actors import Actor
from core.db import transaction
from core.errors import DomainError
from core.map_tiles import tile_config
from core.settings import get_settings
from places import importer, kinds
from places import service as places
from places.tabular import detect_format

FIELDS = ("kind", "name", "address", "phone", "hours", "status")
STATUSES = ("open", "closed", "maintenance")
PAGE = 50


async def _render(
    request: Request, actor: Actor, template: str, status: int = 200, **values: Any
) -> Template:
    context = await chrome(request, actor, active="places")
    kind_list = await kinds.list_kinds()
    context.update(
        kinds=[(k.code, k.name(context["lang"])) for k in kind_list],
        statuses=STATUSES,
        tiles=tile_config(get_settings()),
        coord_sys=tile_sys(),
        **values,
    )
    return Template(
        template_name=template,
        context=context,
        status_code=status,
        headers=page_headers(context["lang"]),
    )


def _values(place: places.PlaceInfo) -> dict[str, str]:
    """The form of a stored place: its position in the tiles' system, as the picker draws."""
    coord_sys = tile_sys()
    shown = location_out(place.lat, place.lon, coord_sys)  # type: ignore[arg-type]
    values = {name: str(getattr(place, name)) for name in FIELDS}
    values.update(lat=f"{shown.lat:.7f}", lon=f"{shown.lon:.7f}", coordSys=coord_sys)
    return values


class PlacePages(Controller):
    path = "/places"

    @get("/", name="wb.places")
    async def index(
        self,
        request: Request,
        actor: NamedDependency[Actor],
        q: Annotated[str | None, QueryParameter(max_length=100)] = None,
        kind: Annotated[str | None, QueryParameter(max_length=32)] = None,
        cursor: Annotated[str | None, QueryParameter(max_length=200)] = None,
    ) -> Template:
        page = await places.list_places(
            kind=kind or None, cursor=cursor, limit=PAGE, name_contains=q
        )
        return await _render(
            request,
            actor,
            "workbench/places.html",
            page=page,
            q=q or "",
            kind=kind or "",
            import_result=None,
        )

    @get("/new", name="wb.places.new")
    async def new(self, request: Request, actor: NamedDependency[Actor]) -> Template:
        values = {"status": "open", "coordSys": tile_sys(), "_key": form_key()}
        return await _render(
            request,
            actor,
            "workbench/place_form.html",
            values=values,
            errors={},
            place=None,
            saved=False,
        )

    @post("/new", name="wb.places.create", status_code=303)
    async def create(self, request: Request, actor: NamedDependency[Actor]) -> Response:
        values = await posted(request)
        try:
            data = convert(values, FIELDS, PlaceIn)
            lat, lon = data.location.wgs84()

            async def create() -> int:
                place = await places.create_place(
                    actor=actor,
                    kind=data.kind,
                    name=data.name,
                    lat=lat,
                    lon=lon,
                    address=data.address,
                    phone=data.phone,
                    hours=data.hours,
                    status=data.status,
                )
                return place.id

            place_id = await create_once(actor, "wb.places.create", values, create)
        except DomainError as exc:
            return await self._invalid(request, actor, domain_invalid(values, exc, actor.locale))
        except FormInvalid as exc:
            return await self._invalid(request, actor, exc)
        return Redirect(f"/workbench/places/{place_id}?saved=1", status_code=303)

    @get("/{place_id:int}", name="wb.places.edit")
    async def edit(
        self, request: Request, actor: NamedDependency[Actor], place_id: FromPath[Int32]
    ) -> Template:
        place = await places.get_place(place_id=place_id)
        return await _render(
            request,
            actor,
            "workbench/place_form.html",
            values=_values(place),
            errors={},
            place=place,
            saved=request.query_params.get("saved") == "1",
        )

    @post("/{place_id:int}", name="wb.places.update", status_code=303)
    async def update(
        self, request: Request, actor: NamedDependency[Actor], place_id: FromPath[Int32]
    ) -> Response:
        place = await places.get_place(place_id=place_id)  # 404 before reading the form
        values = await posted(request)
        try:
            data = convert(values, FIELDS, PlacePatch, clearable=("address", "phone", "hours"))
            lat, lon = data.location.wgs84() if data.location else (None, None)
            async with transaction():
                await places.update_place(
                    actor=actor,
                    place_id=place.id,
                    kind=data.kind,
                    name=data.name,
                    lat=lat,
                    lon=lon,
                    address=data.address,
                    phone=data.phone,
                    hours=data.hours,
                    status=data.status,
                )
        except DomainError as exc:
            invalid = domain_invalid(values, exc, actor.locale)
            return await self._invalid(request, actor, invalid, place=place)
        except FormInvalid as exc:
            return await self._invalid(request, actor, exc, place=place)
        return Redirect(f"/workbench/places/{place.id}?saved=1", status_code=303)

    @post("/import", name="wb.places.import", request_max_body_size=IMPORT_MAX_BYTES + 65536)
    async def import_file(self, request: Request, actor: NamedDependency[Actor]) -> Template:
        async def prepare(data: bytes, fmt: str, coord_sys: str) -> list:
            return await importer.prepare_places(
                actor=actor,
                data=data,
                fmt=fmt,
                coord_sys=coord_sys,  # type: ignore[arg-type]
            )

        result = await run_import(request, actor, prepare, importer.write_places, detect_format)
        page = await places.list_places(limit=PAGE)
        return await _render(
            request,
            actor,
            "workbench/places.html",
            status=result.status,
            page=page,
            q="",
            kind="",
            import_result=result,
        )

    async def _invalid(
        self, request: Request, actor: Actor, exc: FormInvalid, place: Any = None
    ) -> Template:
        return await _render(
            request,
            actor,
            "workbench/place_form.html",
            status=exc.status,
            values=exc.values,
            errors=exc.errors,
            place=place,
            saved=False,
        )
