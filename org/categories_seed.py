"""The national 部件/事件 code tree (CJ/T 214-2007, carried into GB/T 30428.2): major classes
(大类) and their subcategories (小类), with a default priority, whether the fix needs an
on-site check (核查) and a time limit for each.

Stored codes are type-prefixed (C = 部件 component, E = 事件 event) because both lists reuse
the same numbers. Note that in the national event list 道路积水 (waterlogged road) is 0406
under 突发事件 (emergencies); 0111 is 河堤破损.

Time limits follow common city practice: emergencies and missing manhole covers in clock
hours ("hours": they do not wait for Monday), everything else in working hours or days.
Priority: 1 urgent (特急), 2 high (紧急), 3 normal (一般), 4 low (较缓).

Each subcategory also gets the limits of its accept, dispatch and verify stages (org.stages'
defaults: urgent ones in minutes on the clock) and, for the common ones, its filing and
closing conditions (org.categories_conditions). An older database gets them where its rows
have none yet (never over an admin's edit).

Private location (``private``): the few events whose report points at a person or at
someone's home rather than at public property: 私搭乱建 (mostly extensions of homes),
私自饲养家禽家畜 (kept at home), 流浪乞讨 (where a person sleeps or begs), 沿街晾挂 (a
household's laundry) and 空调室外机低挂 (a flat's air conditioner). Their public position
is coarsened (cases.visibility), so an Open311 map does not lead neighbours to the door.
"""

from __future__ import annotations

from typing import NamedTuple

from core import clock
from core.db import raw
from org.categories_conditions import fill_stage_defaults, stage_defaults
from org.points_defaults import default_points
from org.sla import policy_slot
from org.tables import Category


class Seed(NamedTuple):
    minor: str
    zh: str
    en: str
    priority: int = 3
    sla: tuple[int, str] = (3, "working_days")
    urgent: bool = False
    verify: bool = True
    # The report points at a person or a home: the public sees its position coarsened.
    private: bool = False


H = "hours"
WH = "working_hours"
WD = "working_days"
# Missing or broken manhole covers swallow people and wheels: urgent, 2 clock hours.
COVER = {"priority": 1, "sla": (2, H), "urgent": True}

COMPONENTS: dict[str, tuple[str, str, list[Seed]]] = {
    "01": (
        "公用设施",
        "Public facilities",
        [
            Seed("01", "上水井盖", "Water supply manhole cover", **COVER),
            Seed("02", "污水井盖", "Sewage manhole cover", **COVER),
            Seed("03", "雨水井盖", "Storm drain manhole cover", **COVER),
            Seed("04", "雨水箅子", "Storm drain grate", 2, (4, WH)),
            Seed("05", "电力井盖", "Power manhole cover", **COVER),
            Seed("06", "路灯井盖", "Street light manhole cover", **COVER),
            Seed("07", "通讯井盖", "Telecom manhole cover", **COVER),
            Seed("08", "电视井盖", "Cable TV manhole cover", **COVER),
            Seed("09", "网络井盖", "Network manhole cover", **COVER),
            Seed("10", "热力井盖", "District heating manhole cover", **COVER),
            Seed("11", "燃气井盖", "Gas manhole cover", **COVER),
            Seed("12", "公安井盖", "Police manhole cover", **COVER),
            Seed("13", "消防设施", "Fire-fighting facility", 2, (8, WH)),
            Seed("14", "无主井盖", "Ownerless manhole cover", **COVER),
            Seed("15", "通讯交接箱", "Telecom cross-connect cabinet", 3, (3, WD)),
            Seed("16", "电力设施", "Power equipment", 2, (8, WH)),
            Seed("17", "立杆", "Utility pole", 3, (2, WD)),
            Seed("18", "路灯", "Street light", 3, (2, WD)),
            Seed("19", "地灯", "In-ground light", 4, (3, WD)),
            Seed("20", "景观灯", "Decorative light", 4, (3, WD)),
            Seed("21", "报刊亭", "Newsstand", 4, (5, WD)),
            Seed("22", "电话亭", "Telephone booth", 4, (5, WD)),
            Seed("23", "邮筒", "Post box", 4, (5, WD)),
            Seed("24", "信息亭", "Information kiosk", 4, (5, WD)),
            Seed("25", "自动售货机", "Vending machine", 4, (5, WD)),
            Seed("26", "健身设施", "Fitness equipment", 3, (3, WD)),
        ],
    ),
    "02": (
        "道路交通",
        "Roads and traffic",
        [
            Seed("01", "停车场", "Car park", 4, (5, WD)),
            Seed("02", "停车咪表", "Parking meter", 4, (3, WD)),
            Seed("03", "公交站亭", "Bus shelter", 3, (3, WD)),
            Seed("04", "出租车站牌", "Taxi stand sign", 4, (3, WD)),
            Seed("05", "过街天桥", "Pedestrian overpass", 2, (1, WD)),
            Seed("06", "地下通道", "Pedestrian underpass", 3, (2, WD)),
            Seed("07", "高架立交桥", "Flyover", 2, (1, WD)),
            Seed("08", "跨河桥", "River bridge", 2, (1, WD)),
            Seed("09", "交通标志牌", "Traffic sign", 3, (2, WD)),
            Seed("10", "交通信号灯", "Traffic light", 2, (4, WH)),
            Seed("11", "交通护栏", "Traffic barrier", 3, (2, WD)),
            Seed("12", "存车支架", "Bicycle rack", 4, (5, WD)),
            Seed("13", "路名牌", "Street name sign", 4, (5, WD)),
            Seed("14", "交通信号设施", "Traffic signal equipment", 2, (8, WH)),
            Seed("15", "道路信息显示屏", "Road information display", 4, (5, WD)),
            Seed("16", "道路隔音屏", "Noise barrier", 4, (5, WD)),
            Seed("17", "交通岗亭", "Traffic police booth", 4, (5, WD)),
        ],
    ),
    "03": (
        "市容环境",
        "City appearance and environment",
        [
            Seed("01", "公共厕所", "Public toilet", 3, (1, WD)),
            Seed("02", "化粪池", "Septic tank", 2, (8, WH)),
            Seed("03", "公厕指示牌", "Public toilet sign", 4, (5, WD)),
            Seed("04", "垃圾间（楼）", "Refuse collection room", 3, (1, WD)),
            Seed("05", "垃圾箱", "Litter bin", 3, (1, WD)),
            Seed("06", "灯箱霓虹灯", "Light box or neon sign", 4, (3, WD)),
            Seed("07", "广告牌匾", "Billboard or shop sign", 3, (3, WD)),
            Seed("08", "环保监测站", "Environmental monitoring station", 4, (5, WD)),
            Seed("09", "气象监测站", "Weather station", 4, (5, WD)),
            Seed("10", "污水口监测站", "Sewage outfall monitoring station", 4, (5, WD)),
            Seed("11", "噪声显示屏", "Noise level display", 4, (5, WD)),
        ],
    ),
    "04": (
        "园林绿化",
        "Parks and greenery",
        [
            Seed("01", "古树名木", "Heritage tree", 2, (1, WD)),
            Seed("02", "行道树", "Street tree", 3, (2, WD)),
            Seed("03", "护树设施", "Tree guard", 4, (3, WD)),
            Seed("04", "花架花钵", "Flower stand or planter", 4, (3, WD)),
            Seed("05", "绿地", "Green space", 3, (3, WD)),
            Seed("06", "雕塑", "Sculpture", 4, (5, WD)),
            Seed("07", "街头坐椅", "Street bench", 4, (3, WD)),
            Seed("08", "绿地护栏", "Green space fence", 4, (3, WD)),
            Seed("09", "绿地维护设施", "Green space maintenance facility", 4, (5, WD)),
            Seed("10", "喷泉", "Fountain", 4, (5, WD)),
        ],
    ),
    "05": (
        "房屋土地",
        "Buildings and land",
        [
            Seed("01", "宣传栏", "Notice board", 4, (5, WD)),
            Seed("02", "人防工事", "Civil air defence works", 3, (5, WD)),
            Seed("03", "公房地下室", "Public housing basement", 3, (5, WD)),
        ],
    ),
    "06": (
        "其他设施",
        "Other facilities",
        [
            Seed("01", "重大危险源", "Major hazard installation", 1, (2, H), urgent=True),
            Seed("02", "工地", "Construction site", 3, (3, WD)),
            Seed("03", "水域附属设施", "Waterside facility", 3, (3, WD)),
            Seed("04", "水域护栏", "Waterside railing", 2, (1, WD)),
            Seed("05", "港监设施", "Harbour supervision facility", 4, (5, WD)),
            Seed("06", "防汛墙", "Flood wall", 2, (1, WD)),
        ],
    ),
}

EVENTS: dict[str, tuple[str, str, list[Seed]]] = {
    "01": (
        "市容环境",
        "City appearance and environment",
        [
            Seed("01", "私搭乱建", "Illegal structure", 3, (5, WD), private=True),
            Seed("02", "暴露垃圾", "Exposed rubbish", 3, (4, WH)),
            Seed("03", "积存垃圾渣土", "Accumulated rubbish or muck", 3, (1, WD)),
            Seed("04", "道路不洁", "Dirty road", 3, (4, WH)),
            Seed("05", "水域不洁", "Dirty water surface", 3, (1, WD)),
            Seed("06", "绿地脏乱", "Littered green space", 3, (1, WD)),
            Seed("07", "废弃车辆", "Abandoned vehicle", 4, (5, WD)),
            Seed("08", "废弃家具设备", "Discarded furniture or appliances", 3, (1, WD)),
            Seed("09", "非装饰性树挂", "Non-decorative items hung in trees", 4, (1, WD)),
            Seed("10", "道路破损", "Damaged road surface", 2, (1, WD)),
            Seed("11", "河堤破损", "Damaged river embankment", 2, (2, WD)),
            Seed("12", "道路遗撒", "Spillage on the road", 2, (4, WH)),
            Seed("13", "建筑物外立面不洁", "Dirty building facade", 4, (5, WD)),
            Seed("14", "水域秩序问题", "Disorder on the water", 3, (1, WD)),
            Seed("15", "焚烧树叶垃圾", "Burning leaves or rubbish", 2, (2, WH)),
            Seed("16", "油烟污染", "Cooking fume pollution", 3, (3, WD)),
            Seed("17", "动物尸体清理", "Animal carcass", 2, (4, WH)),
            Seed(
                "18",
                "私自饲养家禽家畜",
                "Poultry or livestock kept in town",
                4,
                (5, WD),
                private=True,
            ),
        ],
    ),
    "02": (
        "宣传广告",
        "Publicity and advertising",
        [
            Seed("01", "非法小广告", "Illegal small advertisements", 3, (1, WD)),
            Seed("02", "违章张贴悬挂广告牌匾", "Illegally posted or hung advertising", 3, (3, WD)),
            Seed("03", "占道广告牌", "Advertising board on the roadway", 3, (1, WD)),
            Seed("04", "街头散发广告", "Leafleting in the street", 3, (4, WH), verify=False),
            Seed("05", "广告招牌破损", "Damaged advertising sign", 2, (1, WD)),
        ],
    ),
    "03": (
        "施工管理",
        "Construction",
        [
            Seed("01", "施工扰民", "Construction disturbing residents", 2, (4, WH), verify=False),
            Seed("02", "工地扬尘", "Construction site dust", 2, (4, WH)),
            Seed("03", "施工废弃料", "Construction waste", 3, (1, WD)),
            Seed("04", "施工占道", "Construction occupying the road", 3, (1, WD)),
            Seed("05", "无证掘路", "Unlicensed road excavation", 2, (4, WH)),
        ],
    ),
    "04": (
        "突发事件",
        "Emergencies",
        [
            Seed("01", "路面塌陷", "Road collapse", 1, (1, H), urgent=True),
            Seed("02", "自来水管破裂", "Burst water main", 1, (1, H), urgent=True),
            Seed("03", "燃气管道破裂", "Gas pipe rupture", 1, (1, H), urgent=True),
            Seed("04", "下水道堵塞或破损", "Blocked or broken sewer", 2, (4, WH)),
            Seed("05", "热力管道破裂", "Burst heating pipe", 1, (1, H), urgent=True),
            Seed("06", "道路积水", "Waterlogged road", 1, (2, H), urgent=True),
            Seed("07", "道路积雪结冰", "Snow or ice on the road", 2, (4, H)),
            Seed("08", "架空线缆损坏", "Damaged overhead cable", 1, (2, H), urgent=True),
            Seed("09", "群发性事件", "Mass incident", 1, (1, H), urgent=True, verify=False),
        ],
    ),
    "05": (
        "街面秩序",
        "Street order",
        [
            Seed("01", "无照经营游商", "Unlicensed street vending", 3, (2, WH)),
            Seed("02", "流浪乞讨", "Vagrancy and begging", 3, (4, WH), verify=False, private=True),
            Seed("03", "占道废品收购", "Scrap collection on the roadway", 3, (4, WH)),
            Seed("04", "店外经营", "Trading outside the shop", 3, (2, WH)),
            Seed("05", "机动车乱停放", "Illegally parked motor vehicle", 3, (2, WH)),
            Seed("06", "非机动车乱停放", "Illegally parked bicycle", 4, (4, WH)),
            Seed("07", "乱堆物堆料", "Materials piled in public space", 3, (1, WD)),
            Seed("08", "商业噪音", "Commercial noise", 3, (4, WH), verify=False),
            Seed("09", "黑车拉客", "Unlicensed taxi touting", 3, (2, WH), verify=False),
            Seed("10", "露天烧烤", "Open-air barbecue", 3, (2, WH)),
            Seed("11", "沿街晾挂", "Laundry hung along the street", 4, (1, WD), private=True),
            Seed("12", "非法出版物销售", "Selling illegal publications", 3, (4, WH)),
            Seed(
                "13",
                "空调室外机低挂",
                "Air conditioner unit mounted too low",
                4,
                (5, WD),
                private=True,
            ),
        ],
    ),
}

TREES = {"component": ("C", COMPONENTS), "event": ("E", EVENTS)}

# Priority-wide limits (no category): a case raised above its category's default priority
# gets at most this long (see org.sla for the order of precedence).
GENERIC_POLICIES: tuple[tuple[int, int, str], ...] = ((1, 2, H), (2, 8, WH))


def _major_row(kind: str, prefix: str, major: str, zh: str, en: str) -> Category:
    return Category(
        code=f"{prefix}{major}",
        kind=kind,
        major=major,
        minor="",
        name_zh=zh,
        name_en=en,
        sort_order=int(major),
        sla_value=0,
        created_at=clock.now(),
        updated_at=clock.now(),
    )


def _leaf_row(kind: str, prefix: str, major: str, parent_id: int, seed: Seed) -> Category:
    return Category(
        code=f"{prefix}{major}{seed.minor}",
        kind=kind,
        major=major,
        minor=seed.minor,
        name_zh=seed.zh,
        name_en=seed.en,
        parent=parent_id,
        default_priority=seed.priority,
        needs_onsite_verification=seed.verify,
        sla_value=seed.sla[0],
        sla_unit=seed.sla[1],
        urgent=seed.urgent,
        private_location=seed.private,
        sort_order=int(seed.minor),
        **default_points(seed.priority, seed.urgent),
        created_at=clock.now(),
        updated_at=clock.now(),
        **stage_defaults(f"{prefix}{major}{seed.minor}", seed.urgent),
    )


async def _existing_codes() -> dict[str, int]:
    return {row["code"]: row["id"] for row in await Category.select(Category.code, Category.id)}


async def seed_categories() -> int:
    """Insert the national codes that are missing; existing rows only get stage defaults
    where they have none (an admin's edits stay). Returns how many rows were added; a second
    run adds none."""
    existing = await _existing_codes()
    majors = [
        _major_row(kind, prefix, major, zh, en)
        for kind, (prefix, tree) in TREES.items()
        for major, (zh, en, _) in tree.items()
        if f"{prefix}{major}" not in existing
    ]
    if majors:
        await Category.insert(*majors)
        existing = await _existing_codes()
    leaves = [
        _leaf_row(kind, prefix, major, existing[f"{prefix}{major}"], seed)
        for kind, (prefix, tree) in TREES.items()
        for major, (_, _, seeds) in tree.items()
        for seed in seeds
        if f"{prefix}{major}{seed.minor}" not in existing
    ]
    if leaves:
        await Category.insert(*leaves)
    await fill_stage_defaults(
        {
            f"{prefix}{major}{seed.minor}": seed.urgent
            for prefix, tree in TREES.values()
            for major, (_, _, leaves) in tree.items()
            for seed in leaves
        }
    )
    for priority, value, unit in GENERIC_POLICIES:
        await raw(
            "INSERT INTO sla_policy (category, priority, limit_value, limit_unit, slot, "
            "updated_at) VALUES (NULL, {}, {}, {}, {}, {}) ON CONFLICT (slot) DO NOTHING",
            priority,
            value,
            unit,
            policy_slot(None, priority),
            clock.now(),
        )
    return len(majors) + len(leaves)


def seed_count() -> int:
    """How many subcategories the seed holds."""
    return sum(len(seeds) for _, tree in TREES.values() for _, _, seeds in tree.values())
