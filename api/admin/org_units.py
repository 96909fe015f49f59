"""Organisation units: the administrative tree and the handling units."""

from __future__ import annotations

from typing import Annotated

import msgspec
from litestar import Controller, delete, get, patch, post, put
from litestar.di import NamedDependency
from litestar.params import FromQuery, JSONBody, QueryParameter

from api.admin.audit import ADMIN_ONLY
from api.params import IdParam, Int32
from audit.service import record
from core.actors import Actor
from core.db import transaction
from org import hours, units

Name = Annotated[str, msgspec.Meta(min_length=1, max_length=100)]


class UnitIn(msgspec.Struct, frozen=True, rename="camel", forbid_unknown_fields=True):
    kind: Annotated[str, msgspec.Meta(max_length=16)]
    code: Annotated[str, msgspec.Meta(min_length=1, max_length=32)]
    name_zh: Name
    name_en: Annotated[str, msgspec.Meta(max_length=150)] = ""
    parent_id: Int32 | None = None
    phone: Annotated[str, msgspec.Meta(max_length=32)] = ""


class UnitPatch(msgspec.Struct, frozen=True, rename="camel", forbid_unknown_fields=True):
    name_zh: Name | None = None
    name_en: Annotated[str, msgspec.Meta(max_length=150)] | None = None
    phone: Annotated[str, msgspec.Meta(max_length=32)] | None = None
    active: bool | None = None


class UnitOut(msgspec.Struct, frozen=True, rename="camel"):
    id: int
    kind: str
    code: str
    name_zh: str
    name_en: str
    phone: str
    parent_id: int | None
    active: bool
    # "" : the city's hours (CITYOPS_WORKING_HOURS).
    working_hours: str


class HoursIn(msgspec.Struct, frozen=True, rename="camel", forbid_unknown_fields=True):
    # "08:00-12:00,14:00-18:00": periods of one day, in order, not overlapping.
    working_hours: Annotated[str, msgspec.Meta(min_length=1, max_length=100)]


def unit_out(info: units.UnitInfo) -> UnitOut:
    return UnitOut(**msgspec.structs.asdict(info))


class OrgUnitController(Controller):
    path = "/org-units"
    tags = ["admin: configuration"]

    @get("/", summary="Units in code order")
    async def list_units(
        self,
        kind: FromQuery[str | None] = None,
        include_inactive: Annotated[bool, QueryParameter(name="includeInactive")] = False,
    ) -> list[UnitOut]:
        return [
            unit_out(u) for u in await units.list_units(kind=kind, active_only=not include_inactive)
        ]

    @get("/{unit_id:int}", summary="One unit")
    async def one(self, unit_id: IdParam) -> UnitOut:
        return unit_out(await units.get_unit(unit_id=unit_id, active_only=False))

    @post("/", summary="Create a unit", opt=ADMIN_ONLY)
    async def create(self, actor: NamedDependency[Actor], data: JSONBody[UnitIn]) -> UnitOut:
        async with transaction():
            info = await units.create_org_unit(**msgspec.structs.asdict(data))
            await record(
                actor=actor,
                action="org_unit.create",
                target_kind="org_unit",
                target_id=info.id,
                after=info,
            )
        return unit_out(info)

    @patch("/{unit_id:int}", summary="Rename, change the phone or (de)activate", opt=ADMIN_ONLY)
    async def update(
        self, actor: NamedDependency[Actor], unit_id: IdParam, data: JSONBody[UnitPatch]
    ) -> UnitOut:
        async with transaction():
            before = await units.get_unit(unit_id=unit_id, active_only=False)
            info = await units.update_org_unit(unit_id=unit_id, **msgspec.structs.asdict(data))
            await record(
                actor=actor,
                action="org_unit.update",
                target_kind="org_unit",
                target_id=unit_id,
                before=before,
                after=info,
            )
        return unit_out(info)

    @put(
        "/{unit_id:int}/working-hours",
        summary="Give the unit its own working hours: SLA clocks of cases dispatched to it "
        "count them",
        opt=ADMIN_ONLY,
    )
    async def set_hours(
        self, actor: NamedDependency[Actor], unit_id: IdParam, data: JSONBody[HoursIn]
    ) -> UnitOut:
        async with transaction():
            before = await units.get_unit(unit_id=unit_id, active_only=False)
            info = await hours.set_unit_hours(unit_id=unit_id, hours=data.working_hours)
            await record(
                actor=actor,
                action="org_unit.working_hours",
                target_kind="org_unit",
                target_id=unit_id,
                before=before,
                after=info,
            )
        return unit_out(info)

    @delete(
        "/{unit_id:int}/working-hours",
        summary="The unit counts the city's working hours again",
        opt=ADMIN_ONLY,
    )
    async def clear_hours(self, actor: NamedDependency[Actor], unit_id: IdParam) -> None:
        async with transaction():
            before = await units.get_unit(unit_id=unit_id, active_only=False)
            info = await hours.clear_unit_hours(unit_id=unit_id)
            if before.working_hours:
                await record(
                    actor=actor,
                    action="org_unit.working_hours",
                    target_kind="org_unit",
                    target_id=unit_id,
                    before=before,
                    after=info,
                )
