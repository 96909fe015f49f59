"""Periodic work of the cases package, run by the in-process worker or `cityops worker`."""

from __future__ import annotations

from cases.paging import repage_unacknowledged
from cases.sla import check_sla
from core.db import transaction


async def sla_tick() -> dict[str, int]:
    async with transaction():
        counts = await check_sla()
    async with transaction():
        counts["repaged"] = await repage_unacknowledged()
    return counts
