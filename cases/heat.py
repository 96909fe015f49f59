"""Where reports came from over a period, binned on the server for a heat map.

A month of a large city is ~600,000 cases: the browser gets weighted cell centres (at most
MAX_CELLS, the busiest), never the cases themselves, and the database does the counting.
"""

from __future__ import annotations

import datetime as dt

import msgspec

from cases.scope import Scope, clause
from cases.tables import Case
from core import clock
from core.db import raw

MAX_CELLS = 20_000
# About 220 m north-south; a city district is a few hundred cells.
DEFAULT_CELL_DEG = 0.002


class HeatCell(msgspec.Struct, frozen=True, kw_only=True):
    lat: float  # WGS-84 centre of the cell
    lon: float
    count: int


async def report_heat(
    *,
    within: Scope,
    since: dt.datetime,
    until: dt.datetime,
    cell_deg: float = DEFAULT_CELL_DEG,
    limit: int = MAX_CELLS,
) -> list[HeatCell]:
    """Cases reported in [since, until) within the scope, counted per lat/lon cell, busiest
    first. ROUND() exists in SQLite and PostgreSQL alike; they may place a point lying exactly
    on a cell's edge differently, which a heat map cannot show."""
    in_scope = clause(within)
    where = "reported_at >= {} AND reported_at < {}"
    args: list = [clock.as_utc(since), clock.as_utc(until)]
    if in_scope is not None:
        where += " AND {}"
        args.append(in_scope.querystring)
    cell = float(cell_deg)  # only numbers we own are formatted into the SQL
    sql = (
        f"SELECT ROUND(lat / {cell!r}) AS y, ROUND(lon / {cell!r}) AS x, COUNT(*) AS n "  # noqa: S608
        f"FROM {Case._meta.tablename} WHERE {where} GROUP BY 1, 2 ORDER BY 3 DESC, 1, 2 "
        f"LIMIT {int(limit)}"
    )
    rows = await raw(sql, *args)
    return [
        HeatCell(
            lat=round(float(row["y"]) * cell, 7),
            lon=round(float(row["x"]) * cell, 7),
            count=int(row["n"]),
        )
        for row in rows
    ]
