"""/workbench/stats: the statistics and the evaluation (综合评价) of the actor's scope, as
tables and server-drawn SVG bar charts beside them, with CSV exports. The numbers are the
API's (api.admin.stats.stats_page, api.admin.evaluation.evaluation_page)."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Literal

from litestar import Controller, Request, Response, get
from litestar.di import NamedDependency
from litestar.params import QueryParameter
from litestar.response import Template

from api.admin.evaluation import evaluation_csv, evaluation_csv_name, evaluation_page
from api.admin.stats import GroupBy, stats_csv, stats_csv_name, stats_page
from api.csv_export import csv_response
from api.web.workbench.map_data import day_bounds
from api.web.workbench.templating import chrome, page_headers
from cases import evaluation
from cases.stats import StatsFilter
from core import clock
from core.actors import Actor

Level = Literal["unit", "area", "inspector"]
DEFAULT_DAYS = 30
MAX_DAYS = 366
CHART_ROWS = 20  # bars drawn; the table has every row
BAR_W = 360  # px of the longest bar


def _period(first: dt.date | None, last: dt.date | None) -> tuple[dt.date, dt.date]:
    today = clock.now().astimezone(clock.city_zone()).date()
    last = last or today
    return first or last - dt.timedelta(days=DEFAULT_DAYS - 1), last


def bars(items: list[tuple[str, float | None]], *, percent: bool = False) -> dict[str, Any]:
    """Geometry of a horizontal bar chart (the template draws it): one bar per item."""
    shown = items[:CHART_ROWS]
    top = max((v or 0 for _, v in shown), default=0) or 1
    rows = []
    for index, (label, value) in enumerate(shown):
        width = round((value or 0) / top * BAR_W, 1)
        text = "–" if value is None else (f"{value * 100:.1f}%" if percent else f"{value:g}")
        rows.append({"label": label, "y": 8 + index * 24, "width": width, "text": text})
    return {"rows": rows, "height": 16 + len(rows) * 24, "bar_x": 200, "bar_w": BAR_W}


class StatsPages(Controller):
    path = "/stats"

    async def _pages(
        self,
        actor: Actor,
        first: dt.date | None,
        last: dt.date | None,
        group_by: str,
        level: str,
    ) -> tuple[dt.date, dt.date, Any, Any]:
        first, last = _period(first, last)
        since, until = day_bounds(first, last, max_days=MAX_DAYS)
        lang = actor.locale
        stats = await stats_page(
            actor, since=since, until=until, group_by=group_by, filters=StatsFilter(), lang=lang
        )
        ranking = None
        if until - since <= evaluation.MAX_RANGE:
            ranking = await evaluation_page(
                actor, since=since, until=until, level=level, area_kind="district", lang=lang
            )
        return first, last, stats, ranking

    @get("/", name="wb.stats")
    async def page(
        self,
        request: Request,
        actor: NamedDependency[Actor],
        first: Annotated[dt.date | None, QueryParameter(name="from")] = None,
        last: Annotated[dt.date | None, QueryParameter(name="to")] = None,
        group_by: Annotated[GroupBy, QueryParameter(name="groupBy")] = "unit",
        level: Annotated[Level, QueryParameter(name="level")] = "unit",
    ) -> Template:
        first, last, stats, ranking = await self._pages(actor, first, last, group_by, level)
        query = f"from={first}&to={last}&groupBy={group_by}&level={level}"
        context = await chrome(request, actor, active="stats")
        context.update(
            first=first.isoformat(),
            last=last.isoformat(),
            group_by=group_by,
            level=level,
            group_choices=("unit", "grid", "category", "source", "day", "inspector"),
            level_choices=("unit", "area", "inspector"),
            stats=stats,
            ranking=ranking,
            reported_chart=bars([(r.label or "–", r.reported) for r in stats.rows]),
            closure_chart=bars(
                [(r.label or "–", r.closure_rate) for r in stats.rows], percent=True
            ),
            score_chart=bars([(r.name, r.score) for r in ranking.rows]) if ranking else None,
            query=query,
        )
        return Template(
            template_name="workbench/stats.html",
            context=context,
            headers=page_headers(context["lang"]),
        )

    @get("/stats.csv", name="wb.stats.csv")
    async def stats_export(
        self,
        actor: NamedDependency[Actor],
        first: Annotated[dt.date | None, QueryParameter(name="from")] = None,
        last: Annotated[dt.date | None, QueryParameter(name="to")] = None,
        group_by: Annotated[GroupBy, QueryParameter(name="groupBy")] = "unit",
        level: Annotated[Level, QueryParameter(name="level")] = "unit",
    ) -> Response:
        _, _, stats, _ = await self._pages(actor, first, last, group_by, level)
        return csv_response(stats_csv(stats), filename=stats_csv_name(stats))

    @get("/evaluation.csv", name="wb.stats.evaluation_csv")
    async def evaluation_export(
        self,
        actor: NamedDependency[Actor],
        first: Annotated[dt.date | None, QueryParameter(name="from")] = None,
        last: Annotated[dt.date | None, QueryParameter(name="to")] = None,
        level: Annotated[Level, QueryParameter(name="level")] = "unit",
    ) -> Response:
        first, last = _period(first, last)
        since, until = day_bounds(first, last, max_days=MAX_DAYS)
        page = await evaluation_page(
            actor, since=since, until=until, level=level, area_kind="district", lang=actor.locale
        )
        return csv_response(evaluation_csv(page), filename=evaluation_csv_name(page))
