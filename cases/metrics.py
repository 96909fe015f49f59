"""Figures of the cases for /metrics: the SLA lights of the cases whose clock runs, by the
level last notified (0 none, 1 yellow reminder, 2 red escalation), and the overdue cases
still open, by state. Two grouped counts per scrape interval."""

from __future__ import annotations

import msgspec

from cases.states import DISPATCHED, OPEN
from core import clock
from core.db import raw

_LIGHTS = (
    "SELECT CASE WHEN deadline_at < {} THEN 'red' WHEN sla_yellow_at <= {} THEN 'yellow' "
    "ELSE 'green' END AS light, sla_level AS level, COUNT(*) AS n FROM case_file "
    "WHERE state = {} AND deadline_at IS NOT NULL AND sla_yellow_at IS NOT NULL "
    "GROUP BY 1, 2"
)


class CaseFigures(msgspec.Struct, frozen=True, kw_only=True):
    lights: dict[tuple[str, int], int]  # (light, level) -> dispatched cases
    overdue: dict[str, int]  # state -> open cases past their deadline


async def case_figures() -> CaseFigures:
    now = clock.now()
    rows = await raw(_LIGHTS, now, now, DISPATCHED)
    lights = {(row["light"], int(row["level"])): row["n"] for row in rows}
    states = sorted(OPEN)
    rows = await raw(
        "SELECT state, COUNT(*) AS n FROM case_file WHERE overdue = {} AND state IN "  # noqa: S608
        f"({', '.join('{}' for _ in states)}) GROUP BY state",
        True,
        *states,
    )
    return CaseFigures(lights=lights, overdue={row["state"]: row["n"] for row in rows})
