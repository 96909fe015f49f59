"""What other domains call. The org package is split by subject (categories, grids, sla,
dispatch, calendar, units); this module is its one public surface.

Services never commit: callers wrap them in ``core.db.transaction()``. Grid writes bump the
"grids" version stamp inside that same transaction, so caches see the change only once it is
committed.
"""

from __future__ import annotations

import datetime as dt

import msgspec

from org import geo
from org.calendar import (
    Light,
    WorkCalendar,
    add_working_time,
    clear_calendar_day,
    load_calendar,
    set_calendar_day,
    sla_light,
    working_time_between,
)
from org.categories import (
    CategoryInfo,
    create_category,
    get_category,
    update_category,
)
from org.category_tree import CategoryKind, category_tree
from org.dispatch import (
    DispatchTarget,
    RuleInfo,
    create_dispatch_rule,
    delete_dispatch_rule,
    list_dispatch_rules,
    resolve_unit,
    update_dispatch_rule,
)
from org.grids import (
    GridInfo,
    assign_inspector,
    create_grid,
    get_grid,
    grid_inspector_ids,
    grids_in_view,
    inspector_grid_ids,
    locate,
    unassign_inspector,
    update_grid,
)
from org.sla import (
    SlaLimit,
    SlaStatus,
    deadline_for,
    remove_sla_policy,
    set_sla_policy,
    sla_deadline,
    sla_limit,
    sla_status,
)
from org.units import UnitInfo, create_org_unit, get_unit, list_units, update_org_unit


class Placement(msgspec.Struct, frozen=True, kw_only=True):
    """Where a reported point lands and who gets the case: what intake needs in one call."""

    lat: float  # WGS-84
    lon: float
    grid: GridInfo | None  # None: outside every grid, the case waits in the unassigned queue
    target: DispatchTarget | None  # None: no rule and no grid unit, an operator dispatches
    limit: SlaLimit
    priority: int


async def place_report(
    *,
    category_code: str,
    lat: float,
    lon: float,
    coord_sys: str = "wgs84",
    priority: int | None = None,
) -> Placement:
    """Validate the category and the point (in ``coord_sys``), find the grid and the unit, and
    the time limit that applies. Raises category.unknown, geo.invalid_coordinates."""
    category = await get_category(code=category_code)
    wgs_lat, wgs_lon = geo.to_wgs84(lat, lon, coord_sys)
    grid = await locate(lat=wgs_lat, lon=wgs_lon)
    target = await resolve_unit(category=category, grid=grid, priority=priority)
    effective = (
        target.priority
        if target
        else (1 if category.urgent else priority or category.default_priority)
    )
    limit = await sla_limit(category=category, priority=effective)
    return Placement(
        lat=wgs_lat, lon=wgs_lon, grid=grid, target=target, limit=limit, priority=effective
    )


async def dispatch_target(
    *, category_code: str, grid: GridInfo | None, priority: int | None = None
) -> DispatchTarget | None:
    return await resolve_unit(
        category=await get_category(code=category_code), grid=grid, priority=priority
    )


async def deadline(
    *, category_code: str, priority: int | None = None, start: dt.datetime
) -> dt.datetime:
    return await sla_deadline(
        category=await get_category(code=category_code), priority=priority, start=start
    )


__all__ = [
    "CategoryInfo",
    "CategoryKind",
    "DispatchTarget",
    "GridInfo",
    "Light",
    "Placement",
    "RuleInfo",
    "SlaLimit",
    "SlaStatus",
    "UnitInfo",
    "WorkCalendar",
    "add_working_time",
    "assign_inspector",
    "category_tree",
    "clear_calendar_day",
    "create_category",
    "create_dispatch_rule",
    "create_grid",
    "create_org_unit",
    "deadline",
    "deadline_for",
    "delete_dispatch_rule",
    "dispatch_target",
    "get_category",
    "get_grid",
    "get_unit",
    "grid_inspector_ids",
    "grids_in_view",
    "inspector_grid_ids",
    "list_dispatch_rules",
    "list_units",
    "load_calendar",
    "locate",
    "place_report",
    "remove_sla_policy",
    "set_calendar_day",
    "set_sla_policy",
    "sla_deadline",
    "sla_light",
    "sla_limit",
    "sla_status",
    "unassign_inspector",
    "update_category",
    "update_dispatch_rule",
    "update_grid",
    "update_org_unit",
    "working_time_between",
]
