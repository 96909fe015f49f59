"""Organisation units: the administrative tree (city > district > street > community) and the
units that handle cases (departments, work units, centres)."""

from __future__ import annotations

import re

import msgspec

from core import clock
from core.db import is_unique_violation
from org.centres import forget_unit_tree
from org.errors import InvalidOrgUnit, OrgUnitCodeTaken, UnknownOrgUnit
from org.tables import OrgUnit

UNIT_KINDS: tuple[str, ...] = (
    "city",
    "district",
    "street",
    "community",
    "department",
    "work_unit",
    "centre",
    "shop",
)
# Which kind of unit may sit under which: the shape of Qingdao's organisation (1 centre,
# 32 departments, 10 district centres, 141 street stations, 443 work units).
ALLOWED_PARENTS: dict[str, tuple[str | None, ...]] = {
    "city": (None,),
    "district": ("city",),
    "street": ("district",),
    "community": ("street",),
    # Command centres: the city's, a district's, a street's station (街道工作站).
    "centre": ("city", "district", "street"),
    "department": ("city", "district"),
    "work_unit": ("city", "district", "street", "department", "centre"),
    # A merchant's shop honouring reward vouchers (rewards.merchants); never dispatched to.
    "shop": (None, "city", "district", "street", "community"),
}
_CODE = re.compile(r"^[A-Za-z0-9_.-]{1,32}$")


class UnitInfo(msgspec.Struct, frozen=True, kw_only=True):
    id: int
    kind: str
    code: str
    name_zh: str
    name_en: str
    phone: str
    parent_id: int | None
    active: bool
    # The unit's own working hours ("" : the city's, CITYOPS_WORKING_HOURS); org.hours.
    working_hours: str = ""

    def name(self, locale: str) -> str:
        return self.name_en if locale == "en" and self.name_en else self.name_zh


def unit_info(row: OrgUnit | dict) -> UnitInfo:
    values = row if isinstance(row, dict) else row.to_dict()
    return UnitInfo(
        id=values["id"],
        kind=values["kind"],
        code=values["code"],
        name_zh=values["name_zh"],
        name_en=values["name_en"],
        phone=values["phone"],
        active=bool(values["active"]),
        parent_id=values["parent"],
        working_hours=values.get("working_hours") or "",
    )


async def get_unit(*, unit_id: int, active_only: bool = True) -> UnitInfo:
    row = await OrgUnit.objects().where(OrgUnit.id == unit_id).first()
    if row is None or (active_only and not row.active):
        raise UnknownOrgUnit(unit_id=unit_id)
    return unit_info(row)


async def get_handling_unit(*, unit_id: int) -> UnitInfo:
    """A unit cases and dispatch rules may name: any active unit but a shop, whose merchants
    handle no cases and would never see them."""
    unit = await get_unit(unit_id=unit_id)
    if unit.kind == "shop":
        raise UnknownOrgUnit(unit_id=unit_id)
    return unit


async def get_unit_by_code(*, code: str) -> UnitInfo | None:
    row = await OrgUnit.objects().where(OrgUnit.code == code).first()
    return None if row is None else unit_info(row)


async def _check_parent(kind: str, parent_id: int | None) -> None:
    allowed = ALLOWED_PARENTS[kind]
    if parent_id is None:
        if None not in allowed:
            raise InvalidOrgUnit(reason=f"a {kind} needs a parent unit")
        return
    parent = await get_unit(unit_id=parent_id)
    if parent.kind not in allowed:
        raise InvalidOrgUnit(reason=f"a {kind} cannot belong to a {parent.kind}")


async def create_org_unit(
    *,
    kind: str,
    code: str,
    name_zh: str,
    name_en: str = "",
    parent_id: int | None = None,
    phone: str = "",
) -> UnitInfo:
    if kind not in UNIT_KINDS:
        raise InvalidOrgUnit(reason=f"kind must be one of {', '.join(UNIT_KINDS)}")
    if not _CODE.match(code):
        raise InvalidOrgUnit(reason="code must be 1-32 letters, digits, '.', '_' or '-'")
    if not name_zh.strip():
        raise InvalidOrgUnit(reason="name_zh is required")
    await _check_parent(kind, parent_id)
    if await OrgUnit.exists().where(OrgUnit.code == code):
        raise OrgUnitCodeTaken(code=code)
    row = OrgUnit(
        kind=kind,
        code=code,
        name_zh=name_zh.strip(),
        name_en=name_en.strip(),
        parent=parent_id,
        phone=phone,
        created_at=clock.now(),
        updated_at=clock.now(),
    )
    try:
        await row.save()
    except Exception as exc:
        if is_unique_violation(exc):
            raise OrgUnitCodeTaken(code=code) from None
        raise
    forget_unit_tree()
    return unit_info(row)


async def update_org_unit(
    *,
    unit_id: int,
    name_zh: str | None = None,
    name_en: str | None = None,
    phone: str | None = None,
    active: bool | None = None,
) -> UnitInfo:
    """Rename, change the phone or (de)activate. Units do not move in the tree: grids and
    dispatch rules were drawn for the old place, so a move is a new unit."""
    row = await OrgUnit.objects().where(OrgUnit.id == unit_id).first()
    if row is None:
        raise UnknownOrgUnit(unit_id=unit_id)
    if name_zh is not None:
        if not name_zh.strip():
            raise InvalidOrgUnit(reason="name_zh is required")
        row.name_zh = name_zh.strip()
    if name_en is not None:
        row.name_en = name_en.strip()
    if phone is not None:
        row.phone = phone
    if active is not None:
        row.active = active
    row.updated_at = clock.now()
    await row.save()
    forget_unit_tree()
    return unit_info(row)


async def list_units(*, kind: str | None = None, active_only: bool = True) -> list[UnitInfo]:
    query = OrgUnit.select().order_by(OrgUnit.code)
    if kind is not None:
        query = query.where(OrgUnit.kind == kind)
    if active_only:
        query = query.where(OrgUnit.active.eq(True))
    return [unit_info(row) for row in await query]


async def unit_kinds_and_parents() -> dict[int, tuple[str, int | None]]:
    """id -> (kind, parent id) for every unit: enough to place a grid in its street and
    district without a query per grid."""
    rows = await OrgUnit.select(OrgUnit.id, OrgUnit.kind, OrgUnit.parent)
    return {row["id"]: (row["kind"], row["parent"]) for row in rows}


def enclosing(
    units: dict[int, tuple[str, int | None]], unit_id: int | None, kind: str
) -> int | None:
    """The unit itself or its nearest ancestor of ``kind``."""
    seen: set[int] = set()
    while unit_id is not None and unit_id not in seen and unit_id in units:
        seen.add(unit_id)
        unit_kind, parent = units[unit_id]
        if unit_kind == kind:
            return unit_id
        unit_id = parent
    return None
