"""The working calendar: national holidays and make-up days, with the city's overrides."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

import msgspec
from litestar import Controller, delete, get, put
from litestar.di import NamedDependency
from litestar.params import FromPath, JSONBody, QueryParameter

from api.admin.audit import ADMIN_ONLY
from api.types import CalendarDate
from audit.service import record
from core.actors import Actor
from core.db import transaction
from core.errors import DomainError
from core.i18n import Msg
from org import admin_queries, calendar

MAX_DAYS = 366


class InvalidRange(DomainError):
    code = "request.invalid_range"
    status = 422
    title = Msg(zh="日期范围无效", en="Invalid date range")
    message = Msg(zh="起止日期须有序且不超过 {days} 天", en="from <= to, at most {days} days")


class DayIn(msgspec.Struct, frozen=True, rename="camel", forbid_unknown_fields=True):
    is_workday: bool
    note: Annotated[str, msgspec.Meta(max_length=200)] = ""


class DayOut(msgspec.Struct, frozen=True, rename="camel"):
    day: dt.date
    is_workday: bool
    overridden: bool
    note: str


async def _day(day: dt.date) -> admin_queries.DayInfo:
    (info,) = await admin_queries.calendar_days(first=day, last=day)
    return info


class CalendarController(Controller):
    path = "/calendar"
    tags = ["admin: configuration"]

    @get("/", summary="Each day of a range: working or not, and whether overridden")
    async def days(
        self,
        first: Annotated[CalendarDate, QueryParameter(name="from")],
        last: Annotated[CalendarDate, QueryParameter(name="to")],
    ) -> list[DayOut]:
        if last < first or (last - first).days >= MAX_DAYS:
            raise InvalidRange(days=MAX_DAYS)
        return [
            DayOut(**msgspec.structs.asdict(d))
            for d in await admin_queries.calendar_days(first=first, last=last)
        ]

    @put(
        "/{day:str}",
        summary="Override one day (a typhoon day off, a local holiday)",
        opt=ADMIN_ONLY,
    )
    async def set_day(
        self, actor: NamedDependency[Actor], day: FromPath[CalendarDate], data: JSONBody[DayIn]
    ) -> DayOut:
        async with transaction():
            before = await _day(day)
            await calendar.set_calendar_day(day=day, is_workday=data.is_workday, note=data.note)
            after = await _day(day)
            await record(
                actor=actor,
                action="calendar.set",
                target_kind="calendar_day",
                target_id=day.isoformat(),
                before=before,
                after=after,
            )
        return DayOut(**msgspec.structs.asdict(after))

    @delete("/{day:str}", summary="Drop an override: the national calendar applies", opt=ADMIN_ONLY)
    async def clear_day(self, actor: NamedDependency[Actor], day: FromPath[CalendarDate]) -> None:
        async with transaction():
            before = await _day(day)
            await calendar.clear_calendar_day(day=day)
            if before.overridden:
                await record(
                    actor=actor,
                    action="calendar.clear",
                    target_kind="calendar_day",
                    target_id=day.isoformat(),
                    before=before,
                    after=await _day(day),
                )
