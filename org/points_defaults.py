"""Default points (有奖举报) per category class: (on accept, on close after the fix was
verified). Hazards and urgent categories pay most, everyday nuisances least; admins edit them
per category (PATCH /api/admin/categories/{code}).

Installs seeded before these defaults have every category at 0/0 and get them once:
PostgreSQL by an org migration, SQLite at ``migrate`` (``Category.raw_upgrades``). The
statement only acts while no category pays anything, so a later ``migrate`` leaves an
admin's amounts alone (unless an admin sets every category to zero: then they come back).
"""

from __future__ import annotations

POINTS_BY_PRIORITY: dict[int, tuple[int, int]] = {1: (10, 20), 2: (6, 12), 3: (3, 6), 4: (2, 4)}


def default_points(priority: int, urgent: bool) -> dict[str, int]:
    accept, close = POINTS_BY_PRIORITY[1 if urgent else min(max(priority, 1), 4)]
    return {"points_on_accept": accept, "points_on_close": close}


def _by_class(column: int) -> str:
    urgent = POINTS_BY_PRIORITY[1][column]
    cases = " ".join(
        f"WHEN default_priority = {p} THEN {v[column]}"
        for p, v in POINTS_BY_PRIORITY.items()
        if 1 < p < 4
    )
    low = POINTS_BY_PRIORITY[4][column]
    return f"CASE WHEN urgent OR default_priority <= 1 THEN {urgent} {cases} ELSE {low} END"


UPGRADE_SQL = (
    f"UPDATE category SET points_on_accept = {_by_class(0)}, "  # noqa: S608 - constants only
    f"points_on_close = {_by_class(1)} "
    "WHERE minor <> '' AND points_on_accept = 0 AND points_on_close = 0 "
    "AND NOT EXISTS (SELECT 1 FROM category c WHERE c.points_on_accept <> 0 "
    "OR c.points_on_close <> 0)"
)
