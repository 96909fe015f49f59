"""/workbench/signposts: QR signposts (路牌): list and search, create and edit with a map
picker, bulk import and the print sheet of QR codes. Writes go through the API's Structs
(SignpostIn, SignpostPatch) and qr.service, as /api/admin/signposts does."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from litestar import Controller, Request, Response, get, post
from litestar.di import NamedDependency
from litestar.params import FromPath, QueryParameter
from litestar.response import Redirect, Template

from api.admin.signposts import Code, SignpostIn, SignpostPatch
from api.geo import location_out
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
from places.tabular import detect_format
from qr import codes, importer
from qr import service as signposts

FIELDS = ("name", "kind", "status", "installedOn", "gridCode", "code")
STATUSES = ("active", "damaged", "removed")
PAGE = 50


async def _render(
    request: Request, actor: Actor, template: str, status: int = 200, **values: Any
) -> Template:
    context = await chrome(request, actor, active="signposts")
    context.update(
        statuses=STATUSES,
        tiles=tile_config(get_settings()),
        coord_sys=tile_sys(),
        sheet_max=signposts.SHEET_MAX,
        **values,
    )
    return Template(
        template_name=template,
        context=context,
        status_code=status,
        headers=page_headers(context["lang"]),
    )


def _values(sign: signposts.SignpostInfo) -> dict[str, str]:
    coord_sys = tile_sys()
    shown = location_out(sign.lat, sign.lon, coord_sys)  # type: ignore[arg-type]
    return {
        "name": sign.name,
        "kind": sign.kind,
        "status": sign.status,
        "installedOn": sign.installed_on.isoformat() if sign.installed_on else "",
        "gridCode": sign.grid_code,
        "lat": f"{shown.lat:.7f}",
        "lon": f"{shown.lon:.7f}",
        "coordSys": coord_sys,
    }


class SignpostPages(Controller):
    path = "/signposts"

    @get("/", name="wb.signposts")
    async def index(
        self,
        request: Request,
        actor: NamedDependency[Actor],
        q: Annotated[str | None, QueryParameter(max_length=100)] = None,
        sign_status: Annotated[
            Literal["active", "damaged", "removed"] | None, QueryParameter(name="status")
        ] = None,
        cursor: Annotated[str | None, QueryParameter(max_length=200)] = None,
    ) -> Template:
        return await self._list(request, actor, q=q, sign_status=sign_status, cursor=cursor)

    async def _list(
        self,
        request: Request,
        actor: Actor,
        *,
        q: str | None = None,
        sign_status: str | None = None,
        cursor: str | None = None,
        status: int = 200,
        **extra: Any,
    ) -> Template:
        items, next_cursor = await signposts.list_signposts(
            status=sign_status, cursor=cursor, limit=PAGE, name_contains=q
        )
        values = {"import_result": None, "sheet_error": "", **extra}
        return await _render(
            request,
            actor,
            "workbench/signposts.html",
            status=status,
            items=items,
            urls={s.code: codes.url_of(s.code) for s in items},
            next_cursor=next_cursor,
            q=q or "",
            sign_status=sign_status or "",
            **values,
        )

    @get("/new", name="wb.signposts.new")
    async def new(self, request: Request, actor: NamedDependency[Actor]) -> Template:
        values = {
            "status": "active",
            "kind": "intersection",
            "coordSys": tile_sys(),
            "_key": form_key(),
        }
        return await _render(
            request,
            actor,
            "workbench/signpost_form.html",
            values=values,
            errors={},
            sign=None,
            saved=False,
        )

    @post("/new", name="wb.signposts.create", status_code=303)
    async def create(self, request: Request, actor: NamedDependency[Actor]) -> Response:
        values = await posted(request)
        try:
            data = convert(values, FIELDS, SignpostIn)
            lat, lon = data.location.wgs84()

            async def create() -> str:
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
                return sign.code

            code = await create_once(actor, "wb.signposts.create", values, create)
        except DomainError as exc:
            return await self._invalid(request, actor, domain_invalid(values, exc, actor.locale))
        except FormInvalid as exc:
            return await self._invalid(request, actor, exc)
        return Redirect(f"/workbench/signposts/{code}?saved=1", status_code=303)

    @post("/import", name="wb.signposts.import", request_max_body_size=IMPORT_MAX_BYTES + 65536)
    async def import_file(self, request: Request, actor: NamedDependency[Actor]) -> Template:
        async def prepare(data: bytes, fmt: str, coord_sys: str) -> list:
            return await importer.prepare_signposts(
                data=data,
                fmt=fmt,
                coord_sys=coord_sys,  # type: ignore[arg-type]
            )

        result = await run_import(request, actor, prepare, importer.write_signposts, detect_format)
        return await self._list(request, actor, status=result.status, import_result=result)

    @post("/sheet", name="wb.signposts.sheet", status_code=200)
    async def sheet(self, request: Request, actor: NamedDependency[Actor]) -> Response:
        """The print sheet (PDF) of the ticked signs, downloaded: a PDF shown inline would run
        under the workbench's CSP, which allows no plugin."""
        form = await request.form()
        chosen = [c for c in form.getall("codes", []) if isinstance(c, str) and c][:1000]
        try:
            pdf = await signposts.sheet_pdf(sign_codes=chosen, label=form.get("label") == "1")
        except DomainError as exc:
            return await self._list(
                request, actor, status=exc.status, sheet_error=exc.detail(actor.locale)
            )
        return Response(
            pdf,
            media_type="application/pdf",
            headers={"Content-Disposition": 'attachment; filename="signposts.pdf"'},
        )

    @get("/{code:str}", name="wb.signposts.edit")
    async def edit(
        self, request: Request, actor: NamedDependency[Actor], code: FromPath[Code]
    ) -> Template:
        sign = await signposts.get_signpost(code=code)
        return await _render(
            request,
            actor,
            "workbench/signpost_form.html",
            values=_values(sign),
            errors={},
            sign=sign,
            saved=request.query_params.get("saved") == "1",
        )

    @post("/{code:str}", name="wb.signposts.update", status_code=303)
    async def update(
        self, request: Request, actor: NamedDependency[Actor], code: FromPath[Code]
    ) -> Response:
        sign = await signposts.get_signpost(code=code)  # 404 before reading the form
        values = await posted(request)
        try:
            # The code is the sign's identity: the edit form does not change it.
            data = convert(values, FIELDS[:-1], SignpostPatch)
            lat, lon = data.location.wgs84() if data.location else (None, None)
            async with transaction():
                await signposts.update_signpost(
                    code=sign.code,
                    name=data.name,
                    lat=lat,
                    lon=lon,
                    kind=data.kind,
                    status=data.status,
                    installed_on=data.installed_on,
                    grid_code=data.grid_code,
                )
        except DomainError as exc:
            invalid = domain_invalid(values, exc, actor.locale)
            return await self._invalid(request, actor, invalid, sign=sign)
        except FormInvalid as exc:
            return await self._invalid(request, actor, exc, sign=sign)
        return Redirect(f"/workbench/signposts/{sign.code}?saved=1", status_code=303)

    async def _invalid(
        self, request: Request, actor: Actor, exc: FormInvalid, sign: Any = None
    ) -> Template:
        return await _render(
            request,
            actor,
            "workbench/signpost_form.html",
            status=exc.status,
            values=exc.values,
            errors=exc.errors,
            sign=sign,
            saved=False,
        )
