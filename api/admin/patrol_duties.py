"""Patrol duties: which inspector patrols which grid in which shift window."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

import msgspec
from litestar import Controller, delete, get, post
from litestar.di import NamedDependency
from litestar.params import FromQuery, JSONBody, QueryParameter

from api.params import IdParam, Int32, id_query
from api.types import CalendarDate, UtcDateTime
from core.actors import Actor
from core.db import transaction
from patrols import duties
from patrols.tables import PatrolDuty


class DutyIn(msgspec.Struct, frozen=True, rename="camel", forbid_unknown_fields=True):
    staff_id: Int32
    grid_code: Annotated[str, msgspec.Meta(min_length=2, max_length=32)]
    starts_at: UtcDateTime
    ends_at: UtcDateTime
    note: Annotated[str, msgspec.Meta(max_length=200)] = ""


class PatrolDutyOut(msgspec.Struct, frozen=True, rename="camel"):
    id: int
    staff_id: int
    grid_id: int
    starts_at: dt.datetime
    ends_at: dt.datetime
    note: str
    created_by: int

    @classmethod
    def of(cls, duty: PatrolDuty) -> PatrolDutyOut:
        return cls(
            id=duty.id,
            staff_id=duty.staff_id,
            grid_id=duty.grid_id,
            starts_at=duty.starts_at,
            ends_at=duty.ends_at,
            note=duty.note,
            created_by=duty.created_by,
        )


class PatrolDutyController(Controller):
    path = "/patrol-duties"
    tags = ["patrols"]

    @post("/", summary="Give an inspector a grid to patrol in a shift window")
    async def create(self, actor: NamedDependency[Actor], data: JSONBody[DutyIn]) -> PatrolDutyOut:
        async with transaction():
            duty = await duties.create_duty(
                actor=actor,
                staff_id=data.staff_id,
                grid_code=data.grid_code,
                starts_at=data.starts_at,
                ends_at=data.ends_at,
                note=data.note,
            )
        return PatrolDutyOut.of(duty)

    @get("/", summary="Duties, soonest first; filter by inspector, grid or city-time day")
    async def list_duties(
        self,
        staff_id: Annotated[int | None, id_query("staffId")] = None,
        grid_code: Annotated[str | None, QueryParameter(name="gridCode")] = None,
        day: FromQuery[CalendarDate | None] = None,
    ) -> list[PatrolDutyOut]:
        rows = await duties.list_duties(staff_id=staff_id, grid_code=grid_code, day=day)
        return [PatrolDutyOut.of(row) for row in rows]

    @delete("/{duty_id:int}", summary="Remove a duty")
    async def remove(self, actor: NamedDependency[Actor], duty_id: IdParam) -> None:
        async with transaction():
            await duties.delete_duty(actor=actor, duty_id=duty_id)
