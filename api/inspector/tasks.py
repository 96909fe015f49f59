"""What waits for me: verify, handle, check; most urgent first."""

from __future__ import annotations

import datetime as dt
from typing import Literal

import msgspec
from litestar import Controller, get
from litestar.di import NamedDependency
from litestar.params import FromQuery

from api.case_views import CaseStaffOut, case_staff_outs
from api.geo import CoordSysQuery, Latitude, Longitude
from api.params import PageLimit
from cases import sla, tasks_queue
from core.actors import Actor
from core.errors import FieldRequired
from org.geo import to_wgs84


class TaskOut(msgspec.Struct, frozen=True, rename="camel"):
    kind: str  # verify (核实) | handle (处置) | check (核查)
    due_at: dt.datetime
    light: str | None
    distance_m: float | None
    case: CaseStaffOut


class TaskPageOut(msgspec.Struct, frozen=True, rename="camel"):
    items: list[TaskOut]
    next_cursor: str | None


class TaskController(Controller):
    path = "/tasks"
    tags = ["inspector tasks"]

    @get(
        "/",
        summary="My tasks (verify, handle, check) by SLA urgency; keyset pages; "
        "distance from lat/lon when given",
    )
    async def tasks(
        self,
        actor: NamedDependency[Actor],
        kind: FromQuery[Literal["verify", "handle", "check"] | None] = None,
        lat: FromQuery[Latitude | None] = None,
        lon: FromQuery[Longitude | None] = None,
        cursor: FromQuery[str | None] = None,
        limit: PageLimit = 20,
        coord_sys: CoordSysQuery = "wgs84",
    ) -> TaskPageOut:
        if (lat is None) != (lon is None):
            raise FieldRequired(field="lon" if lon is None else "lat")
        near = to_wgs84(lat, lon, coord_sys) if lat is not None and lon is not None else None
        page = await tasks_queue.my_tasks(
            actor=actor, kind=kind, near=near, cursor=cursor, limit=limit
        )
        cases = await case_staff_outs([t.case for t in page.items], coord_sys)
        return TaskPageOut(
            items=[
                TaskOut(
                    kind=t.kind,
                    due_at=t.due_at,
                    light=sla.light(t.case),
                    distance_m=t.distance_m,
                    case=case,
                )
                for t, case in zip(page.items, cases, strict=True)
            ],
            next_cursor=page.next_cursor,
        )
