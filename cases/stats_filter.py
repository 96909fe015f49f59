"""Which cases a statistic or export counts: those in the caller's scope (cases.scope), narrowed
by the filters asked for. A filter naming a district, street, unit or grid outside the
caller's scope is refused as if it did not exist (404), as another centre's case is: a
district centre cannot read another district's numbers by naming it.

A filter must lie inside the caller's area: a street station may not name its district (that
is wider than its area), a district centre may name its streets, units below them and its
grids. The city centre and admins may name anything that exists.
"""

from __future__ import annotations

import msgspec

from cases.errors import FilterNotFound
from cases.scope import Scope, clause, units_within
from cases.tables import Case
from org import grids
from org.centres import Tree, unit_tree


class StatsFilter(msgspec.Struct, frozen=True, kw_only=True):
    district_id: int | None = None
    street_id: int | None = None
    unit_id: int | None = None
    grid_id: int | None = None


def _reachable(scope: Scope, tree: Tree, unit_id: int, kind: str | None) -> bool:
    found = tree.kind(unit_id)
    if found is None or (kind is not None and found != kind):
        return False
    within = units_within(scope, tree)
    return within is None or unit_id in within


async def _grid_reachable(scope: Scope, grid_id: int) -> bool:
    grid = await grids.find_grid(grid_id=grid_id)
    if grid is None:
        return False
    return (
        scope.everything
        or grid.id in scope.grid_ids
        or grid.district_id in scope.district_ids
        or grid.street_id in scope.street_ids
    )


async def cases_counted(scope: Scope, filters: StatsFilter):
    """The WHERE clause of the cases a statistic counts (None: every case), or
    FilterNotFound for a filter outside the scope."""
    tree = await unit_tree()
    checks = (
        ("districtId", filters.district_id, "district", Case.district_id),
        ("streetId", filters.street_id, "street", Case.street_id),
        ("unitId", filters.unit_id, None, Case.unit_id),
    )
    parts = [] if (in_scope := clause(scope)) is None else [in_scope]
    for field, value, kind, column in checks:
        if value is None:
            continue
        if not _reachable(scope, tree, value, kind):
            raise FilterNotFound(field=field)
        parts.append(column == value)
    if filters.grid_id is not None:
        if not await _grid_reachable(scope, filters.grid_id):
            raise FilterNotFound(field="gridId")
        parts.append(Case.grid_id == filters.grid_id)
    if not parts:
        return None
    combined = parts[0]
    for part in parts[1:]:
        combined = combined & part
    return combined
