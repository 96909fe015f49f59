"""A demo city in Qingdao's shape: the city and its operations centre, 市南区 with three streets
of two communities each, twelve unit grids around May Fourth Square, handling units and
dispatch rules. Idempotent: everything is looked up by its code first, so a second run
creates nothing and leaves the grids' version stamp alone."""

from __future__ import annotations

from collections.abc import Sequence
from contextlib import nullcontext

import shapely
from shapely.geometry import Polygon
from shapely.ops import unary_union

from core.db import in_transaction, transaction
from org import dispatch, grids, units
from org.categories_seed import seed_categories
from org.tables import DispatchRule, Grid

DISTRICT_CODE = "370202"
CITY_CENTRE, DISTRICT_CENTRE, STREET_CENTRE = "370200-C", "370202-C", "370202001-C"
# South to north; each street is one row of four unit grids, two per community.
STREETS = [
    (
        "八大关街道",
        "Badaguan Subdistrict",
        [("太平角社区", "Taipingjiao Community"), ("汇泉社区", "Huiquan Community")],
    ),
    (
        "香港中路街道",
        "Xianggang Middle Road Subdistrict",
        [
            ("五四广场社区", "May Fourth Square Community"),
            ("燕儿岛社区", "Yan'er Island Community"),
        ],
    ),
    (
        "江苏路街道",
        "Jiangsu Road Subdistrict",
        [("信号山社区", "Signal Hill Community"), ("观象山社区", "Guanxiang Hill Community")],
    ),
]
# A lattice of 5 x 4 vertices (WGS-84) nudged so the grids look surveyed, not ruled. Cells
# share their vertices, so neighbouring grids share their edges exactly.
_LON0, _LON_STEP, _LAT0, _LAT_STEP = 120.370, 0.0075, 36.055, 0.005
_NUDGE = [(0.0004, -0.0003), (-0.0006, 0.0002), (0.0003, 0.0005), (-0.0002, -0.0004)]

WORK_UNITS = {
    # code: (kind, parent code, zh, en)
    "370200-C": (
        "centre",
        "370200",
        "青岛市城市运行管理服务中心",
        "Qingdao City Operations Centre",
    ),
    "370200-CG": ("department", "370200", "青岛市城市管理局", "Qingdao City Administration Bureau"),
    "370200-GAS": ("work_unit", "370200-CG", "青岛能源燃气公司", "Qingdao Energy Gas Company"),
    "370200-WATER": ("work_unit", "370200-CG", "海润自来水集团", "Hairun Water Supply Group"),
    "370200-DRAIN": ("work_unit", "370200-CG", "市排水管理处", "City Drainage Office"),
    "370202-C": (
        "centre",
        DISTRICT_CODE,
        "市南区城市运行管理服务中心",
        "Shinan District Operations Centre",
    ),
    "370202-SZ": (
        "work_unit",
        DISTRICT_CODE,
        "市南区市政工程处",
        "Shinan Municipal Engineering Office",
    ),
    "370202-HW": ("work_unit", DISTRICT_CODE, "市南区环卫所", "Shinan Sanitation Station"),
    "370202-YL": (
        "work_unit",
        DISTRICT_CODE,
        "市南区园林绿化所",
        "Shinan Parks and Greenery Office",
    ),
}
# (category scope, area kind, unit code); "street" rules are made per street below.
RULES = [
    ("E0403", "any", "370200-GAS"),
    ("C0111", "any", "370200-GAS"),
    ("E0402", "any", "370200-WATER"),
    ("C0101", "any", "370200-WATER"),
    ("E0406", "any", "370200-DRAIN"),
    ("E0404", "any", "370200-DRAIN"),
    ("C0102", "any", "370200-DRAIN"),
    ("C0103", "any", "370200-DRAIN"),
    ("C0104", "any", "370200-DRAIN"),
    ("C01", "district", "370202-SZ"),
    ("C02", "district", "370202-SZ"),
    ("E01", "district", "370202-HW"),
    ("C03", "district", "370202-HW"),
    ("C04", "any", "370202-YL"),
]


def _vertex(i: int, j: int) -> tuple[float, float]:
    d_lon, d_lat = _NUDGE[(i * 3 + j) % len(_NUDGE)]
    return _LON0 + i * _LON_STEP + d_lon, _LAT0 + j * _LAT_STEP + d_lat


def _cell(i: int, j: int) -> Polygon:
    return Polygon([_vertex(i, j), _vertex(i + 1, j), _vertex(i + 1, j + 1), _vertex(i, j + 1)])


class _Created:
    def __init__(self) -> None:
        self.units = self.grids = self.rules = 0


async def _unit(
    made: _Created, *, kind: str, code: str, zh: str, en: str, parent: str | None
) -> int:
    if (found := await units.get_unit_by_code(code=code)) is not None:
        return found.id
    parent_id = None if parent is None else (await units.get_unit_by_code(code=parent)).id
    made.units += 1
    return (
        await units.create_org_unit(
            kind=kind, code=code, name_zh=zh, name_en=en, parent_id=parent_id
        )
    ).id


async def _grid(
    made: _Created,
    *,
    code: str,
    name: str,
    shape: Polygon,
    parent: str | None,
    unit_id: int | None,
    area_id: int | None,
) -> None:
    if await Grid.exists().where(Grid.code == code):
        return
    made.grids += 1
    await grids.create_grid(
        code=code,
        name=name,
        polygon=shapely.to_geojson(shape),
        parent_code=parent,
        unit_id=unit_id,
        area_id=area_id,
    )


async def _rule(
    made: _Created, *, category: str, area_kind: str, area_id: int | None, unit_id: int
) -> None:
    slot = dispatch.rule_slot(category, area_kind, area_id)
    if await DispatchRule.exists().where(DispatchRule.slot == slot):
        return
    made.rules += 1
    await dispatch.create_dispatch_rule(
        category_code=category, area_kind=area_kind, area_id=area_id, unit_id=unit_id
    )


async def _streets(made: _Created, district_id: int) -> list[tuple[int, list[str]]]:
    """Streets, communities and grids; returns (street id, unit grid codes) per street."""
    all_cells = [_cell(i, j) for j in range(len(STREETS)) for i in range(4)]
    await _grid(
        made,
        code=DISTRICT_CODE,
        name="市南区",
        shape=unary_union(all_cells),
        parent=None,
        unit_id=district_id,
        area_id=district_id,
    )
    placed = []
    for j, (street_zh, street_en, communities) in enumerate(STREETS):
        street_code = f"{DISTRICT_CODE}{j + 1:03d}"
        street_id = await _unit(
            made, kind="street", code=street_code, zh=street_zh, en=street_en, parent=DISTRICT_CODE
        )
        await _unit(
            made,
            kind="work_unit",
            code=f"{street_code}-ZF",
            zh=f"{street_zh}城管执法中队",
            en=f"{street_en} Enforcement Squad",
            parent=street_code,
        )
        await _grid(
            made,
            code=street_code,
            name=street_zh,
            shape=unary_union([_cell(i, j) for i in range(4)]),
            parent=DISTRICT_CODE,
            unit_id=street_id,
            area_id=street_id,
        )
        codes = []
        for c, (community_zh, community_en) in enumerate(communities):
            community_code = f"{street_code}{c + 1:03d}"
            community_id = await _unit(
                made,
                kind="community",
                code=community_code,
                zh=community_zh,
                en=community_en,
                parent=street_code,
            )
            cells = [_cell(2 * c + k, j) for k in range(2)]
            await _grid(
                made,
                code=community_code,
                name=community_zh,
                shape=unary_union(cells),
                parent=street_code,
                unit_id=street_id,
                area_id=community_id,
            )
            for k, cell in enumerate(cells):
                code = f"{community_code}{k + 1:03d}"
                await _grid(
                    made,
                    code=code,
                    name=f"{community_zh}第{k + 1}网格",
                    shape=cell,
                    parent=community_code,
                    unit_id=street_id,
                    area_id=community_id,
                )
                codes.append(code)
        placed.append((street_id, codes))
    return placed


async def _load(inspector_staff_ids: Sequence[int]) -> str:
    seeded = await seed_categories()
    made = _Created()
    await _unit(made, kind="city", code="370200", zh="青岛市", en="Qingdao", parent=None)
    district_id = await _unit(
        made,
        kind="district",
        code=DISTRICT_CODE,
        zh="市南区",
        en="Shinan District",
        parent="370200",
    )
    for code, (kind, parent, zh, en) in WORK_UNITS.items():
        await _unit(made, kind=kind, code=code, zh=zh, en=en, parent=parent)
    placed = await _streets(made, district_id)
    for category, area_kind, unit_code in RULES:
        unit_id = (await units.get_unit_by_code(code=unit_code)).id
        await _rule(
            made,
            category=category,
            area_kind=area_kind,
            area_id=district_id if area_kind == "district" else None,
            unit_id=unit_id,
        )
    # 八大关街道's street station: a command centre at street level.
    await _unit(
        made,
        kind="centre",
        code=STREET_CENTRE,
        zh="八大关街道城市运行管理工作站",
        en="Badaguan Street Operations Station",
        parent=f"{DISTRICT_CODE}001",
    )
    for street_id, _ in placed:
        street = await units.get_unit(unit_id=street_id)
        squad = await units.get_unit_by_code(code=f"{street.code}-ZF")
        await _rule(made, category="E05", area_kind="street", area_id=street_id, unit_id=squad.id)
    grid_codes = [code for _, codes in placed for code in codes]
    for index, code in enumerate(grid_codes):
        if inspector_staff_ids:
            staff_id = inspector_staff_ids[index % len(inspector_staff_ids)]
            await grids.assign_inspector(grid_code=code, staff_id=staff_id)
    return (
        f"org demo: {seeded} categories, {made.units} units, {made.grids} grids, "
        f"{made.rules} dispatch rules created"
    )


async def load_org_demo(*, inspector_staff_ids: Sequence[int] = ()) -> str:
    """Load the demo organisation; inspectors (staff ids from accounts) share the unit grids.
    Runs in the caller's transaction if there is one."""
    async with nullcontext() if in_transaction() else transaction():
        return await _load(inspector_staff_ids)


async def seed_org_categories() -> int:
    """The national category tree alone (idempotent), in its own transaction if needed."""
    async with nullcontext() if in_transaction() else transaction():
        return await seed_categories()
