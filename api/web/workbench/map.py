"""/workbench/map: open cases by SLA light, grids and area outlines, service points, a heat
map of reports and (supervisors, admins) patrol tracks with replay. The page carries only
settings and URLs; the layers come from map_data's JSON routes, already in the tiles'
coordinate system. A table of the same cases sits beside the map."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from typing import Annotated

from litestar import Controller, Request, get
from litestar.di import NamedDependency
from litestar.params import QueryParameter
from litestar.response import Template

from api.web.workbench.map_data import (
    MAX_CASES,
    SUPERVISORS,
    day_bounds,
    patrol_out,
    patrol_staff,
    tile_sys,
)
from api.web.workbench.templating import chrome, page_headers
from cases import scope, stats
from core import clock
from core.actors import Actor
from core.map_tiles import tile_config
from core.settings import get_settings
from patrols import supervision

LIGHTS = ("red", "yellow", "green", "none")
# The shape beside each light's word (as the queue shows them), and on the markers.
SHAPES = {"green": "●", "yellow": "▲", "red": "■", "none": "○"}
TABLE_ROWS = 100


class MapPage(Controller):
    path = "/map"

    @get("/", name="wb.map")
    async def page(
        self,
        request: Request,
        actor: NamedDependency[Actor],
        day: Annotated[dt.date | None, QueryParameter(name="day")] = None,
    ) -> Template:
        within = await scope.scope_of(actor)
        points = await stats.open_case_points(within=within, limit=MAX_CASES + 1)
        counts = Counter(p.light for p in points[:MAX_CASES])
        today = clock.now().astimezone(clock.city_zone()).date()
        day = day or today
        patrols = None
        if actor.role in SUPERVISORS:
            since, until = day_bounds(day, day)
            found = await supervision.patrols_of(
                staff_ids=await patrol_staff(actor), since=since, until=until
            )
            patrols = [patrol_out(p) for p in found]
        context = await chrome(request, actor, active="map")
        context.update(
            tiles=tile_config(get_settings()),
            coord_sys=tile_sys(),
            rows=points[:TABLE_ROWS],
            total=min(len(points), MAX_CASES),
            truncated=len(points) > MAX_CASES,
            limit=MAX_CASES,
            shapes=SHAPES,
            counts=[(light, counts.get(light, 0)) for light in LIGHTS],
            patrols=patrols,
            day=day.isoformat(),
            heat_from=(today - dt.timedelta(days=30)).isoformat(),
            heat_to=today.isoformat(),
            zone=clock.city_zone(),
        )
        return Template(
            template_name="workbench/map.html",
            context=context,
            headers=page_headers(context["lang"]),
        )
