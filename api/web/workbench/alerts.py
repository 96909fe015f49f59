"""/workbench/alerts: the silent-queue alerts of my centre's scope, most urgent first (as
GET /api/admin/alerts lists them), acknowledged from the page."""

from __future__ import annotations

from typing import Literal

from litestar import Controller, Request, Response, get, post
from litestar.di import NamedDependency
from litestar.params import FromQuery
from litestar.response import Redirect, Template

from api.admin.command_centre import alert_outs
from api.params import IdParam
from api.web.workbench.templating import chrome, is_partial, page_headers
from cases import alerts, scope
from core.actors import Actor
from core.db import transaction

SUPERVISORS = {"supervisors": True}
Status = Literal["open", "unacknowledged", "all"]


async def _page(actor: Actor, status: Status, cursor: str | None) -> dict:
    page = await alerts.list_alerts(
        scope=await scope.scope_of(actor), status=status, cursor=cursor, limit=50
    )
    return {
        "alerts": await alert_outs(page.items),
        "status": status,
        "next_cursor": page.next_cursor,
    }


class AlertPages(Controller):
    path = "/alerts"

    @get("/", name="wb.alerts", opt=SUPERVISORS)
    async def alerts(
        self,
        request: Request,
        actor: NamedDependency[Actor],
        status: FromQuery[Status] = "open",
        cursor: FromQuery[str | None] = None,
    ) -> Template:
        context = await _page(actor, status, cursor)
        if is_partial(request):
            name = "workbench/partials/_alerts.html"
            context["lang"] = actor.locale
        else:
            name = "workbench/alerts.html"
            context.update(await chrome(request, actor, active="alerts"))
        return Template(template_name=name, context=context, headers=page_headers(actor.locale))

    @post("/{alert_id:int}/acknowledge", name="wb.alerts.ack", opt=SUPERVISORS, status_code=200)
    async def acknowledge(
        self, request: Request, actor: NamedDependency[Actor], alert_id: IdParam
    ) -> Response | Template:
        async with transaction():
            await alerts.acknowledge(
                actor=actor, alert_id=alert_id, scope=await scope.scope_of(actor)
            )
        if not is_partial(request):
            return Redirect("/workbench/alerts", status_code=303)
        context = await _page(actor, "open", None)
        context.update(lang=actor.locale, acknowledged=alert_id)
        return Template(
            template_name="workbench/partials/_alerts.html",
            context=context,
            headers=page_headers(actor.locale),
        )
