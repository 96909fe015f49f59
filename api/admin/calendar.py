"""The working calendar: national holidays and make-up days, with the city's overrides."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

import msgspec
from litestar import Controller, Request, delete, get, post, put
from litestar.di import NamedDependency
from litestar.params import FromPath, JSONBody, QueryParameter

from api.admin.audit import ADMIN_ONLY
from api.problems import RowImportProblem, problem_responses
from api.types import CalendarDate
from audit.service import record
from cases.calendar_watch import check_calendar_data
from core.actors import Actor
from core.db import transaction
from core.errors import DomainError
from core.i18n import Msg
from core.inputs import check_json, check_text
from org import admin_queries, calendar, calendar_import

MAX_DAYS = 366
IMPORT_TYPES = ("text/csv", "application/json")


class InvalidRange(DomainError):
    code = "request.invalid_range"
    status = 422
    title = Msg(zh="日期范围无效", en="Invalid date range")
    message = Msg(zh="起止日期须有序且不超过 {days} 天", en="from <= to, at most {days} days")


class UnsupportedImportType(DomainError):
    code = "request.unsupported_media_type"
    status = 415
    title = Msg(zh="不支持的内容类型", en="Unsupported media type")
    message = Msg(
        zh="日历导入须为 text/csv 或 application/json",
        en="A calendar import is text/csv or application/json",
    )


class CalendarImportOut(msgspec.Struct, frozen=True, rename="camel"):
    year: int
    days: int
    created: int
    updated: int
    removed: int
    unchanged: int
    covered_until: dt.date | None


class DayIn(msgspec.Struct, frozen=True, rename="camel", forbid_unknown_fields=True):
    is_workday: bool
    note: Annotated[str, msgspec.Meta(max_length=200)] = ""


class DayOut(msgspec.Struct, frozen=True, rename="camel", omit_defaults=True):
    day: dt.date
    is_workday: bool
    overridden: bool
    note: str
    # Days of a year's import carry the holiday's name and say so.
    name: str = ""
    imported: bool = False


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

    @post(
        "/import",
        status_code=200,
        opt=ADMIN_ONLY,
        # Its 422 lists every bad row.
        responses=problem_responses(415, 422, container=RowImportProblem),
        summary="Import a year's official holiday arrangement (CSV or JSON by Content-Type): "
        "every day a holiday or workday; all or nothing; re-importing changes nothing",
    )
    async def import_year(
        self,
        actor: NamedDependency[Actor],
        request: Request,
        year: Annotated[int, QueryParameter(ge=2000, le=2099)],
    ) -> CalendarImportOut:
        kind = request.headers.get("content-type", "").split(";")[0].strip().lower()
        if kind not in IMPORT_TYPES:
            raise UnsupportedImportType()
        body = await request.body()
        if kind == "application/json":
            check_json(body)
            rows = calendar_import.parse_json(body)
        else:
            check_text(body.decode("utf-8", errors="replace"))
            rows = calendar_import.parse_csv(body)
        days = calendar_import.validate(rows, year=year)
        async with transaction():
            report = await calendar_import.import_year(year=year, days=days, staff_id=actor.id)
            if report.changed:
                await record(
                    actor=actor,
                    action="calendar.import",
                    target_kind="calendar_year",
                    target_id=year,
                    after=report,
                )
            # The alert resolves at once rather than at the next hourly check.
            coverage = await check_calendar_data()
        return CalendarImportOut(
            **msgspec.structs.asdict(report),
            covered_until=None if coverage.missing_years else coverage.last,
        )

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
