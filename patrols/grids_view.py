"""An inspector's grids: shapes for the map and today's patrol duties on them."""

from __future__ import annotations

from typing import Any

import msgspec

from core.actors import Actor
from org import grids
from patrols import duties
from patrols.service import grid_shapes
from patrols.tables import PatrolDuty


class MyGrid(msgspec.Struct, frozen=True, kw_only=True):
    info: grids.GridInfo
    shape: Any  # shapely geometry, WGS-84
    duties: list[PatrolDuty]


async def my_grids(*, actor: Actor) -> list[MyGrid]:
    grid_ids = await grids.inspector_grid_ids(staff_id=actor.id)
    shapes = await grid_shapes(grid_ids)
    since, until = duties.today()
    today = await duties.duties_between(staff_id=actor.id, since=since, until=until)
    return [
        MyGrid(info=info, shape=shape, duties=[d for d in today if d.grid_id == info.id])
        for info, shape in sorted(shapes.values(), key=lambda pair: pair[0].code)
    ]
