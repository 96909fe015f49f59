"""The timed stages of a case (GB/T 30428) and what a category says about them.

受理 accept (reported until accepted), 派遣 dispatch (accepted until dispatched), 处置 handle
(dispatched until resolved) and 核查 verify (resolved until closed) each have a time limit.
The handling limit is the category's SLA (sla_value/sla_unit and the SLA policies); the other
three are the category's own ``<stage>_limit_value``/``_unit``, or the defaults below when an
admin never set them. Units are the SLA's plus "minutes": an urgent case is accepted within
minutes of clock time, not within a working hour.

立案条件 (filing conditions) and 结案条件 (closing conditions) tell operators and inspectors
when a report is a case and when a case may be closed; a category without its own text shows
the generic one.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from core.i18n import Msg
from org.errors import InvalidConditions, InvalidStageLimit

STAGES: tuple[str, ...] = ("accept", "dispatch", "handle", "verify")
# The stages whose limit is a category's own stage limit (handle is the SLA).
OWN_LIMIT_STAGES: tuple[str, ...] = ("accept", "dispatch", "verify")
STAGE_NAMES: dict[str, Msg] = {
    "accept": Msg(zh="受理", en="accept"),
    "dispatch": Msg(zh="派遣", en="dispatch"),
    "handle": Msg(zh="处置", en="handle"),
    "verify": Msg(zh="核查", en="verify"),
}
# The longest limit a stage may have per unit: about a month either way; a stage that
# takes longer is no time limit at all.
MAX_STAGE_LIMIT: dict[str, int] = {
    "minutes": 10_080,
    "hours": 720,
    "working_hours": 240,
    "working_days": 30,
}
STAGE_UNITS: tuple[str, ...] = tuple(MAX_STAGE_LIMIT)
MAX_CONDITIONS_LENGTH = 2_000
CONDITION_FIELDS: tuple[str, ...] = (
    "filing_conditions_zh",
    "filing_conditions_en",
    "closing_conditions_zh",
    "closing_conditions_en",
)
LIMIT_FIELDS: tuple[str, ...] = tuple(
    f"{stage}_limit_{part}" for stage in OWN_LIMIT_STAGES for part in ("value", "unit")
)

# Common practice of digital city management centres: a report is accepted and dispatched
# within a working hour each, and the inspector checks the fix within half a working day.
# Urgent categories go point-to-point: minutes on the clock, and a check within two hours.
DEFAULT_LIMITS: dict[str, tuple[int, str]] = {
    "accept": (1, "working_hours"),
    "dispatch": (1, "working_hours"),
    "verify": (4, "working_hours"),
}
URGENT_LIMITS: dict[str, tuple[int, str]] = {
    "accept": (10, "minutes"),
    "dispatch": (10, "minutes"),
    "verify": (2, "hours"),
}

GENERIC_FILING = Msg(
    zh="属于城市管理范围的部件或事件问题；位置明确、描述清楚并附现场照片；"
    "不是已立案未结案件的重复上报。",
    en="A component or event problem within city management's remit; the place is clear, "
    "the problem described and photographed on site; not a repeat of a case still open.",
)
GENERIC_CLOSING = Msg(
    zh="处置单位已按要求处置完毕并上传处置后照片；监督员现场核查，现场状况与处置结果一致。",
    en="The handling unit has fixed the problem as required and uploaded an after-photo; "
    "an inspector's on-site check finds the place as reported fixed.",
)


def default_limit(stage: str, *, urgent: bool) -> tuple[int, str]:
    return (URGENT_LIMITS if urgent else DEFAULT_LIMITS)[stage]


def check_stage(stage: str) -> str:
    if stage not in OWN_LIMIT_STAGES:
        raise InvalidStageLimit(
            stage=stage, reason=f"the stage must be one of {', '.join(OWN_LIMIT_STAGES)}"
        )
    return stage


def check_stage_limit(stage: str, value: int, unit: str) -> tuple[int, str]:
    """A stage's limit as stored, or ``category.invalid_stage_limit`` (422) saying why."""
    check_stage(stage)
    if unit not in MAX_STAGE_LIMIT:
        raise InvalidStageLimit(
            stage=stage, reason=f"the unit must be one of {', '.join(STAGE_UNITS)}"
        )
    if value < 1:
        raise InvalidStageLimit(stage=stage, reason="the limit must be positive")
    if value > MAX_STAGE_LIMIT[unit]:
        raise InvalidStageLimit(stage=stage, reason=f"at most {MAX_STAGE_LIMIT[unit]} {unit}")
    return value, unit


def check_conditions(field: str, text: str | None) -> str | None:
    """None: unchanged; "" (or blanks): back to the generic text; else the stripped text."""
    if text is None:
        return None
    text = text.strip()
    if len(text) > MAX_CONDITIONS_LENGTH:
        raise InvalidConditions(field=field, limit=MAX_CONDITIONS_LENGTH)
    return text


def conditions_text(own_zh: str | None, own_en: str | None, generic: Msg, locale: str) -> str:
    """A category's own text in ``locale`` (English falls back to Chinese), or the generic."""
    if locale == "en" and own_en:
        return own_en
    if own_zh:
        return own_zh
    return generic.render(locale)


def stage_changes(
    current: Mapping[str, Any], given: Mapping[str, Any], *, reset: Iterable[str] = ()
) -> dict[str, Any]:
    """The columns an admin's edit stores. Conditions: text, or "" back to the generic one.
    A stage's value and unit are checked together: giving one keeps the other as in force
    (its default if never set). ``reset`` puts stages back on their defaults."""
    changes: dict[str, Any] = {}
    for field in CONDITION_FIELDS:
        text = check_conditions(field, given.get(field))
        if text is not None:
            changes[field] = text or None
    reset = {check_stage(stage) for stage in reset}
    for stage in OWN_LIMIT_STAGES:
        value, unit = given.get(f"{stage}_limit_value"), given.get(f"{stage}_limit_unit")
        if stage in reset:
            if value is not None or unit is not None:
                raise InvalidStageLimit(stage=stage, reason="set it or reset it, not both")
            changes[f"{stage}_limit_value"] = changes[f"{stage}_limit_unit"] = None
            continue
        if value is None and unit is None:
            continue
        in_force = (current.get(f"{stage}_limit_value"), current.get(f"{stage}_limit_unit"))
        if None in in_force:
            in_force = default_limit(stage, urgent=bool(current.get("urgent")))
        value, unit = check_stage_limit(
            stage, in_force[0] if value is None else value, in_force[1] if unit is None else unit
        )
        changes[f"{stage}_limit_value"], changes[f"{stage}_limit_unit"] = value, unit
    return changes
