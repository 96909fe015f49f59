"""The counts behind the evaluation (cases.evaluation): one grouped aggregate per question,
over indexed columns, never a loop over cases in Python.

Case counts take the cases *reported* in [since, until) (the reported_at index), as the
statistics do; work done on cases (verifications, checks, hand-backs, supervision orders)
is taken by when it was recorded in the window (the created_at indexes). Every query applies
the actor's scope (cases.scope.clause) as SQL on the case, so an operator's figures come
from the cases it may see and from nothing else; work done on cases joins the case only for
a scope that is not everything, when it needs nothing else of it.
"""

from __future__ import annotations

import datetime as dt
from typing import Literal

from cases.scope import Scope, clause
from cases.stats import seconds_between
from cases.tasks_queue import CHECK_WITHIN, VERIFY_WITHIN
from core import clock
from core.db import is_sqlite, raw

AreaKind = Literal["district", "street", "grid"]
_AREA_KEYS: dict[str, str] = {
    "district": "case_file.district_id",
    "street": "case_file.street_id",
    "grid": "case_file.grid_id",
}
Counts = dict[int, dict[str, int]]


def _scoped(scope: Scope) -> tuple[str, list]:
    where = clause(scope)
    return ("", []) if where is None else (" AND {}", [where.querystring])


def _json_int(column: str, key: str) -> str:
    if is_sqlite():
        return f"CAST(json_extract({column}, '$.{key}') AS INTEGER)"
    return f"CAST(({column}::json ->> '{key}') AS INTEGER)"


async def _grouped(sql: str, args: list, scope: Scope) -> Counts:
    scope_sql, scope_args = _scoped(scope)
    rows = await raw(sql.replace("{scope}", scope_sql), *args, *scope_args)
    out: Counts = {}
    for row in rows:
        values = dict(row)
        key = values.pop("key")
        if key is not None:
            out[int(key)] = {name: int(value or 0) for name, value in values.items()}
    return out


_UNIT_CASES = """
SELECT case_file.unit_id AS key,
  COUNT(*) AS assigned,
  COUNT(case_file.resolved_at) AS resolved,
  SUM(CASE WHEN {handled} THEN 1 ELSE 0 END) AS handled,
  SUM(CASE WHEN {handled} AND {in_time} THEN 1 ELSE 0 END) AS on_time,
  SUM(CASE WHEN {handled} AND NOT {in_time} THEN 1 ELSE 0 END) AS late,
  SUM(CASE WHEN NOT {handled} AND case_file.deadline_at < {{}} THEN 1 ELSE 0 END)
    AS overdue_open,
  SUM(CASE WHEN case_file.rework_count > 0 THEN 1 ELSE 0 END) AS reworked
FROM case_file
WHERE case_file.reported_at >= {{}} AND case_file.reported_at < {{}}
  AND case_file.unit_id IS NOT NULL AND case_file.dispatched_at IS NOT NULL{{scope}}
GROUP BY case_file.unit_id"""

# Handled (处置): resolved and not sent back since; in time: by the deadline (no deadline,
# no lateness).
_HANDLED = "(case_file.state IN ('resolved', 'closed') AND case_file.resolved_at IS NOT NULL)"
_IN_TIME = "(case_file.deadline_at IS NULL OR case_file.resolved_at <= case_file.deadline_at)"


async def unit_cases(*, since: dt.datetime, until: dt.datetime, scope: Scope) -> Counts:
    sql = _UNIT_CASES.format(handled=_HANDLED, in_time=_IN_TIME)
    return await _grouped(sql, [clock.now(), since, until], scope)


async def unit_transfers(*, since: dt.datetime, until: dt.datetime, scope: Scope) -> Counts:
    """Hand-backs (转办) per unit that handed the case back; the case has no unit after."""
    sql = f"""
SELECT {_json_int("case_event.data", "unit_id")} AS key, COUNT(*) AS transfers
FROM case_event JOIN case_file ON case_file.id = case_event."case"
WHERE case_event.action = 'transfer'
  AND case_event.created_at >= {{}} AND case_event.created_at < {{}}{{scope}}
GROUP BY 1"""  # noqa: S608 - only our own column expressions are formatted in
    return await _grouped(sql, [since, until], scope)


async def unit_supervisions(*, since: dt.datetime, until: dt.datetime, scope: Scope) -> Counts:
    """Supervision orders (督办) issued to each unit."""
    sql = """
SELECT supervision_order.to_unit_id AS key, COUNT(*) AS supervised
FROM supervision_order JOIN case_file ON case_file.id = supervision_order."case"
WHERE supervision_order.created_at >= {} AND supervision_order.created_at < {}{scope}
GROUP BY supervision_order.to_unit_id"""
    return await _grouped(sql, [since, until], scope)


async def area_cases(
    *, kind: AreaKind, since: dt.datetime, until: dt.datetime, scope: Scope
) -> Counts:
    key = _AREA_KEYS[kind]
    sql = f"""
SELECT {key} AS key,
  COUNT(*) AS reported,
  COUNT(case_file.accepted_at) AS accepted,
  SUM(CASE WHEN case_file.state = 'closed' THEN 1 ELSE 0 END) AS closed,
  SUM(CASE WHEN case_file.state = 'closed' AND {_IN_TIME} THEN 1 ELSE 0 END) AS closed_on_time,
  SUM(CASE WHEN case_file.overdue THEN 1 ELSE 0 END) AS overdue
FROM case_file
WHERE case_file.reported_at >= {{}} AND case_file.reported_at < {{}}
  AND {key} IS NOT NULL{{scope}}
GROUP BY {key}"""  # noqa: S608 - only our own column expressions are formatted in
    return await _grouped(sql, [since, until], scope)


async def satisfaction(
    *, by: Literal["unit"] | AreaKind, since: dt.datetime, until: dt.datetime, scope: Scope
) -> Counts:
    """The answered satisfaction surveys (回访, cases.survey) of the cases reported in the
    window, per unit that handled the case or per area: how many, how many said fixed, and
    each dimension's sum of scores (for its mean)."""
    key = "case_file.unit_id" if by == "unit" else _AREA_KEYS[by]
    sql = f"""
SELECT {key} AS key, COUNT(*) AS survey_count,
  SUM(CASE WHEN case_survey.fixed THEN 1 ELSE 0 END) AS survey_fixed,
  SUM(case_survey.speed) AS survey_speed, SUM(case_survey.attitude) AS survey_attitude,
  SUM(case_survey.result) AS survey_result
FROM case_survey JOIN case_file ON case_file.id = case_survey."case"
WHERE case_survey.answered_at IS NOT NULL
  AND case_file.reported_at >= {{}} AND case_file.reported_at < {{}}
  AND {key} IS NOT NULL{{scope}}
GROUP BY {key}"""  # noqa: S608 - only our own column expressions are formatted in
    return await _grouped(sql, [since, until], scope)


async def inspector_reports(*, since: dt.datetime, until: dt.datetime, scope: Scope) -> Counts:
    """Reports staff filed, and how many were valid (立案: accepted)."""
    sql = """
SELECT case_file.reporter_id AS key, COUNT(*) AS reported,
  COUNT(case_file.accepted_at) AS valid
FROM case_file
WHERE case_file.reported_at >= {} AND case_file.reported_at < {}
  AND case_file.reporter_kind = 'staff'{scope}
GROUP BY case_file.reporter_id"""
    return await _grouped(sql, [since, until], scope)


def _when(alias: str) -> str:
    """When it happened: the phone's time if it sent one, else the server's."""
    return f"COALESCE({alias}.occurred_at, {alias}.created_at)"


def _within(later: str, earlier: str, limit: dt.timedelta) -> tuple[str, object]:
    """``later`` at most ``limit`` after ``earlier``: as timestamps on PostgreSQL (no
    per-row arithmetic on seconds), in seconds on SQLite (no interval type)."""
    if is_sqlite():
        return f"{seconds_between(later, earlier)} <= {{}}", limit.total_seconds()
    return f"{later} <= {earlier} + {{}}", limit


async def inspector_work(
    *, since: dt.datetime, until: dt.datetime, scope: Scope, staff_ids: list[int]
) -> Counts:
    """Verifications (核实: a report accepted or rejected) and checks (核查: a resolution
    closed or sent back) per staff member, and how many within their time limits. Accept
    and reject leave ``reported`` only here, close and rework ``resolved`` only (a reject
    from ``accepted`` is an operator's, not a verification). Only ``staff_ids``' work: the
    inspectors', not the operators' who accept and close too."""
    if not staff_ids:
        return {}
    # Each event carries when the case entered the state it left (state_since): the case
    # is joined only to apply a scope that is not everything.
    when = _when("case_event")
    verify, verify_limit = _within(when, "case_event.state_since", VERIFY_WITHIN)
    check, check_limit = _within(when, "case_event.state_since", CHECK_WITHIN)
    staff = ", ".join("{}" for _ in staff_ids)
    scope_sql, scope_args = _scoped(scope)
    join = ' JOIN case_file ON case_file.id = case_event."case"' if scope_sql else ""
    sql = f"""
SELECT case_event.actor_id AS key,
  SUM(CASE WHEN case_event.from_state = 'reported' THEN 1 ELSE 0 END) AS verifications,
  SUM(CASE WHEN case_event.from_state = 'reported' AND {verify} THEN 1 ELSE 0 END)
    AS verified_on_time,
  SUM(CASE WHEN case_event.from_state = 'resolved' THEN 1 ELSE 0 END) AS checks,
  SUM(CASE WHEN case_event.from_state = 'resolved' AND {check} THEN 1 ELSE 0 END)
    AS checked_on_time
FROM case_event{join}
WHERE case_event.action IN ('accept', 'reject', 'close', 'rework')
  AND case_event.from_state IN ('reported', 'resolved')
  AND case_event.created_at >= {{}} AND case_event.created_at < {{}}
  AND case_event.actor_kind = 'staff' AND case_event.actor_id IN ({staff}){{scope}}
GROUP BY case_event.actor_id"""  # noqa: S608 - only our own column expressions are formatted in
    args = [verify_limit, check_limit, since, until, *staff_ids]
    return await _grouped(sql, args, scope)
