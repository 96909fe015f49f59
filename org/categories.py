"""Case categories: the national 部件 (component) / 事件 (event) code tree and a city's own codes.

Stored codes carry the type because the two national lists reuse numbers: "C0101" is the
component 上水井盖, "E0101" the event 私搭乱建. Major classes (大类) are rows with two digits
("C01", "E05"); cases use subcategories (小类) only.
"""

from __future__ import annotations

import re
from typing import Any

import msgspec

from core import clock
from core.db import is_unique_violation
from core.i18n import Msg
from core.ttlcache import TtlCache
from org import stages
from org.errors import CategoryCodeTaken, InvalidCategory, InvalidPriority, UnknownCategory
from org.tables import Category

CATEGORY_KINDS: tuple[str, ...] = ("component", "event")
KIND_PREFIX = {"component": "C", "event": "E"}
KIND_NAMES = {
    "component": Msg(zh="部件", en="Components"),
    "event": Msg(zh="事件", en="Events"),
}
PRIORITIES: dict[int, Msg] = {
    1: Msg(zh="特急", en="urgent"),
    2: Msg(zh="紧急", en="high"),
    3: Msg(zh="一般", en="normal"),
    4: Msg(zh="较缓", en="low"),
}
SLA_UNITS: tuple[str, ...] = ("hours", "working_hours", "working_days")
_CODE = re.compile(r"^([CE])(\d{2})(\d{2})?$")


class CategoryInfo(msgspec.Struct, frozen=True, kw_only=True):
    id: int
    code: str
    kind: str
    major: str
    minor: str
    name_zh: str
    name_en: str
    parent_id: int | None
    default_priority: int
    needs_onsite_verification: bool
    sla_value: int
    sla_unit: str
    urgent: bool
    points_on_accept: int
    points_on_close: int
    active: bool
    follower_threshold: int = 10
    private_location: bool = False
    ack_minutes: int | None = None
    # As stored: None means the generic text or the default limit (org.stages).
    filing_conditions_zh: str | None = None
    filing_conditions_en: str | None = None
    closing_conditions_zh: str | None = None
    closing_conditions_en: str | None = None
    accept_limit_value: int | None = None
    accept_limit_unit: str | None = None
    dispatch_limit_value: int | None = None
    dispatch_limit_unit: str | None = None
    verify_limit_value: int | None = None
    verify_limit_unit: str | None = None
    min_confidence: float = 0.8

    @property
    def major_code(self) -> str:
        return f"{KIND_PREFIX[self.kind]}{self.major}"

    @property
    def is_major(self) -> bool:
        return self.minor == ""

    def name(self, locale: str) -> str:
        return self.name_en if locale == "en" and self.name_en else self.name_zh

    def filing_conditions(self, locale: str) -> str:
        return stages.conditions_text(
            self.filing_conditions_zh, self.filing_conditions_en, stages.GENERIC_FILING, locale
        )

    def closing_conditions(self, locale: str) -> str:
        return stages.conditions_text(
            self.closing_conditions_zh, self.closing_conditions_en, stages.GENERIC_CLOSING, locale
        )

    def stage_limit(self, stage: str) -> tuple[int, str]:
        """(value, unit) of accept, dispatch or verify: the category's own or the default."""
        stages.check_stage(stage)
        value = getattr(self, f"{stage}_limit_value")
        unit = getattr(self, f"{stage}_limit_unit")
        if value is None or unit is None:
            return stages.default_limit(stage, urgent=self.urgent)
        return value, unit


def parse_code(code: str) -> tuple[str, str, str]:
    """ "E0505" -> ("event", "05", "05"); "C01" -> ("component", "01", "")."""
    match = _CODE.match(code)
    if match is None:
        raise InvalidCategory(reason="code must be C or E, two digits, and optionally two more")
    prefix, major, minor = match.groups()
    kind = "component" if prefix == "C" else "event"
    return kind, major, minor or ""


def validate_priority(priority: int) -> int:
    if priority not in PRIORITIES:
        raise InvalidPriority(priority=priority)
    return priority


def category_info(row: Category | dict) -> CategoryInfo:
    values = row if isinstance(row, dict) else row.to_dict()
    return CategoryInfo(
        id=values["id"],
        code=values["code"],
        kind=values["kind"],
        major=values["major"],
        minor=values["minor"],
        name_zh=values["name_zh"],
        name_en=values["name_en"],
        parent_id=values["parent"],
        default_priority=values["default_priority"],
        needs_onsite_verification=bool(values["needs_onsite_verification"]),
        sla_value=values["sla_value"],
        sla_unit=values["sla_unit"],
        urgent=bool(values["urgent"]),
        points_on_accept=values["points_on_accept"],
        points_on_close=values["points_on_close"],
        active=bool(values["active"]),
        follower_threshold=values.get("follower_threshold", 10),
        private_location=bool(values["private_location"]),
        ack_minutes=values.get("ack_minutes"),
        min_confidence=values.get("min_confidence", 0.8),
        **{name: values.get(name) for name in stages.CONDITION_FIELDS + stages.LIMIT_FIELDS},
    )


# Every report reads its category; categories change a few times a year.
_rows: TtlCache[dict | None] = TtlCache()
_private: TtlCache[frozenset[str]] = TtlCache(max_entries=1)


async def _category_row(code: str) -> dict | None:
    return await _rows.get(code, lambda: Category.select().where(Category.code == code).first())


def forget_cached_categories() -> None:
    _rows.clear()
    _private.clear()
    _acks.clear()


_acks: TtlCache[dict[str, int]] = TtlCache(max_entries=1)


async def ack_limits() -> dict[str, int]:
    """code -> minutes to acknowledge, for the categories that set their own."""

    async def load() -> dict[str, int]:
        rows = await Category.select(Category.code, Category.ack_minutes).where(
            Category.ack_minutes.is_not_null()
        )
        return {row["code"]: row["ack_minutes"] for row in rows}

    return await _acks.get("limits", load)


async def private_location_codes() -> frozenset[str]:
    """Codes of the categories whose cases' positions are shown to the public coarsened
    (inactive ones too: their old cases are still listed)."""

    async def load() -> frozenset[str]:
        rows = await Category.select(Category.code).where(Category.private_location.eq(True))
        return frozenset(row["code"] for row in rows)

    return await _private.get("codes", load)


async def get_category(*, code: str, leaf_only: bool = True) -> CategoryInfo:
    """An active category a case may use; ``category.unknown`` otherwise."""
    row = await _category_row(code)
    if row is None or not row["active"] or (leaf_only and row["minor"] == ""):
        raise UnknownCategory(code=code)
    return category_info(row)


async def find_category(*, code: str) -> CategoryInfo | None:
    """Any category, inactive or a major class too: what a case filed under it shows."""
    row = await _category_row(code)
    return None if row is None else category_info(row)


def _check_confidence(value: float) -> float:
    if not 0.0 <= value <= 1.0:  # NaN fails too
        raise InvalidCategory(reason="min_confidence must be between 0 and 1")
    return value


def _check_sla(value: int, unit: str, *, major: bool) -> None:
    if unit not in SLA_UNITS:
        raise InvalidCategory(reason=f"sla_unit must be one of {', '.join(SLA_UNITS)}")
    if value < 0 or (value == 0 and not major):
        raise InvalidCategory(reason="a subcategory needs a positive SLA limit")


async def create_category(
    *,
    code: str,
    name_zh: str,
    name_en: str,
    default_priority: int = 3,
    needs_onsite_verification: bool = True,
    sla_value: int = 0,
    sla_unit: str = "working_hours",
    urgent: bool = False,
    points_on_accept: int = 0,
    points_on_close: int = 0,
    sort_order: int = 0,
    private_location: bool = False,
    follower_threshold: int = 10,
    min_confidence: float = 0.8,
    **stage_settings: Any,
) -> CategoryInfo:
    """A national code or a city's own (cities take free numbers inside a major class).
    ``stage_settings``: conditions and stage limits, as for update_category."""
    kind, major, minor = parse_code(code)
    validate_priority(default_priority)
    _check_sla(sla_value, sla_unit, major=minor == "")
    staged = _stage_settings({"urgent": urgent}, stage_settings)
    if not name_zh.strip() or not name_en.strip():
        raise InvalidCategory(reason="both name_zh and name_en are required")
    parent_id = None
    if minor:
        parent = (
            await Category.select(Category.id)
            .where(Category.code == f"{KIND_PREFIX[kind]}{major}")
            .first()
        )
        if parent is None:
            raise InvalidCategory(reason=f"major class {KIND_PREFIX[kind]}{major} does not exist")
        parent_id = parent["id"]
    if await Category.exists().where(Category.code == code):
        raise CategoryCodeTaken(code=code)
    row = Category(
        code=code,
        kind=kind,
        major=major,
        minor=minor,
        name_zh=name_zh.strip(),
        name_en=name_en.strip(),
        parent=parent_id,
        default_priority=default_priority,
        needs_onsite_verification=needs_onsite_verification,
        sla_value=sla_value,
        sla_unit=sla_unit,
        urgent=urgent,
        points_on_accept=points_on_accept,
        points_on_close=points_on_close,
        sort_order=sort_order,
        private_location=private_location,
        follower_threshold=follower_threshold,
        min_confidence=_check_confidence(min_confidence),
        created_at=clock.now(),
        updated_at=clock.now(),
        **staged,
    )
    try:
        await row.save()
    except Exception as exc:
        if is_unique_violation(exc):
            raise CategoryCodeTaken(code=code) from None
        raise
    forget_cached_categories()
    return category_info(row)


async def update_category(
    *,
    code: str,
    name_zh: str | None = None,
    name_en: str | None = None,
    default_priority: int | None = None,
    needs_onsite_verification: bool | None = None,
    sla_value: int | None = None,
    sla_unit: str | None = None,
    urgent: bool | None = None,
    points_on_accept: int | None = None,
    points_on_close: int | None = None,
    active: bool | None = None,
    private_location: bool | None = None,
    follower_threshold: int | None = None,
    ack_minutes: int | None = None,
    clear_ack_minutes: bool = False,
    min_confidence: float | None = None,
    **stage_settings: Any,
) -> CategoryInfo:
    """``stage_settings``: the four condition texts ("" back to the generic text),
    ``<stage>_limit_value``/``_unit`` for accept, dispatch and verify, and
    ``reset_stage_limits`` (stages back on their defaults); checked in org.stages."""
    row = await Category.objects().where(Category.code == code).first()
    if row is None:
        raise UnknownCategory(code=code)
    staged = _stage_settings(
        {**row.to_dict(), "urgent": row.urgent if urgent is None else urgent}, stage_settings
    )
    if default_priority is not None:
        validate_priority(default_priority)
    if min_confidence is not None:
        _check_confidence(min_confidence)
    _check_sla(
        sla_value if sla_value is not None else row.sla_value,
        sla_unit if sla_unit is not None else row.sla_unit,
        major=row.minor == "",
    )
    changes = {
        "name_zh": name_zh,
        "name_en": name_en,
        "default_priority": default_priority,
        "needs_onsite_verification": needs_onsite_verification,
        "sla_value": sla_value,
        "sla_unit": sla_unit,
        "urgent": urgent,
        "points_on_accept": points_on_accept,
        "points_on_close": points_on_close,
        "active": active,
        "private_location": private_location,
        "follower_threshold": follower_threshold,
        "ack_minutes": ack_minutes,
        "min_confidence": min_confidence,
    }
    for name, value in changes.items():
        if value is not None:
            setattr(row, name, value.strip() if isinstance(value, str) else value)
    if clear_ack_minutes:
        row.ack_minutes = None
    for name, value in staged.items():
        setattr(row, name, value)
    if not row.name_zh or not row.name_en:
        raise InvalidCategory(reason="both name_zh and name_en are required")
    row.updated_at = clock.now()
    await row.save()
    forget_cached_categories()
    return category_info(row)


def _stage_settings(current: dict[str, Any], given: dict[str, Any]) -> dict[str, Any]:
    reset = given.pop("reset_stage_limits", None) or ()
    unknown = set(given) - set(stages.CONDITION_FIELDS + stages.LIMIT_FIELDS)
    if unknown:
        raise TypeError(f"unknown category settings: {sorted(unknown)}")
    return stages.stage_changes(current, given, reset=reset)


async def category_names(codes: list[str], locale: str) -> dict[str, str]:
    """code -> its name in ``locale`` (en falls back to zh), for lists of cases."""
    if not codes:
        return {}
    rows = await Category.select(Category.code, Category.name_zh, Category.name_en).where(
        Category.code.is_in(sorted(set(codes)))
    )
    return {
        r["code"]: (r["name_en"] or r["name_zh"]) if locale == "en" else r["name_zh"] for r in rows
    }
