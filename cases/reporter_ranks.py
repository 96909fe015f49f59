"""Citizens ranked by their accepted reports (立案) of a period: the points leaderboard's
source. A report counts when it was accepted in the period and still stands: not rejected,
merged or cancelled since, and not flagged as a duplicate photo (it earned nothing). It
counts whether or not it paid points (a category paying nothing, a daily cap reached)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection

import msgspec

from core.db import raw


class ReporterRank(msgspec.Struct, frozen=True, kw_only=True):
    citizen_id: int
    reports: int


async def accepted_reports_by_citizen(
    *,
    since: dt.datetime,
    until: dt.datetime,
    district_id: int | None = None,
    excluded: Collection[int] = (),
    limit: int = 20,
) -> list[ReporterRank]:
    """Most accepted reports first; ties go to who reached their count first."""
    where = [
        "reporter_kind = 'citizen'",
        "accepted_at >= {}",
        "accepted_at < {}",
        "state NOT IN ('rejected', 'merged', 'cancelled')",
        "flags NOT LIKE '%duplicate_photo%'",
    ]
    params: list[object] = [since, until]
    if district_id is not None:
        where.append("district_id = {}")
        params.append(district_id)
    if excluded:
        where.append(f"reporter_id NOT IN ({', '.join('{}' for _ in excluded)})")
        params.extend(excluded)
    rows = await raw(
        "SELECT reporter_id, COUNT(*) AS reports, MAX(accepted_at) AS last_at "  # noqa: S608
        f"FROM case_file WHERE {' AND '.join(where)} GROUP BY reporter_id "
        "ORDER BY reports DESC, last_at ASC, reporter_id ASC LIMIT {}",
        *params,
        limit,
    )
    return [ReporterRank(citizen_id=r["reporter_id"], reports=int(r["reports"])) for r in rows]
