"""The demo city (org demo) with staff in the right units, for case tests."""

from __future__ import annotations

from dataclasses import dataclass

from accounts.tables import Staff
from core.db import transaction
from org import units
from org.demo import load_org_demo
from tests.helpers import Api, Session

# E0502 流浪乞讨 needs no on-site verification, so a citizen's report of it is accepted and
# dispatched at once (to the street's enforcement squad); most categories wait for 核实.
AUTO_CATEGORY = "E0502"
# Points inside the demo grids (WGS-84): south-west cell, and one further north-east.
IN_GRID = (36.0572, 120.3738)
IN_GRID_NE = (36.0665, 120.3935)
OUTSIDE = (36.2, 120.9)


@dataclass
class City:
    operator: Session
    inspector: Session
    handler_hw: Session  # 市南区环卫所: sanitation (E01, C03)
    handler_sz: Session  # 市政工程处 (C01, C02)
    handler_gas: Session
    unit_ids: dict[str, int]


async def build_city(api: Api) -> City:
    inspector = await api.staff("inspector")
    async with transaction():
        await load_org_demo(inspector_staff_ids=[inspector.subject_id])
    codes = ["370202-HW", "370202-SZ", "370200-GAS", "370200-WATER", "370200-DRAIN", "370202001-ZF"]
    unit_ids = {code: (await units.get_unit_by_code(code=code)).id for code in codes}
    handlers = {}
    for code in ("370202-HW", "370202-SZ", "370200-GAS"):
        handlers[code] = await api.staff("handler")
        await Staff.update({Staff.org_unit_id: unit_ids[code]}).where(
            Staff.id == handlers[code].subject_id
        )
    return City(
        operator=await api.staff("operator"),
        inspector=inspector,
        handler_hw=handlers["370202-HW"],
        handler_sz=handlers["370202-SZ"],
        handler_gas=handlers["370200-GAS"],
        unit_ids=unit_ids,
    )
