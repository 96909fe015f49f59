"""``/me/stats``: an inspector's week or month in numbers. Calendar periods in the city's
time zone (this week from Monday, this month from the 1st), as managers count them."""

from __future__ import annotations

import datetime as dt
from typing import Literal

import msgspec

from cases import inspector_stats
from core import clock
from core.actors import Actor
from org import grids
from patrols import service, track

Period = Literal["week", "month"]


class GridShare(msgspec.Struct, frozen=True, kw_only=True):
    grid_id: int
    code: str
    name: str
    share: float


class InspectorStats(msgspec.Struct, frozen=True, kw_only=True):
    period: str
    since: dt.datetime
    until: dt.datetime
    cases: inspector_stats.FieldStats
    rework_rate: float | None
    patrols: int
    patrol_km: float
    coverage: float | None  # of the area of all my grids
    grids: list[GridShare]


def period_start(period: Period, now: dt.datetime) -> dt.datetime:
    local = now.astimezone(clock.city_zone())
    day = (
        local.date() - dt.timedelta(days=local.weekday())
        if period == "week"
        else (local.date().replace(day=1))
    )
    return dt.datetime.combine(day, dt.time(), tzinfo=clock.city_zone()).astimezone(dt.UTC)


async def inspector_stats_for(*, actor: Actor, period: Period) -> InspectorStats:
    until = clock.now()
    since = period_start(period, until)
    grid_ids = await grids.inspector_grid_ids(staff_id=actor.id)
    cases = await inspector_stats.field_stats(
        staff_id=actor.id, grid_ids=grid_ids, since=since, until=until
    )
    patrols = await service.ended_patrols(staff_id=actor.id, since=since, until=until)
    shapes = await service.grid_shapes(grid_ids)
    areas = [track.from_geojson(p.covered) for p in patrols if p.covered]
    shares = track.coverage(areas, {gid: shape for gid, (_, shape) in shapes.items()})
    # Area-weighted over all my grids, in the same metric plane per grid.
    areas = {
        gid: track.Plane(s.centroid.y, s.centroid.x).forward(s).area
        for gid, (_, s) in shapes.items()
    }
    total = sum(areas.values())
    coverage = round(sum(shares[g] * areas[g] for g in areas) / total, 4) if total else None
    return InspectorStats(
        period=period,
        since=since,
        until=until,
        cases=cases,
        rework_rate=round(cases.grid_reworks / cases.grid_checks, 4) if cases.grid_checks else None,
        patrols=len(patrols),
        patrol_km=round(sum(p.distance_m for p in patrols) / 1000, 3),
        coverage=coverage,
        grids=[
            GridShare(grid_id=gid, code=info.code, name=info.name, share=shares[gid])
            for gid, (info, _) in sorted(shapes.items(), key=lambda kv: kv[1][0].code)
        ],
    )
