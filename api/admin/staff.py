"""Staff accounts: create, change role or unit, disable, and an inspector's grids."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

import msgspec
from litestar import Controller, get, patch, post, put
from litestar.di import NamedDependency
from litestar.params import FromQuery, JSONBody
from litestar.status_codes import HTTP_204_NO_CONTENT

from accounts import passwords, staff_admin
from accounts.errors import InvalidStaff
from api.admin.audit import ADMIN_ONLY
from api.params import IdParam, Int32, PageLimit, id_query
from audit.service import record
from core.actors import Actor, StaffRole
from core.db import transaction
from org import grid_admin
from org.units import get_unit


class StaffIn(msgspec.Struct, frozen=True, rename="camel", forbid_unknown_fields=True):
    username: Annotated[str, msgspec.Meta(min_length=3, max_length=64)]
    password: Annotated[str, msgspec.Meta(min_length=10, max_length=128)]
    role: StaffRole
    display_name: Annotated[str, msgspec.Meta(max_length=64)] = ""
    org_unit_id: Int32 | None = None
    phone: Annotated[str, msgspec.Meta(max_length=20)] | None = None


class PasswordIn(msgspec.Struct, frozen=True, rename="camel", forbid_unknown_fields=True):
    password: Annotated[str, msgspec.Meta(min_length=10, max_length=128)]


class StaffPatch(msgspec.Struct, frozen=True, rename="camel", forbid_unknown_fields=True):
    role: StaffRole | None = None
    display_name: Annotated[str, msgspec.Meta(min_length=1, max_length=64)] | None = None
    org_unit_id: Int32 | None = None
    clear_unit: bool = False
    phone: Annotated[str, msgspec.Meta(max_length=20)] | None = None
    active: bool | None = None


class GridsIn(msgspec.Struct, frozen=True, rename="camel", forbid_unknown_fields=True):
    grid_codes: Annotated[
        list[Annotated[str, msgspec.Meta(pattern=r"^\d{2,24}$")]], msgspec.Meta(max_length=500)
    ]


class StaffOut(msgspec.Struct, frozen=True, rename="camel"):
    id: int
    username: str
    role: str
    display_name: str
    org_unit_id: int | None
    phone: str | None
    active: bool
    created_at: dt.datetime
    grid_codes: list[str]


class StaffPage(msgspec.Struct, frozen=True, rename="camel"):
    items: list[StaffOut]
    next_cursor: int | None  # pass as afterId


async def _out(info: staff_admin.StaffInfo) -> StaffOut:
    codes = await grid_admin.grid_codes_of_inspector(staff_id=info.id)
    return StaffOut(**msgspec.structs.asdict(info), grid_codes=codes)


class AdminStaffController(Controller):
    path = "/staff"
    tags = ["admin: configuration"]

    @get("/", summary="Staff in id order, keyset pages (afterId)")
    async def list_staff(
        self,
        role: FromQuery[StaffRole | None] = None,
        unit_id: Annotated[int | None, id_query("unitId")] = None,
        active: FromQuery[bool | None] = None,
        after_id: Annotated[int | None, id_query("afterId")] = None,
        limit: PageLimit = 50,
    ) -> StaffPage:
        rows = await staff_admin.list_staff(
            role=role, unit_id=unit_id, active=active, after_id=after_id, limit=limit + 1
        )
        items = [await _out(info) for info in rows[:limit]]
        return StaffPage(items=items, next_cursor=items[-1].id if len(rows) > limit else None)

    @get("/{staff_id:int}", summary="One staff member")
    async def one(self, staff_id: IdParam) -> StaffOut:
        return await _out(await staff_admin.staff_info(staff_id=staff_id))

    @post("/", summary="Create a staff account", opt=ADMIN_ONLY)
    async def create(self, actor: NamedDependency[Actor], data: JSONBody[StaffIn]) -> StaffOut:
        fields = msgspec.structs.asdict(data)
        password_hash = await passwords.hash_new_password(fields.pop("password"))
        async with transaction():
            unit = await get_unit(unit_id=data.org_unit_id) if data.org_unit_id else None
            staff_admin.check_role_unit(role=data.role, unit_kind=unit.kind if unit else None)
            info = await staff_admin.create_staff_account(**fields, password_hash=password_hash)
            await record(
                actor=actor,
                action="staff.create",
                target_kind="staff",
                target_id=info.id,
                after=info,
            )
        return await _out(info)

    @patch(
        "/{staff_id:int}",
        summary="Change role, unit, name, phone; disable or enable",
        opt=ADMIN_ONLY,
    )
    async def update(
        self, actor: NamedDependency[Actor], staff_id: IdParam, data: JSONBody[StaffPatch]
    ) -> StaffOut:
        if staff_id == actor.id and (data.active is False or data.role not in (None, "admin")):
            # The last admin locking themselves out is unrecoverable without a shell.
            raise InvalidStaff(reason="an admin cannot disable or demote themselves")
        async with transaction():
            before = await staff_admin.staff_info(staff_id=staff_id)
            if data.org_unit_id is not None:
                unit = await get_unit(unit_id=data.org_unit_id)
            elif before.org_unit_id is not None and not data.clear_unit:
                unit = await get_unit(unit_id=before.org_unit_id, active_only=False)
            else:
                unit = None
            staff_admin.check_role_unit(
                role=data.role or before.role, unit_kind=unit.kind if unit else None
            )
            info = await staff_admin.update_staff(staff_id=staff_id, **msgspec.structs.asdict(data))
            await record(
                actor=actor,
                action="staff.update",
                target_kind="staff",
                target_id=staff_id,
                before=before,
                after=info,
            )
        return await _out(info)

    @put(
        "/{staff_id:int}/password",
        status_code=HTTP_204_NO_CONTENT,
        summary="Set a staff member's password (ends their sessions)",
        opt=ADMIN_ONLY,
    )
    async def set_password(
        self, actor: NamedDependency[Actor], staff_id: IdParam, data: JSONBody[PasswordIn]
    ) -> None:
        password_hash = await passwords.hash_new_password(data.password)
        async with transaction():
            await staff_admin.set_password(staff_id=staff_id, password_hash=password_hash)
            await record(
                actor=actor,
                action="staff.password",
                target_kind="staff",
                target_id=staff_id,
            )

    @put("/{staff_id:int}/grids", summary="Set the grids an inspector patrols", opt=ADMIN_ONLY)
    async def set_grids(
        self, actor: NamedDependency[Actor], staff_id: IdParam, data: JSONBody[GridsIn]
    ) -> StaffOut:
        async with transaction():
            info = await staff_admin.staff_info(staff_id=staff_id)
            if info.role != "inspector" and data.grid_codes:
                raise InvalidStaff(reason="only inspectors are assigned to grids")
            before = await grid_admin.grid_codes_of_inspector(staff_id=staff_id)
            after = await grid_admin.set_inspector_grids(
                staff_id=staff_id, grid_codes=list(data.grid_codes)
            )
            await record(
                actor=actor,
                action="staff.grids",
                target_kind="staff",
                target_id=staff_id,
                before={"grid_codes": before},
                after={"grid_codes": after},
            )
        return await _out(info)
