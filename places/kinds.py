"""Place kinds are data: five are seeded, admins add more. Each kind names the attributes
its places may carry, from the registry below (the registry gives each attribute a type)."""

from __future__ import annotations

import json
import re
from typing import Any

import msgspec

from core.db import is_unique_violation, raw
from places.errors import InvalidPlace, KindCodeTaken, UnknownPlaceKind
from places.index import bump
from places.tables import PlaceKind

# name -> (type, description). bool attributes can be filtered on (?accessible=true).
ATTRIBUTES: dict[str, type] = {
    "accessible": bool,  # 无障碍
    "baby_care": bool,  # 母婴室
    "free": bool,
    "total_spaces": int,
    "free_spaces": int,  # live, from the parking system (PUT /api/intake/.../availability)
    "fee": str,
    "facilities": list,  # list of strings: 健身器材, 儿童游乐 ...
}

SEED = [
    ("toilet", "公厕", "Public toilet", ["accessible", "baby_care", "free"]),
    ("park", "公园", "Park", ["accessible", "facilities", "free"]),
    ("parking", "停车场", "Parking", ["accessible", "total_spaces", "free_spaces", "fee"]),
    ("police_kiosk", "治安岗亭", "Police kiosk", ["accessible"]),
    ("car_wash", "洗车点", "Car wash", ["fee"]),
]
_CODE = re.compile(r"^[a-z][a-z0-9_]{1,31}$")


class KindInfo(msgspec.Struct, frozen=True, kw_only=True):
    code: str
    name_zh: str
    name_en: str
    attributes: tuple[str, ...]
    sort_order: int
    active: bool

    def name(self, locale: str) -> str:
        return self.name_en if locale == "en" and self.name_en else self.name_zh


def _info(row: dict) -> KindInfo:
    return KindInfo(
        code=row["code"],
        name_zh=row["name_zh"],
        name_en=row["name_en"],
        attributes=tuple(json.loads(row["attributes"])),
        sort_order=row["sort_order"],
        active=row["active"],
    )


async def seed_kinds() -> None:
    # One statement: a request that sees any seeded kind must see them all (parallel first
    # requests of a new installation found one kind and called the next one unknown).
    rows = ", ".join(["({}, {}, {}, {}, {}, {}, CURRENT_TIMESTAMP)"] * len(SEED))
    values = [
        value
        for order, (code, zh, en, attributes) in enumerate(SEED)
        for value in (code, zh, en, json.dumps(attributes), (order + 1) * 10, True)
    ]
    head = "INSERT INTO place_kinds (code, name_zh, name_en, attributes, sort_order, active, "
    sql = f"{head}created_at) VALUES {rows} ON CONFLICT (code) DO NOTHING"  # noqa: S608
    await raw(sql, *values)


async def _seed_if_empty() -> bool:
    """The five kinds appear on first use of a new installation, on SQLite and PostgreSQL
    alike, without a data migration."""
    if await PlaceKind.exists():
        return False
    await seed_kinds()
    return True


async def list_kinds(*, include_inactive: bool = False) -> list[KindInfo]:
    query = PlaceKind.select().order_by(PlaceKind.sort_order).order_by(PlaceKind.code)
    if not include_inactive:
        query = query.where(PlaceKind.active.eq(True))
    rows = await query
    if not rows and await _seed_if_empty():
        rows = await query
    return [_info(row) for row in rows]


async def get_kind(code: str) -> KindInfo:
    row = await PlaceKind.select().where(PlaceKind.code == code).first()
    if row is None:
        # Seeded now, or by a parallel first request since the read above: read again.
        await _seed_if_empty()
        row = await PlaceKind.select().where(PlaceKind.code == code).first()
    if row is None:
        raise UnknownPlaceKind(kind=code)
    return _info(row)


def _check_attribute_names(names: list[str]) -> None:
    unknown = [name for name in names if name not in ATTRIBUTES]
    if unknown:
        raise InvalidPlace(reason=f"unknown attributes {unknown}; known: {sorted(ATTRIBUTES)}")


async def create_kind(
    *,
    code: str,
    name_zh: str,
    name_en: str = "",
    attributes: list[str] | None = None,
    sort_order: int = 100,
) -> KindInfo:
    if not _CODE.match(code):
        raise InvalidPlace(reason="a kind code is 2-32 lower-case letters, digits, _")
    if not name_zh.strip():
        raise InvalidPlace(reason="a Chinese name is required")
    attributes = list(dict.fromkeys(attributes or []))
    _check_attribute_names(attributes)
    try:
        await PlaceKind.insert(
            PlaceKind(
                code=code,
                name_zh=name_zh.strip(),
                name_en=name_en.strip(),
                attributes=json.dumps(attributes),
                sort_order=sort_order,
            )
        )
    except Exception as exc:
        if is_unique_violation(exc):
            raise KindCodeTaken(kind=code) from None
        raise
    await bump()  # processes learn the new kind with their next refresh
    return await get_kind(code)


async def update_kind(
    *,
    code: str,
    name_zh: str | None = None,
    name_en: str | None = None,
    attributes: list[str] | None = None,
    sort_order: int | None = None,
    active: bool | None = None,
) -> KindInfo:
    await get_kind(code)
    changes: dict[Any, Any] = {}
    if name_zh is not None:
        if not name_zh.strip():
            raise InvalidPlace(reason="a Chinese name is required")
        changes[PlaceKind.name_zh] = name_zh.strip()
    if name_en is not None:
        changes[PlaceKind.name_en] = name_en.strip()
    if attributes is not None:
        _check_attribute_names(attributes)
        changes[PlaceKind.attributes] = json.dumps(list(dict.fromkeys(attributes)))
    if sort_order is not None:
        changes[PlaceKind.sort_order] = sort_order
    if active is not None:
        changes[PlaceKind.active] = active
    if changes:
        await PlaceKind.update(changes).where(PlaceKind.code == code)
    return await get_kind(code)


def check_attributes(kind: KindInfo, attributes: dict[str, Any]) -> dict[str, Any]:
    """The attributes, validated against the kind; raises InvalidPlace with the reason."""
    if not isinstance(attributes, dict):
        raise InvalidPlace(reason="attributes must be an object")
    for name, value in attributes.items():
        if name not in kind.attributes:
            raise InvalidPlace(
                reason=f"a {kind.code} has no attribute {name!r} "
                f"(allowed: {', '.join(kind.attributes) or 'none'})"
            )
        expected = ATTRIBUTES[name]
        if expected is int:
            if not isinstance(value, int) or isinstance(value, bool) or value < 0:
                raise InvalidPlace(reason=f"{name} must be a whole number >= 0")
        elif expected is list:
            if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
                raise InvalidPlace(reason=f"{name} must be a list of strings")
        elif not isinstance(value, expected):
            raise InvalidPlace(reason=f"{name} must be a {expected.__name__}")
    spaces, free = attributes.get("total_spaces"), attributes.get("free_spaces")
    if spaces is not None and free is not None and free > spaces:
        raise InvalidPlace(reason="free_spaces cannot exceed total_spaces")
    return attributes
