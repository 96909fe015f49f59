"""Unit grids: list, create, edit, GeoJSON import with an overlap and gap report."""

from __future__ import annotations

from typing import Annotated, Any

import msgspec
from litestar import Controller, get, patch, post
from litestar.di import NamedDependency
from litestar.params import FromPath, JSONBody, QueryParameter

from api.admin.audit import ADMIN_ONLY
from api.geo import CoordSys, CoordSysQuery, body_coord_sys
from api.params import Int32
from api.problems import GridImportProblem, problem_responses
from api.untrusted import IMPORT_MAX_BYTES
from audit.service import record
from core.actors import Actor
from core.db import transaction
from org import grid_admin, grids

GridCode = Annotated[str, msgspec.Meta(pattern=r"^\d{2,24}$")]
Name = Annotated[str, msgspec.Meta(min_length=1, max_length=100)]


class GridIn(msgspec.Struct, frozen=True, rename="camel", forbid_unknown_fields=True):
    code: GridCode
    name: Name
    polygon: dict[str, Any]
    parent_code: GridCode | None = None
    unit_id: Int32 | None = None
    area_id: Int32 | None = None
    coord_sys: CoordSys = msgspec.field(default_factory=body_coord_sys)


class GridPatch(msgspec.Struct, frozen=True, rename="camel", forbid_unknown_fields=True):
    name: Name | None = None
    polygon: dict[str, Any] | None = None
    unit_id: Int32 | None = None
    area_id: Int32 | None = None
    active: bool | None = None
    coord_sys: CoordSys = msgspec.field(default_factory=body_coord_sys)


class AdminGridOut(msgspec.Struct, frozen=True, rename="camel"):
    id: int
    code: str
    name: str
    level: int
    parent_code: str | None
    unit_id: int | None
    area_id: int | None
    active: bool
    bbox: list[float]  # [minLon, minLat, maxLon, maxLat], WGS-84
    inspector_ids: list[int]


class GridDetail(msgspec.Struct, frozen=True, rename="camel"):
    grid: AdminGridOut
    polygon: dict[str, Any]  # GeoJSON geometry, WGS-84


class OverlapOut(msgspec.Struct, frozen=True, rename="camel"):
    a: str
    b: str
    area_m2: float


class GapOut(msgspec.Struct, frozen=True, rename="camel"):
    parent: str
    area_m2: float
    at: list[float]


class OutsideOut(msgspec.Struct, frozen=True, rename="camel"):
    code: str
    parent: str
    area_m2: float


class GridImportOut(msgspec.Struct, frozen=True, rename="camel"):
    created: list[str]
    updated: list[str]
    overlaps: list[OverlapOut]
    gaps: list[GapOut]
    outside_parent: list[OutsideOut]
    dry_run: bool


def _out(row: grid_admin.GridRow) -> AdminGridOut:
    return AdminGridOut(
        id=row.id,
        code=row.code,
        name=row.name,
        level=row.level,
        parent_code=row.parent_code,
        unit_id=row.unit_id,
        area_id=row.area_id,
        active=row.active,
        bbox=[row.min_lon, row.min_lat, row.max_lon, row.max_lat],
        inspector_ids=row.inspector_ids,
    )


async def _snapshot(code: str) -> dict[str, Any]:
    """The grid as stored (also what the audit trail keeps)."""
    polygon = await grid_admin.grid_polygon(code=code)  # grid.unknown first
    (row,) = await grid_admin.list_grids(include_inactive=True, code=code)
    return {"grid": row, "polygon": polygon}


async def _detail(code: str) -> GridDetail:
    snap = await _snapshot(code)
    return GridDetail(grid=_out(snap["grid"]), polygon=snap["polygon"])


class AdminGridController(Controller):
    path = "/grids"
    tags = ["admin: configuration"]

    @get("/", summary="Grids in code order, with their inspectors")
    async def list_grids(
        self,
        include_inactive: Annotated[bool, QueryParameter(name="includeInactive")] = False,
    ) -> list[AdminGridOut]:
        return [_out(r) for r in await grid_admin.list_grids(include_inactive=include_inactive)]

    @get("/{code:str}", summary="One grid with its polygon")
    async def one(self, code: FromPath[GridCode]) -> GridDetail:
        return await _detail(code)

    @post("/", summary="Create a grid", opt=ADMIN_ONLY)
    async def create(self, actor: NamedDependency[Actor], data: JSONBody[GridIn]) -> GridDetail:
        async with transaction():
            await grids.create_grid(
                code=data.code,
                name=data.name,
                polygon=data.polygon,
                coord_sys=data.coord_sys,
                parent_code=data.parent_code,
                unit_id=data.unit_id,
                area_id=data.area_id,
            )
            after = await _snapshot(data.code)
            await record(
                actor=actor,
                action="grid.create",
                target_kind="grid",
                target_id=data.code,
                after=after,
            )
        return GridDetail(grid=_out(after["grid"]), polygon=after["polygon"])

    @patch("/{code:str}", summary="Rename, redraw, reassign or (de)activate", opt=ADMIN_ONLY)
    async def update(
        self, actor: NamedDependency[Actor], code: FromPath[GridCode], data: JSONBody[GridPatch]
    ) -> GridDetail:
        async with transaction():
            before = await _snapshot(code)
            await grids.update_grid(
                code=code,
                name=data.name,
                polygon=data.polygon,
                coord_sys=data.coord_sys,
                unit_id=data.unit_id,
                area_id=data.area_id,
                active=data.active,
            )
            after = await _snapshot(code)
            await record(
                actor=actor,
                action="grid.update",
                target_kind="grid",
                target_id=code,
                before=before,
                after=after,
            )
        return GridDetail(grid=_out(after["grid"]), polygon=after["polygon"])

    @post(
        "/import",
        status_code=200,
        opt=ADMIN_ONLY,
        # Its 422 lists every bad feature, not field errors.
        responses=problem_responses(422, container=GridImportProblem),
        request_max_body_size=IMPORT_MAX_BYTES,
        summary="Import a GeoJSON FeatureCollection (properties: code, name, parent, "
        "unitCode, areaCode); all or nothing; overlaps and gaps reported",
    )
    async def import_grids(
        self,
        actor: NamedDependency[Actor],
        data: JSONBody[dict[str, Any]],
        coord_sys: CoordSysQuery = "wgs84",
        dry_run: Annotated[bool, QueryParameter(name="dryRun")] = False,
    ) -> GridImportOut:
        async with transaction():
            report = await grid_admin.import_grids(
                collection=data, coord_sys=coord_sys, dry_run=dry_run
            )
            if not dry_run:
                await record(
                    actor=actor,
                    action="grid.import",
                    target_kind="grid",
                    target_id=f"{len(report.created) + len(report.updated)} grids",
                    after={"created": report.created, "updated": report.updated},
                )
        return msgspec.convert(report, GridImportOut, from_attributes=True)
