"""Statistics for the command centre (综合评价): JSON or CSV for export, over the cases in the
caller's scope (a district centre's numbers are its district's); a filter outside the scope
is a 404."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal

import msgspec
from litestar import Controller, Response, get
from litestar.di import NamedDependency
from litestar.params import FromQuery, QueryParameter

from api.admin.calendar import InvalidRange
from api.csv_export import csv_bytes, csv_response
from api.params import id_query
from api.types import UtcDateTime
from cases import scope, stats
from core import clock
from core.actors import Actor
from org import admin_queries, grid_admin, units

GroupBy = Literal["unit", "grid", "category", "source", "day", "inspector"]
MAX_DAYS = 400


class StatsOut(msgspec.Struct, frozen=True, rename="camel"):
    key: str | None
    label: str
    reported: int
    accepted: int
    dispatched: int
    resolved: int
    closed: int
    overdue: int
    on_time: int
    due: int
    reworked: int
    rated: int
    satisfied: int
    citizen_reports: int
    citizen_accepted: int
    inspector_reports: int
    closure_rate: float | None
    on_time_rate: float | None
    rework_rate: float | None
    satisfaction_rate: float | None
    missed_report_rate: float | None
    avg_rating: float | None
    seconds_to_accept: float | None
    seconds_to_dispatch: float | None
    seconds_to_resolve: float | None
    seconds_to_close: float | None
    verifications: int | None
    checks: int | None


class StatsPage(msgspec.Struct, frozen=True, rename="camel"):
    since: dt.datetime = msgspec.field(name="from")
    until: dt.datetime = msgspec.field(name="to")
    group_by: str = ""
    rows: list[StatsOut] = []
    totals: StatsOut | None = None


async def _labels(group_by: str, locale: str) -> dict[str, str]:
    if group_by == "unit":
        return {str(u.id): u.name(locale) for u in await units.list_units(active_only=False)}
    if group_by == "grid":
        return {
            str(g.id): f"{g.code} {g.name}"
            for g in await grid_admin.list_grids(include_inactive=True)
        }
    if group_by == "category":
        return {
            c.code: c.name(locale)
            for c in await admin_queries.list_categories(include_inactive=True)
        }
    return {}


def _out(row: stats.StatsRow, label: str) -> StatsOut:
    values = msgspec.structs.asdict(row)
    del values["timed"]
    return StatsOut(
        label=label,
        closure_rate=row.closure_rate,
        on_time_rate=row.on_time_rate,
        rework_rate=row.rework_rate,
        satisfaction_rate=row.satisfaction_rate,
        missed_report_rate=row.missed_report_rate,
        **values,
    )


async def stats_page(
    actor: Actor,
    *,
    since: dt.datetime,
    until: dt.datetime,
    group_by: str,
    filters: stats.StatsFilter,
    lang: str,
) -> StatsPage:
    """The stats of the actor's scope (GET /api/admin/stats and the workbench's page)."""
    if until <= since or until - since > dt.timedelta(days=MAX_DAYS):
        raise InvalidRange(days=MAX_DAYS)
    counted = {"within": await scope.scope_of(actor), "filters": filters}
    rows = await stats.case_stats(since=since, until=until, group_by=group_by, **counted)
    # Inspector rows cover only inspectors' own reports: the totals are all cases counted.
    totals = stats.totals(
        rows
        if group_by != "inspector"
        else await stats.case_stats(since=since, until=until, group_by="source", **counted)
    )
    labels = await _labels(group_by, lang)
    return StatsPage(
        since=since,
        until=until,
        group_by=group_by,
        rows=[_out(row, labels.get(row.key or "", row.key or "")) for row in rows],
        totals=_out(totals, "total") if totals else None,
    )


def stats_csv_name(page: StatsPage) -> str:
    return f"stats-{page.group_by}-{page.since.date()}-{page.until.date()}.csv"


def stats_csv(page: StatsPage) -> bytes:
    columns = [f.encode_name for f in msgspec.structs.fields(StatsOut)]
    rows = [*page.rows, *([page.totals] if page.totals else [])]
    return csv_bytes(columns, (msgspec.to_builtins(row).values() for row in rows))


class AdminStatsController(Controller):
    path = "/stats"
    tags = ["command centre"]

    @get(
        "/",
        summary="Measures of the cases in my scope reported in [from, to), grouped; "
        "format=csv for export",
    )
    async def case_stats(
        self,
        actor: NamedDependency[Actor],
        since: Annotated[UtcDateTime, QueryParameter(name="from")],
        until: Annotated[UtcDateTime, QueryParameter(name="to")],
        group_by: Annotated[GroupBy, QueryParameter(name="groupBy")] = "unit",
        district_id: Annotated[int | None, id_query("districtId")] = None,
        street_id: Annotated[int | None, id_query("streetId")] = None,
        unit_id: Annotated[int | None, id_query("unitId")] = None,
        grid_id: Annotated[int | None, id_query("gridId")] = None,
        format: FromQuery[Literal["json", "csv"]] = "json",  # noqa: A002 - the query name
        lang: FromQuery[Literal["zh-CN", "en"]] = "zh-CN",
    ) -> Response:
        since, until = clock.as_utc(since), clock.as_utc(until)
        filters = stats.StatsFilter(
            district_id=district_id, street_id=street_id, unit_id=unit_id, grid_id=grid_id
        )
        page = await stats_page(
            actor, since=since, until=until, group_by=group_by, filters=filters, lang=lang
        )
        if format == "csv":
            return csv_response(stats_csv(page), filename=stats_csv_name(page))
        return Response(page)
