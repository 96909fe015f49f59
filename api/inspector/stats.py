"""My numbers for this week or month."""

from __future__ import annotations

import datetime as dt
from typing import Literal

import msgspec
from litestar import Controller, get
from litestar.di import NamedDependency
from litestar.params import FromQuery

from core.actors import Actor
from patrols.stats import inspector_stats_for


class GridShareOut(msgspec.Struct, frozen=True, rename="camel"):
    grid_id: int
    code: str
    name: str
    share: float


class StatsOut(msgspec.Struct, frozen=True, rename="camel"):
    period: str
    since: dt.datetime
    until: dt.datetime
    reports_filed: int
    verifications: int
    verifications_on_time: int
    checks: int
    checks_on_time: int
    rework_rate: float | None  # reworks / checks of cases in my grids
    patrols: int
    patrol_km: float
    coverage: float | None  # share of the area of my grids my patrols came within 30 m of
    grids: list[GridShareOut]


class StatsController(Controller):
    path = "/me/stats"
    tags = ["staff profile"]

    @get(
        "/",
        summary="My reports, on-time verifications and checks, rework rate of my "
        "grids, patrol km and coverage",
    )
    async def stats(
        self, actor: NamedDependency[Actor], period: FromQuery[Literal["week", "month"]] = "week"
    ) -> StatsOut:
        s = await inspector_stats_for(actor=actor, period=period)
        return StatsOut(
            period=s.period,
            since=s.since,
            until=s.until,
            reports_filed=s.cases.reports_filed,
            verifications=s.cases.verifications,
            verifications_on_time=s.cases.verifications_on_time,
            checks=s.cases.checks,
            checks_on_time=s.cases.checks_on_time,
            rework_rate=s.rework_rate,
            patrols=s.patrols,
            patrol_km=s.patrol_km,
            coverage=s.coverage,
            grids=[
                GridShareOut(grid_id=g.grid_id, code=g.code, name=g.name, share=g.share)
                for g in s.grids
            ],
        )
