"""Command-centre statistics (综合评价) by SQL aggregation.

The cohort is the cases *reported* in [since, until): every measure describes what became of
them (accepted, dispatched, closed, on time, reworked, rated). One GROUP BY over the
reported_at range index serves every grouping, stage times included (each case row keeps
its seconds per stage: cases.stage_times); the SQL is plain enough for SQLite and
PostgreSQL, with the two dialect differences (seconds between timestamps, the local day)
chosen here.

Measures:
- closure rate = closed / accepted
- on-time handling rate (按期处置率) = resolved by the deadline / cases due (resolved, or past
  their deadline unresolved)
- rework rate (返工率) = cases reworked at least once / resolved
- satisfaction = ratings of 4 or 5 / rated
- missed-report rate (漏报率) = accepted cases found by citizens / all accepted
- stage times: average seconds spent accepting, dispatching, handling and checking, summed
  over every round of rework and reopening (cases.stage_times)

Every query counts only the cases in the caller's scope and filters (cases.stats_filter).
"""

from __future__ import annotations

import datetime as dt
from typing import Literal

import msgspec

from cases.scope import Scope, clause
from cases.stage_times import STAGES as _STAGES
from cases.stage_times import settled_counts
from cases.stats_filter import StatsFilter, cases_counted
from cases.tables import Case
from core import clock
from core.db import is_sqlite, raw, reporting

GroupBy = Literal["unit", "grid", "category", "source", "day", "inspector"]
MAX_RANGE = dt.timedelta(days=400)

_KEYS: dict[str, str] = {
    "unit": "unit_id",
    "grid": "grid_id",
    "category": "category_code",
    "source": "source",
    "inspector": "reporter_id",
}
_COUNTS = (
    "reported",
    "accepted",
    "dispatched",
    "resolved",
    "closed",
    "overdue",
    "on_time",
    "due",
    "reworked",
    "rated",
    "satisfied",
    "citizen_reports",
    "citizen_accepted",
    "inspector_reports",
)


class StatsRow(msgspec.Struct, frozen=True, kw_only=True):
    key: str | None
    reported: int
    accepted: int
    dispatched: int
    resolved: int
    closed: int
    overdue: int
    on_time: int
    due: int
    reworked: int
    rated: int
    satisfied: int
    citizen_reports: int
    citizen_accepted: int
    inspector_reports: int
    avg_rating: float | None
    seconds_to_accept: float | None
    seconds_to_dispatch: float | None
    seconds_to_resolve: float | None
    seconds_to_close: float | None
    # Inspector grouping only: verifications (核实) and checks (核查) done in the window.
    verifications: int | None = None
    checks: int | None = None
    # How many cases each stage average is taken over: totals weight the groups by them.
    timed: tuple[int, int, int, int] = (0, 0, 0, 0)

    @property
    def closure_rate(self) -> float | None:
        return _rate(self.closed, self.accepted)

    @property
    def on_time_rate(self) -> float | None:
        return _rate(self.on_time, self.due)

    @property
    def rework_rate(self) -> float | None:
        return _rate(self.reworked, self.resolved)

    @property
    def satisfaction_rate(self) -> float | None:
        return _rate(self.satisfied, self.rated)

    @property
    def missed_report_rate(self) -> float | None:
        return _rate(self.citizen_accepted, self.accepted)


def _rate(part: int, whole: int) -> float | None:
    return round(part / whole, 4) if whole else None


def seconds_between(later: str, earlier: str) -> str:
    if is_sqlite():
        return f"(julianday({later}) - julianday({earlier})) * 86400.0"
    return f"EXTRACT(EPOCH FROM ({later} - {earlier}))"


def _day_key(since: dt.datetime) -> str:
    """The local calendar day of reported_at. The city's zones (Asia/Shanghai) keep one
    offset all year; SQLite has no zone database, so it gets the offset at ``since``."""
    zone = clock.city_zone()
    if is_sqlite():
        offset = since.astimezone(zone).utcoffset() or dt.timedelta(0)
        return f"date(reported_at, '{int(offset.total_seconds() // 60):+d} minutes')"
    return f"to_char(reported_at AT TIME ZONE '{zone.key}', 'YYYY-MM-DD')"


def _cohort(group_by: str, counted) -> tuple[str, list]:
    """The WHERE condition of the cases a query describes, with its ``{}`` arguments after
    since and until: reported in the window, in the caller's scope and filters."""
    condition = "reported_at >= {} AND reported_at < {}"
    if group_by == "inspector":
        condition += " AND source = 'inspector' AND reporter_kind = 'staff'"
    if counted is None:
        return condition, []
    return condition + " AND {}", [counted.querystring]


def _key(group_by: str, since: dt.datetime) -> str:
    return _day_key(since) if group_by == "day" else _KEYS[group_by]


def _sql(group_by: str, since: dt.datetime, cohort: str) -> str:
    return f"""SELECT {_key(group_by, since)} AS key,
  COUNT(*) AS reported,
  COUNT(accepted_at) AS accepted,
  COUNT(dispatched_at) AS dispatched,
  COUNT(resolved_at) AS resolved,
  SUM(CASE WHEN state = 'closed' THEN 1 ELSE 0 END) AS closed,
  SUM(CASE WHEN overdue THEN 1 ELSE 0 END) AS overdue,
  SUM(CASE WHEN resolved_at IS NOT NULL AND resolved_at <= deadline_at THEN 1 ELSE 0 END)
    AS on_time,
  SUM(CASE WHEN deadline_at IS NOT NULL AND (resolved_at IS NOT NULL OR deadline_at < {{}})
    THEN 1 ELSE 0 END) AS due,
  SUM(CASE WHEN rework_count > 0 THEN 1 ELSE 0 END) AS reworked,
  COUNT(rating) AS rated,
  SUM(CASE WHEN rating >= 4 THEN 1 ELSE 0 END) AS satisfied,
  SUM(CASE WHEN source = 'citizen' THEN 1 ELSE 0 END) AS citizen_reports,
  SUM(CASE WHEN source = 'citizen' AND accepted_at IS NOT NULL THEN 1 ELSE 0 END)
    AS citizen_accepted,
  SUM(CASE WHEN source = 'inspector' THEN 1 ELSE 0 END) AS inspector_reports,
  AVG(rating) AS avg_rating,
  {settled_counts()}
FROM {Case._meta.tablename}
WHERE {cohort}
GROUP BY 1
ORDER BY 1"""  # noqa: S608 - only our own column expressions are formatted in


def _float(value) -> float | None:
    return None if value is None else round(float(value), 2)


def _average(total, count: int) -> float | None:
    """A stage's average; None without settled cases."""
    return None if total is None or not count else _float(float(total) / count)


async def _inspector_work(
    since: dt.datetime, until: dt.datetime, counted
) -> dict[int, tuple[int, int]]:
    """Verifications (a reported case accepted or rejected) and checks (a resolved case
    closed or sent back) per staff member, by when they were recorded, on counted cases."""
    cases = "" if counted is None else ' AND "case" IN (SELECT id FROM case_file WHERE {})'
    sql = (
        "SELECT actor_id, SUM(CASE WHEN from_state = 'reported' THEN 1 ELSE 0 END) AS v, "
        "SUM(CASE WHEN from_state = 'resolved' THEN 1 ELSE 0 END) AS c FROM case_event "
        "WHERE actor_kind = 'staff' AND created_at >= {} AND created_at < {} AND ("
        "(from_state = 'reported' AND action IN ('accept', 'reject')) OR "
        "(from_state = 'resolved' AND action IN ('close', 'rework')))"
    )
    rows = await raw(
        sql + cases + " GROUP BY actor_id",
        since,
        until,
        *([] if counted is None else [counted.querystring]),
    )
    return {row["actor_id"]: (int(row["v"] or 0), int(row["c"] or 0)) for row in rows}


async def case_stats(
    *,
    since: dt.datetime,
    until: dt.datetime,
    group_by: GroupBy,
    within: Scope,
    filters: StatsFilter | None = None,
) -> list[StatsRow]:
    """One row per group (key as text; None for cases without a unit or grid), over the
    cases ``within`` the caller's scope matching ``filters`` (FilterNotFound for a filter
    outside the scope)."""
    async with reporting():
        return await _case_stats(since, until, group_by, within, filters)


async def _case_stats(
    since: dt.datetime,
    until: dt.datetime,
    group_by: GroupBy,
    within: Scope,
    filters: StatsFilter | None,
) -> list[StatsRow]:
    since, until = clock.as_utc(since), clock.as_utc(until)
    counted = await cases_counted(within, filters or StatsFilter())
    cohort, args = _cohort(group_by, counted)
    rows = await raw(_sql(group_by, since, cohort), clock.now(), since, until, *args)
    out = []
    for row in rows:
        counts = {name: int(row[name] or 0) for name in _COUNTS}
        timed = tuple(int(row[f"n_{stage}"] or 0) for stage in _STAGES)
        out.append(
            StatsRow(
                key=None if row["key"] is None else str(row["key"]),
                **counts,
                avg_rating=_float(row["avg_rating"]),
                **{
                    f"seconds_to_{stage}": _average(row[f"s_{stage}"], n)
                    for stage, n in zip(_STAGES, timed, strict=True)
                },
                timed=timed,
            )
        )
    if group_by == "inspector":
        work = await _inspector_work(since, until, counted)
        seen = {row.key for row in out}
        out = [
            msgspec.structs.replace(
                row,
                verifications=work.get(int(row.key), (0, 0))[0],
                checks=work.get(int(row.key), (0, 0))[1],
            )
            for row in out
            if row.key is not None
        ]
        for staff_id, (verifications, checks) in sorted(work.items()):
            if str(staff_id) not in seen:  # checked others' cases but filed none
                out.append(
                    StatsRow(
                        key=str(staff_id),
                        **dict.fromkeys(_COUNTS, 0),
                        avg_rating=None,
                        seconds_to_accept=None,
                        seconds_to_dispatch=None,
                        seconds_to_resolve=None,
                        seconds_to_close=None,
                        verifications=verifications,
                        checks=checks,
                    )
                )
    return out


def _weighted(pairs: list[tuple[float | None, int]]) -> float | None:
    total = sum(weight for value, weight in pairs if value is not None)
    if not total:
        return None
    return round(sum(value * weight for value, weight in pairs if value is not None) / total, 2)


def totals(rows: list[StatsRow]) -> StatsRow | None:
    """The whole window from its groups (every case is in exactly one group), so the
    command centre's totals cost no second scan. Not for the inspector grouping, which
    leaves out the cases no inspector filed."""
    if not rows:
        return None
    counts = {name: sum(getattr(row, name) for row in rows) for name in _COUNTS}
    seconds = {
        f"seconds_to_{stage}": _weighted(
            [(getattr(row, f"seconds_to_{stage}"), row.timed[i]) for row in rows]
        )
        for i, stage in enumerate(_STAGES)
    }
    return StatsRow(
        key="all",
        **counts,
        **seconds,
        avg_rating=_weighted([(row.avg_rating, row.rated) for row in rows]),
        timed=tuple(sum(row.timed[i] for row in rows) for i in range(len(_STAGES))),
    )


class OpenPoint(msgspec.Struct, frozen=True, kw_only=True):
    number: str
    lat: float
    lon: float
    light: str  # green, yellow, red; "none" before dispatch (no SLA clock yet)


async def open_case_points(*, within: Scope, limit: int = 5000) -> list[OpenPoint]:
    """Open cases in scope for the dashboard map, most urgent first, coloured by SLA light."""
    from cases.workflow import OPEN

    now = clock.now()
    query = Case.select(
        Case.number, Case.lat, Case.lon, Case.deadline_at, Case.sla_yellow_at
    ).where(Case.state.is_in(sorted(OPEN)))
    if (in_scope := clause(within)) is not None:
        query = query.where(in_scope)
    rows = await query.order_by(Case.deadline_at).limit(limit)
    points = []
    for row in rows:
        deadline, yellow = row["deadline_at"], row["sla_yellow_at"]
        if deadline is None:
            light = "none"
        elif clock.as_utc(deadline) < now:
            light = "red"
        elif yellow is not None and clock.as_utc(yellow) <= now:
            light = "yellow"
        else:
            light = "green"
        points.append(OpenPoint(number=row["number"], lat=row["lat"], lon=row["lon"], light=light))
    return points
