"""Performance evaluation (综合评价, after GB/T 30428.4-2016 数字化城市管理信息系统 第4部分:
绩效评价): indicator values, a composite score and a grade for handling units (专业部门),
areas (区域: district, street, grid) and inspectors (监督员), ranked.

The standard's text was not at hand; the indicators are the ones it names and the formulas
below are the ones used here (also in README.md). Rates are fractions (0..1, four places).

Units (专业部门), over the cases reported in the window and dispatched to the unit (its
current unit: a case handed back counts for the unit that took it over):
- 应处置数 assigned; 处置过 resolved (resolved at least once); 处置数 handled (resolved, not
  sent back since); 按期处置数 on_time
  (handled by the deadline); 超期处置数 late (handled after it); 超期未处置数 overdue_open
  (not handled, deadline passed); 返工数 reworked (sent back at least once)
- 转办数 transfers: hand-backs (转办) the unit made in the window, counted against it;
  督办数 supervised: supervision orders (督办) issued to it in the window (shown, not scored)
- 处置率 handling_rate = handled / assigned; 按期处置率 on_time_rate = on_time / assigned;
  返工率 rework_rate = reworked / resolved (as the statistics count it); 转办率
  transfer_rate = transfers / (assigned + transfers)
- score = 100 × (0.4 on_time_rate + 0.3 handling_rate + 0.2 (1 − rework_rate)
  + 0.1 (1 − transfer_rate))

Areas (区域), over the cases reported in the window in the area:
- 问题发生数 reported; 立案数 accepted; 结案数 closed; 按期结案数 closed_on_time (closed,
  resolved by the deadline); 超期数 overdue
- 立案率 acceptance_rate = accepted / reported; 结案率 closure_rate = closed / accepted;
  按期结案率 on_time_closure_rate = closed_on_time / accepted
- score = 100 × (0.6 on_time_closure_rate + 0.4 closure_rate)

Inspectors (监督员, staff of the inspector role):
- 上报数 reported (filed in the window); 有效上报数 valid (accepted, 立案); 核实数
  verifications and 按时核实数 verified_on_time (within VERIFY_WITHIN of the report);
  核查数 checks and 按时核查数 checked_on_time (within CHECK_WITHIN of the resolution),
  by when they were recorded
- 有效上报率 valid_rate = valid / reported; 按时核实率 verify_rate = verified_on_time /
  verifications; 按时核查率 check_rate = checked_on_time / checks
- score = 100 × (0.4 valid_rate + 0.3 verify_rate + 0.3 check_rate)

Satisfaction (回访, cases.survey), for units and areas, over the answered surveys of the
cases reported in the window: how many were answered, the share that said fixed, and the mean
of each dimension (speed, attitude, result; 1-5). Shown beside the score, not weighted in it:
few reporters answer, and a handful of answers would swing a unit's grade.

A rate without a denominator (an inspector with nothing to check) drops out of the score and
the weights of the others are scaled up to 1; with no rate at all there is no score, no grade
and no rank. Grades: 优 excellent ≥ 90, 良 good ≥ 80, 中 fair ≥ 60, 差 poor below. Ranks
are competition ranks (equal scores share a rank, the next rank skips), best first.
"""

from __future__ import annotations

import datetime as dt
from typing import Literal

import msgspec

from accounts.service import staff_ids_with_role
from accounts.staff_admin import staff_names
from cases import evaluation_queries as q
from cases.evaluation_queries import AreaKind, Counts
from cases.scope import Scope
from core import clock
from core.db import reporting
from org import grid_admin, units
from org.centres import Tree, unit_tree

Level = Literal["unit", "area", "inspector"]
MAX_RANGE = dt.timedelta(days=400)

# Per level: (rate, its numerator, the counts summed for its denominator).
RATES: dict[str, tuple[tuple[str, str, tuple[str, ...]], ...]] = {
    "unit": (
        ("handling_rate", "handled", ("assigned",)),
        ("on_time_rate", "on_time", ("assigned",)),
        ("rework_rate", "reworked", ("resolved",)),
        ("transfer_rate", "transfers", ("assigned", "transfers")),
    ),
    "area": (
        ("acceptance_rate", "accepted", ("reported",)),
        ("closure_rate", "closed", ("accepted",)),
        ("on_time_closure_rate", "closed_on_time", ("accepted",)),
    ),
    "inspector": (
        ("valid_rate", "valid", ("reported",)),
        ("verify_rate", "verified_on_time", ("verifications",)),
        ("check_rate", "checked_on_time", ("checks",)),
    ),
}
COUNTS: dict[str, tuple[str, ...]] = {
    "unit": ("assigned", "resolved", "handled", "on_time", "late", "overdue_open", "reworked")
    + ("transfers", "supervised"),
    "area": ("reported", "accepted", "closed", "closed_on_time", "overdue"),
    "inspector": ("reported", "valid", "verifications", "verified_on_time")
    + ("checks", "checked_on_time"),
}
# Rate -> weight; negative: the rate counts against (its complement scores).
WEIGHTS: dict[str, dict[str, float]] = {
    "unit": {"on_time_rate": 0.4, "handling_rate": 0.3, "rework_rate": -0.2, "transfer_rate": -0.1},
    "area": {"on_time_closure_rate": 0.6, "closure_rate": 0.4},
    "inspector": {"valid_rate": 0.4, "verify_rate": 0.3, "check_rate": 0.3},
}
GRADES: tuple[tuple[float, str], ...] = (
    (90, "excellent"),
    (80, "good"),
    (60, "fair"),
    (float("-inf"), "poor"),
)
GRADE_LABELS = {"excellent": "优", "good": "良", "fair": "中", "poor": "差"}


SURVEY_DIMENSIONS = ("speed", "attitude", "result")


class Satisfaction(msgspec.Struct, frozen=True, kw_only=True, rename="camel"):
    surveyed: int = 0
    fixed_rate: float | None = None
    speed: float | None = None
    attitude: float | None = None
    result: float | None = None


def satisfaction_of(counts: dict[str, int]) -> Satisfaction:
    surveyed = counts.get("survey_count", 0)
    if not surveyed:
        return Satisfaction()
    means = {d: round(counts.get(f"survey_{d}", 0) / surveyed, 2) for d in SURVEY_DIMENSIONS}
    fixed = round(counts.get("survey_fixed", 0) / surveyed, 4)
    return Satisfaction(surveyed=surveyed, fixed_rate=fixed, **means)


class Row(msgspec.Struct, frozen=True, kw_only=True):
    """One evaluated unit, area or staff member. ``ref`` is the unit's or area's id, or the
    staff member's public id (staff are named, never numbered)."""

    kind: str  # work_unit, department, ..., district, street, grid, inspector
    ref: str | None
    code: str | None
    name: str
    counts: dict[str, int]
    rates: dict[str, float | None]
    score: float | None
    grade: str | None
    rank: int | None = None
    satisfaction: Satisfaction | None = None  # units and areas


class Evaluation(msgspec.Struct, frozen=True, kw_only=True):
    level: str
    area_kind: str | None
    since: dt.datetime
    until: dt.datetime
    rows: list[Row]


def rates_of(level: str, counts: dict[str, int]) -> dict[str, float | None]:
    out: dict[str, float | None] = {}
    for name, part, whole in RATES[level]:
        total = sum(counts[w] for w in whole)
        out[name] = round(counts[part] / total, 4) if total else None
    return out


def score_of(level: str, rates: dict[str, float | None]) -> float | None:
    present = {n: w for n, w in WEIGHTS[level].items() if rates[n] is not None}
    total = sum(abs(w) for w in present.values())
    if not total:
        return None
    points = sum(
        abs(w) * (rates[n] if w > 0 else 1 - rates[n])  # type: ignore[operator]
        for n, w in present.items()
    )
    return round(100 * points / total, 2)


def grade_of(score: float | None) -> str | None:
    if score is None:
        return None
    return next(grade for floor, grade in GRADES if score >= floor)


def ranked(rows: list[Row]) -> list[Row]:
    """Best first; equal scores share a rank; unscored rows last, unranked."""
    scored = sorted((r for r in rows if r.score is not None), key=lambda r: (-r.score, r.name))
    out, rank, previous = [], 0, None
    for i, row in enumerate(scored, start=1):
        if row.score != previous:
            rank, previous = i, row.score
        out.append(msgspec.structs.replace(row, rank=rank))
    return out + sorted((r for r in rows if r.score is None), key=lambda r: r.name)


def _row(level: str, counts: dict[str, int], **subject) -> Row:
    full = {name: counts.get(name, 0) for name in COUNTS[level]}
    rates = rates_of(level, full)
    score = score_of(level, rates)
    shown = satisfaction_of(counts) if level != "inspector" else None
    return Row(
        counts=full,
        rates=rates,
        score=score,
        grade=grade_of(score),
        satisfaction=shown,
        **subject,
    )


def _merge(*parts: Counts) -> Counts:
    out: Counts = {}
    for part in parts:
        for key, values in part.items():
            out.setdefault(key, {}).update(values)
    return out


class _Reach(msgspec.Struct, frozen=True):
    """The areas a scope reaches: its own and everything below them (``below``), and the
    areas above them (``above``: a street station's district)."""

    below: frozenset[int]
    above: frozenset[int]


def _reach(tree: Tree, scope: Scope) -> _Reach:
    below: set[int] = set()
    above: set[int] = set()
    for area in scope.district_ids | scope.street_ids:
        below |= tree.subtree(area)
        current = tree.parent(area)
        while current is not None:
            above.add(current)
            current = tree.parent(current)
    return _Reach(frozenset(below), frozenset(above))


def _related(tree: Tree, scope: Scope, reach: _Reach, unit_id: int) -> bool:
    """Whether a unit may appear to this scope: not inside an area the scope does not
    reach (a district centre never lists another district's units); city-wide units do."""
    if scope.everything:
        return True
    if not (scope.district_ids or scope.street_ids):
        return unit_id in scope.unit_ids
    current: int | None = unit_id
    while current is not None:
        if tree.kind(current) in ("district", "street") and not (
            current in reach.below or current in reach.above
        ):
            return False
        current = tree.parent(current)
    return True


async def _units(since: dt.datetime, until: dt.datetime, scope: Scope, locale: str) -> list[Row]:
    counts = _merge(
        await q.unit_cases(since=since, until=until, scope=scope),
        await q.unit_transfers(since=since, until=until, scope=scope),
        await q.unit_supervisions(since=since, until=until, scope=scope),
        await q.satisfaction(by="unit", since=since, until=until, scope=scope),
    )
    tree = await unit_tree()
    reach = _reach(tree, scope)
    info = {u.id: u for u in await units.list_units(active_only=False)}
    return [
        _row(
            "unit",
            values,
            kind=info[unit_id].kind,
            ref=str(unit_id),
            code=info[unit_id].code,
            name=info[unit_id].name(locale),
        )
        for unit_id, values in counts.items()
        if unit_id in info and _related(tree, scope, reach, unit_id)
    ]


async def _areas(
    kind: AreaKind, since: dt.datetime, until: dt.datetime, scope: Scope, locale: str
) -> list[Row]:
    if not scope.everything and not (scope.district_ids or scope.street_ids):
        return []  # an operator of a unit has cases, not areas
    counts = _merge(
        await q.area_cases(kind=kind, since=since, until=until, scope=scope),
        await q.satisfaction(by=kind, since=since, until=until, scope=scope),
    )
    if kind == "grid":
        grids = {g.id: g for g in await grid_admin.list_grids(include_inactive=True)}
        return [
            _row(
                "area",
                values,
                kind="grid",
                ref=str(gid),
                code=grids[gid].code,
                name=grids[gid].name,
            )
            for gid, values in counts.items()
            if gid in grids
        ]
    reach = _reach(await unit_tree(), scope)
    info = {u.id: u for u in await units.list_units(kind=kind, active_only=False)}
    return [
        _row(
            "area",
            values,
            kind=kind,
            ref=str(aid),
            code=info[aid].code,
            name=info[aid].name(locale),
        )
        for aid, values in counts.items()
        if aid in info and (scope.everything or aid in reach.below)
    ]


async def _inspectors(since: dt.datetime, until: dt.datetime, scope: Scope) -> list[Row]:
    counts = _merge(
        await q.inspector_reports(since=since, until=until, scope=scope),
        await q.inspector_work(
            since=since,
            until=until,
            scope=scope,
            staff_ids=await staff_ids_with_role(roles=("inspector",)),
        ),
    )
    names = await staff_names(staff_ids=list(counts))
    return [
        _row(
            "inspector",
            values,
            kind="inspector",
            ref=names[sid].public_id,
            code=None,
            name=names[sid].name,
        )
        for sid, values in counts.items()
        if sid in names and names[sid].role == "inspector"
    ]


async def evaluate(
    *,
    scope: Scope,
    level: Level,
    since: dt.datetime,
    until: dt.datetime,
    area_kind: AreaKind = "district",
    locale: str = "zh-CN",
) -> Evaluation:
    """The evaluation of one level over [since, until), as the scope sees it. Callers have
    checked the window (from before to, at most MAX_RANGE)."""
    since, until = clock.as_utc(since), clock.as_utc(until)
    async with reporting():
        if level == "unit":
            rows = await _units(since, until, scope, locale)
        elif level == "area":
            rows = await _areas(area_kind, since, until, scope, locale)
        else:
            rows = await _inspectors(since, until, scope)
    return Evaluation(
        level=level,
        area_kind=area_kind if level == "area" else None,
        since=since,
        until=until,
        rows=ranked(rows),
    )
