"""/workbench/queue: the command centre's case list, as GET /api/admin/cases gives it (same
filter, same scope, same Struct), with SLA lights in word and shape and keyset paging."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal
from urllib.parse import urlencode

import msgspec
from litestar import Controller, Request, get
from litestar.di import NamedDependency
from litestar.response import Template

from api.case_views import case_staff_page
from api.params import Int32
from api.web.workbench.templating import chrome, is_partial, page_headers
from cases import queries, scope
from cases.reporting import Source
from cases.states import OPEN
from cases.wording import STATE_LABELS
from core import clock
from core.actors import Actor
from core.errors import DomainError
from core.i18n import Msg
from org.categories import category_names

Light = Literal["green", "yellow", "red"]
Short = Annotated[str, msgspec.Meta(max_length=100)]


class QueueQuery(msgspec.Struct, frozen=True, forbid_unknown_fields=True, rename="camel"):
    """The filter form's fields: the API's query names, plus ``q`` (text) and dates."""

    state: Annotated[str, msgspec.Meta(max_length=16)] | None = None
    light: Light | None = None
    category: Annotated[str, msgspec.Meta(max_length=8)] | None = None
    unit_id: Int32 | None = None
    grid_id: Int32 | None = None
    source: Source | None = None
    reported_from: dt.date | None = None
    reported_to: dt.date | None = None
    q: Short | None = None
    cursor: Annotated[str, msgspec.Meta(max_length=200)] | None = None

    def case_filter(self) -> queries.CaseFilter:
        zone = clock.city_zone()

        def start(day: dt.date | None) -> dt.datetime | None:
            return None if day is None else dt.datetime.combine(day, dt.time(), zone)

        return queries.CaseFilter(
            state=self.state,
            category=self.category,
            grid_id=self.grid_id,
            unit_id=self.unit_id,
            source=self.source,
            light=self.light,
            reported_from=start(self.reported_from),
            # "to" a day includes that day
            reported_to=start(
                self.reported_to + dt.timedelta(days=1) if self.reported_to else None
            ),
            text=self.q.strip() if self.q and self.q.strip() else None,
        )


class BadFilter(DomainError):
    code = "workbench.bad_filter"
    status = 422
    title = Msg(zh="筛选条件无效", en="Invalid filter")
    message = Msg(zh="筛选条件无效：{where}", en="Invalid filter: {where}")


def parse_query(request: Request) -> QueueQuery:
    raw = {k: v for k, v in request.query_params.items() if v != ""}
    try:
        return msgspec.convert(raw, QueueQuery, strict=False)
    except msgspec.ValidationError as exc:
        raise BadFilter(where=str(exc)) from None


def query_string(query: QueueQuery, **override: object) -> str:
    values = {**msgspec.structs.asdict(query), **override}
    wire = {
        "unit_id": "unitId",
        "grid_id": "gridId",
        "reported_from": "reportedFrom",
        "reported_to": "reportedTo",
    }
    return urlencode({wire.get(k, k): v for k, v in values.items() if v not in (None, "")})


QUEUE_LIMIT = 50


async def queue_view(actor: Actor, query: QueueQuery) -> dict:
    """The rows of one page of the queue, rendered from the API's Struct."""
    page = await queries.list_cases(
        filters=query.case_filter(),
        cursor=query.cursor,
        limit=QUEUE_LIMIT,
        within=await scope.scope_of(actor),
    )
    view = await case_staff_page(page, "wgs84")
    return {
        "rows": view.items,
        "categories": await category_names([r.category_code for r in view.items], actor.locale),
        "next_url": f"/workbench/queue?{query_string(query, cursor=view.next_cursor)}"
        if view.next_cursor
        else None,
        "first_url": f"/workbench/queue?{query_string(query, cursor=None)}"
        if query.cursor
        else None,
        "filter_qs": query_string(query, cursor=None),
    }


def filter_options(locale: str) -> dict:
    return {
        "states": [(s, STATE_LABELS[s].render(locale)) for s in STATE_LABELS],
        "open_states": sorted(OPEN),
        "sources": list(Source.__args__),
        "lights": ["green", "yellow", "red"],
    }


class QueuePages(Controller):
    path = "/queue"

    @get("/", name="wb.queue", opt={"supervisors": True})
    async def queue(self, request: Request, actor: NamedDependency[Actor]) -> Template:
        query = parse_query(request)
        view = await queue_view(actor, query)
        context = {"query": query, **view, "options": filter_options(actor.locale)}
        if is_partial(request):
            name = "workbench/partials/_queue_rows.html"
            context["lang"] = actor.locale
        else:
            name = "workbench/queue.html"
            context.update(await chrome(request, actor, active="queue"))
        return Template(template_name=name, context=context, headers=page_headers(actor.locale))
