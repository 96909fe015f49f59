"""Patrols: start, upload the GPS track in batches, end; the summary of what was covered."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

import msgspec
from litestar import Controller, Request, Response, get, post
from litestar.di import NamedDependency
from litestar.params import FromPath, JSONBody

from api.geo import CoordSys, Location, body_coord_sys
from api.idempotent import run_idempotent
from api.params import PageLimit
from api.types import UtcDateTime
from core.actors import Actor
from patrols import service
from patrols.tables import Patrol

PatrolId = Annotated[str, msgspec.Meta(min_length=3, max_length=24, pattern=r"^p_[0-9a-z]+$")]
INSPECTORS = {"roles": ("inspector",)}


class StartIn(msgspec.Struct, frozen=True, rename="camel", forbid_unknown_fields=True):
    location: Location | None = None
    occurred_at: UtcDateTime | None = None


class FixIn(msgspec.Struct, frozen=True, rename="camel", forbid_unknown_fields=True):
    at: UtcDateTime  # the phone's time of the fix
    lat: float
    lon: float
    accuracy: float | None = None


class TrackIn(msgspec.Struct, frozen=True, rename="camel", forbid_unknown_fields=True):
    # Over 1,000 is refused by the service with its own code, not a generic 400.
    fixes: list[FixIn]
    coord_sys: CoordSys = msgspec.field(default_factory=body_coord_sys)


class TrackOut(msgspec.Struct, frozen=True, rename="camel"):
    accepted: int
    duplicates: int
    total: int


class GridCoverageOut(msgspec.Struct, frozen=True, rename="camel"):
    grid_id: int
    code: str
    name: str
    share: float


class SummaryOut(msgspec.Struct, frozen=True, rename="camel"):
    duration_s: int
    distance_m: float
    fixes: int
    dropped_fixes: int
    grids: list[GridCoverageOut]
    cases_reported: list[str]

    @classmethod
    def of(cls, s: service.PatrolSummary) -> SummaryOut:
        return cls(
            duration_s=s.duration_s,
            distance_m=s.distance_m,
            fixes=s.fixes,
            dropped_fixes=s.dropped_fixes,
            cases_reported=s.cases_reported,
            grids=[
                GridCoverageOut(grid_id=g.grid_id, code=g.code, name=g.name, share=g.share)
                for g in s.grids
            ],
        )


class PatrolOut(msgspec.Struct, frozen=True, rename="camel"):
    id: str
    state: str
    started_at: dt.datetime
    started_occurred_at: dt.datetime | None
    ended_at: dt.datetime | None
    ended_occurred_at: dt.datetime | None
    fix_count: int
    summary: SummaryOut | None = None

    @classmethod
    def of(cls, patrol: Patrol, summary: service.PatrolSummary | None = None) -> PatrolOut:
        return cls(
            id=patrol.public_id,
            state=patrol.state,
            started_at=patrol.started_at,
            started_occurred_at=patrol.started_occurred_at,
            ended_at=patrol.ended_at,
            ended_occurred_at=patrol.ended_occurred_at,
            fix_count=patrol.fix_count,
            summary=SummaryOut.of(summary) if summary else None,
        )


def _position(location: Location | None) -> tuple[float | None, float | None]:
    return location.wgs84() if location is not None else (None, None)


class PatrolController(Controller):
    path = "/patrols"
    tags = ["patrols"]
    opt = INSPECTORS

    @post("/", summary="Start a patrol at my position")
    async def start(
        self, request: Request, actor: NamedDependency[Actor], data: JSONBody[StartIn]
    ) -> Response[PatrolOut]:
        lat, lon = _position(data.location)

        async def action() -> PatrolOut:
            return PatrolOut.of(
                await service.start_patrol(
                    actor=actor, lat=lat, lon=lon, occurred_at=data.occurred_at
                )
            )

        return await run_idempotent(request, actor, action)

    @get("/", summary="My patrols, newest first")
    async def mine(
        self,
        actor: NamedDependency[Actor],
        limit: PageLimit = 20,
    ) -> list[PatrolOut]:
        return [PatrolOut.of(p) for p in await service.my_patrols(actor=actor, limit=limit)]

    @get("/{patrol_id:str}", summary="A patrol with its summary (live while it runs)")
    async def one(self, actor: NamedDependency[Actor], patrol_id: FromPath[PatrolId]) -> PatrolOut:
        patrol, summary = await service.get_patrol(actor=actor, patrol_id=patrol_id)
        return PatrolOut.of(patrol, summary)

    @post(
        "/{patrol_id:str}/track",
        status_code=200,
        summary="Add up to 1,000 GPS fixes; any order, duplicates ignored, idempotent",
    )
    async def track(
        self,
        request: Request,
        actor: NamedDependency[Actor],
        patrol_id: FromPath[PatrolId],
        data: JSONBody[TrackIn],
    ) -> Response[TrackOut]:
        fixes = [
            service.TrackFix(at=f.at, lat=f.lat, lon=f.lon, accuracy=f.accuracy) for f in data.fixes
        ]

        async def action() -> TrackOut:
            result = await service.record_track(
                actor=actor, patrol_id=patrol_id, fixes=fixes, coord_sys=data.coord_sys
            )
            return TrackOut(
                accepted=result.accepted, duplicates=result.duplicates, total=result.total
            )

        return await run_idempotent(request, actor, action, status_code=200)

    @post("/{patrol_id:str}/end", status_code=200, summary="End the patrol; returns the summary")
    async def end(
        self,
        request: Request,
        actor: NamedDependency[Actor],
        patrol_id: FromPath[PatrolId],
        data: JSONBody[StartIn],
    ) -> Response[PatrolOut]:
        lat, lon = _position(data.location)

        async def action() -> PatrolOut:
            patrol, summary = await service.end_patrol(
                actor=actor, patrol_id=patrol_id, lat=lat, lon=lon, occurred_at=data.occurred_at
            )
            return PatrolOut.of(patrol, summary)

        return await run_idempotent(request, actor, action, status_code=200)
