"""立案条件 and 结案条件 (filing and closing conditions) of the common national categories, in
the manner of the 部件/事件 立结案标准 that GB/T 30428.2 asks each city to write down: what
the inspector must see for a report to become a case, and what must be true on site for
it to be closed. Categories not listed here show the generic text (org.stages). The seed
writes these and the default stage limits into a subcategory's columns (``stage_defaults``),
and into older rows only where they are empty (``fill_stage_defaults``).

Each entry: (立案条件, filing conditions, 结案条件, closing conditions).
"""

from __future__ import annotations

from org import stages
from org.categories import forget_cached_categories
from org.tables import Category

_COVER = (
    "井盖丢失、破损、移位或错位，井盖与井座或路面高差超过 2 厘米，或行人车辆经过时响动。",
    "The cover is missing, broken, displaced or misaligned, sits more than 2 cm above or "
    "below its frame or the road, or rattles when people or vehicles pass.",
    "井盖已补齐或更换，复位平稳无响动，与路面高差不超过 2 厘米，周边路面恢复完好。",
    "The cover is replaced or reset, sits firm and silent within 2 cm of the road surface, "
    "and the road around it is made good.",
)
_LIGHT = (
    "灯具不亮、白天亮灯、闪烁，灯杆倾斜、锈蚀或破损，灯罩、检修门缺失。",
    "The light is out, lit by day or flickering; the pole leans, is rusted or damaged; the "
    "shade or the access door is missing.",
    "照明恢复正常（夜间亮、白天灭），灯杆扶正，破损部件修复或更换，检修门关闭上锁。",
    "Lighting works again (on at night, off by day), the pole stands upright, damaged "
    "parts are repaired or replaced and the access door is closed and locked.",
)
_SIGN = (
    "标志牌、指示牌缺失、破损、倾斜、污损或被遮挡，内容错误或无法辨认。",
    "The sign is missing, damaged, leaning, soiled or hidden, or its content is wrong or "
    "illegible.",
    "标志牌已补设、修复或扶正，牌面清洁、内容正确、无遮挡。",
    "The sign is put back, repaired or straightened; its face is clean, correct and in view.",
)
_FACILITY = (
    "设施破损、缺失、倾斜、松动或存在安全隐患，影响使用或市容。",
    "The facility is damaged, missing, leaning or loose, or dangerous, and cannot be used "
    "or spoils the street.",
    "设施已修复、更换或拆除并清理现场，恢复正常使用，无安全隐患。",
    "The facility is repaired, replaced or removed and the site cleared; it is usable and "
    "safe again.",
)
_RUBBISH = (
    "公共区域内有暴露或堆积的垃圾、渣土，面积超过 0.5 平方米或存在时间超过 2 小时。",
    "Rubbish or muck lies exposed or piled in a public place, over 0.5 m² or for more than "
    "two hours.",
    "垃圾渣土已清运，现场无残留、无污水，地面清洁。",
    "The rubbish or muck is carried away; nothing and no dirty water is left and the ground "
    "is clean.",
)
_PARKING = (
    "车辆停放在禁停区域、人行道、盲道或消防通道，或未按规定停放影响通行。",
    "Vehicles stand where parking is forbidden, on the pavement, a tactile path or a fire "
    "lane, or otherwise obstruct the way.",
    "车辆已驶离、挪移或依法处理，现场通行恢复正常。",
    "The vehicles have left, been moved or been dealt with by law; the way is clear again.",
)
_VENDING = (
    "在道路、广场等公共区域或店铺门外摆摊设点、占道经营。",
    "Goods are sold from stalls in the street, on squares or outside the shop, on public space.",
    "占道经营已劝离或依法处理，现场无摊点、无遗留物品，地面清洁。",
    "The trading has been moved on or dealt with by law; no stall or leftovers remain and "
    "the ground is clean.",
)
_PIPE = (
    "管道破裂、泄漏，路面冒水、冒气或有异味，危及通行或安全。",
    "A pipe has burst or leaks; water or gas comes up through the road or smells, "
    "endangering traffic or safety.",
    "管道已抢修止漏，路面恢复，现场警示设施撤除，无积水、无异味。",
    "The pipe is repaired and tight, the road restored, the warning signs removed; no "
    "standing water or smell is left.",
)

CONDITIONS: dict[str, tuple[str, str, str, str]] = {
    **{
        f"C01{minor}": _COVER
        for minor in ("01", "02", "03", "05", "06", "07", "08", "09", "10", "11", "12", "14")
    },
    "C0104": (
        "雨水箅子丢失、破损、移位或被堵塞，影响排水或通行安全。",
        "The grate is missing, broken, displaced or blocked, so water cannot drain or people "
        "and wheels are at risk.",
        "雨水箅子已补齐、更换或复位，安放平稳，排水通畅。",
        "The grate is replaced or reset, sits firm, and water drains freely.",
    ),
    "C0117": _LIGHT,
    "C0118": _LIGHT,
    "C0119": _LIGHT,
    "C0120": _LIGHT,
    "C0126": _FACILITY,
    "C0203": _FACILITY,
    "C0209": _SIGN,
    "C0210": (
        "信号灯不亮、常亮、闪烁异常、灯色错误，或灯杆倾斜、灯具破损。",
        "The signal is dark, stuck, flashing wrongly or shows the wrong colour, or its pole "
        "leans or its heads are damaged.",
        "信号灯恢复正常运行，配时正确，灯杆灯具完好。",
        "The signal runs normally with the right timing; its pole and heads are sound.",
    ),
    "C0211": _FACILITY,
    "C0212": _FACILITY,
    "C0213": _SIGN,
    "C0301": (
        "公共厕所设施损坏、脏乱、异味明显、缺少保洁，或未按公示时间开放。",
        "The public toilet's fittings are broken, it is dirty or smells, is not cleaned, or "
        "is closed in its posted hours.",
        "设施已修复，保洁到位、无明显异味，按公示时间正常开放。",
        "The fittings are repaired, the toilet is clean and fresh and open in its posted hours.",
    ),
    "C0305": (
        "垃圾箱破损、缺失、满溢、周边散落垃圾或未按时清运。",
        "The litter bin is damaged, missing or overflowing, rubbish lies around it, or it "
        "was not emptied on time.",
        "垃圾箱已修复、补设或清运，箱体完好，周边地面清洁。",
        "The bin is repaired, replaced or emptied; it is sound and the ground around it clean.",
    ),
    "C0307": (
        "广告牌匾破损、残缺、字体缺损、松动脱落或存在坠落隐患。",
        "The billboard or shop sign is damaged, incomplete, missing letters, loose, or at "
        "risk of falling.",
        "牌匾已修复或依法拆除，安装牢固，无安全隐患。",
        "The sign is repaired or lawfully removed; what remains is fixed firmly and safe.",
    ),
    "C0402": (
        "行道树死亡、缺株、倒伏、倾斜，枝条断裂或遮挡交通标志、影响通行。",
        "A street tree is dead, missing, fallen or leaning, has broken branches, or hides "
        "traffic signs or blocks the way.",
        "已补植、扶正或修剪，断枝清理完毕，通行与视线恢复正常。",
        "The tree is replanted, straightened or pruned; broken branches are cleared and the "
        "way and sight lines are open.",
    ),
    "C0405": (
        "绿地被踩踏、侵占、毁坏，黄土裸露或植物成片枯死。",
        "Green space is trampled, occupied or destroyed, has bare soil, or plants have died "
        "in patches.",
        "绿地已恢复，补植到位，无裸露黄土，侵占物已清除。",
        "The green space is restored and replanted; no bare soil or encroachment remains.",
    ),
    "C0407": _FACILITY,
    "E0101": (
        "未经批准在公共区域、屋顶、院落或建筑外立面搭建建筑物、构筑物或其他设施。",
        "A building, structure or other installation is put up without approval in public "
        "space, on a roof, in a yard or on a facade.",
        "违法建设已拆除并清理现场，或经主管部门确认已依法补办手续。",
        "The unlawful structure is demolished and the site cleared, or the authority confirms "
        "it has been lawfully permitted since.",
    ),
    "E0102": _RUBBISH,
    "E0103": _RUBBISH,
    "E0104": (
        "道路、人行道有明显垃圾、污渍、油渍、泥土或积存污物，未及时保洁。",
        "The road or pavement shows litter, stains, oil, mud or dirt left uncleaned.",
        "路面已清扫冲洗干净，无明显污渍和杂物。",
        "The road is swept and washed; no visible stains or litter remain.",
    ),
    "E0107": (
        "车辆长期停放在公共区域，破损、积尘、缺少号牌或明显无人使用。",
        "A vehicle has stood in public space for long, damaged, dusty, without plates or "
        "clearly unused.",
        "车辆已由车主挪走或依法拖移，现场清理干净。",
        "The owner has moved it or it was lawfully towed; the place is cleared.",
    ),
    "E0108": _RUBBISH,
    "E0110": (
        "路面坑槽、沉陷、拥包、裂缝或井周破损，面积超过 0.1 平方米或深度超过 3 厘米。",
        "The road has potholes, sags, bumps, cracks or broken edges around a cover, over "
        "0.1 m² or deeper than 3 cm.",
        "路面已修补平整，与周边路面衔接顺平，现场施工围挡和材料已清理。",
        "The road is patched level and flush with its surroundings; barriers and materials "
        "are cleared away.",
    ),
    "E0112": (
        "运输车辆沿途遗撒渣土、砂石、垃圾或液体，污染路面。",
        "Muck, sand, rubbish or liquid has dropped from vehicles along the road.",
        "遗撒物已清除，路面冲洗干净；可查明车辆的已移交处理。",
        "The spillage is removed and the road washed; the vehicle, where known, is referred "
        "for penalty.",
    ),
    "E0115": (
        "在公共区域露天焚烧树叶、垃圾、秸秆或其他废弃物。",
        "Leaves, rubbish, straw or other waste are burnt in the open in a public place.",
        "明火已扑灭，焚烧残留物已清理，现场无烟无异味。",
        "The fire is out, the remains are cleared, and no smoke or smell is left.",
    ),
    "E0201": (
        "在建筑物、构筑物、公共设施或树木上张贴、涂写、刻画或喷涂小广告。",
        "Small advertisements are posted, written, carved or sprayed on buildings, structures, "
        "public facilities or trees.",
        "小广告已清除干净，无残留纸屑和明显痕迹，必要时已覆盖修复。",
        "The advertisements are removed without scraps or visible traces, painted over where "
        "needed.",
    ),
    "E0203": (
        "在道路、人行道等公共区域摆放广告牌、指示牌，占道影响通行。",
        "Advertising boards or signs stand on the road, pavement or other public space and "
        "obstruct the way.",
        "占道广告牌已撤除，现场通行恢复正常。",
        "The boards are removed and the way is clear again.",
    ),
    "E0302": (
        "施工工地裸土、物料未覆盖，未采取洒水降尘措施，或车辆带泥出场。",
        "A construction site leaves soil or materials uncovered, does not damp down dust, or "
        "lets vehicles carry mud out.",
        "裸土物料已覆盖，降尘和车辆冲洗措施落实，现场无明显扬尘。",
        "Soil and materials are covered, damping and wheel washing are in place, and no dust "
        "rises visibly.",
    ),
    "E0304": (
        "施工超出审批范围占用道路，或未按规定设置围挡、警示标志。",
        "Works occupy more of the road than permitted, or lack the required hoarding and "
        "warning signs.",
        "施工占道已恢复至审批范围，围挡和警示设施规范设置，或道路已恢复通行。",
        "The works keep to the permitted area with proper hoarding and warnings, or the road "
        "is open again.",
    ),
    "E0401": (
        "路面出现塌陷、空洞或明显下沉，危及行人车辆安全。",
        "The road has collapsed, opened a void or sunk visibly, endangering people and vehicles.",
        "塌陷已回填修复，路面平整，现场警示设施撤除并恢复通行。",
        "The collapse is filled and repaired, the road level; warnings are removed and the "
        "road reopened.",
    ),
    "E0402": _PIPE,
    "E0403": _PIPE,
    "E0405": _PIPE,
    "E0404": (
        "下水道、检查井堵塞或破损，污水外溢、积水或散发异味。",
        "A sewer or manhole is blocked or broken; sewage overflows, water stands or it smells.",
        "管道已疏通或修复，排水通畅，无外溢、无积水。",
        "The sewer is cleared or repaired and drains freely; nothing overflows or stands.",
    ),
    "E0406": (
        "道路积水深度超过 15 厘米或影响车辆行人通行。",
        "Water stands more than 15 cm deep on the road or blocks vehicles or people.",
        "积水已排除，道路恢复正常通行，排水设施通畅。",
        "The water is drained, the road is open and the drains run freely.",
    ),
    "E0407": (
        "道路、人行道、桥梁积雪结冰未及时清除，影响通行安全。",
        "Snow or ice on roads, pavements or bridges is not cleared and makes them unsafe.",
        "积雪冰层已清除或已撒布融雪防滑材料，道路通行安全。",
        "The snow and ice are cleared or gritted and the way is safe.",
    ),
    "E0501": _VENDING,
    "E0503": _VENDING,
    "E0504": _VENDING,
    "E0505": _PARKING,
    "E0506": _PARKING,
    "E0507": (
        "在道路、人行道、绿地等公共区域堆放物品、建筑材料，影响通行或市容。",
        "Goods or building materials are piled on roads, pavements, green space or other "
        "public space, blocking the way or spoiling the street.",
        "堆放物已清走，现场清洁，通行恢复正常。",
        "The piles are gone, the place is clean and the way is clear.",
    ),
    "E0510": (
        "在道路、广场等公共区域或店外露天烧烤，产生油烟、占用道路。",
        "Barbecuing in the open on roads, squares or outside the shop, with smoke and fumes, "
        "on public space.",
        "露天烧烤已停止，烧烤设施已撤除，现场无油污、无残留。",
        "The barbecue has stopped and its equipment is removed; no grease or leftovers remain.",
    ),
}


def stage_defaults(code: str, urgent: bool) -> dict[str, object]:
    """The columns a seeded subcategory starts with: its conditions if listed here, and the
    default stage limits."""
    values: dict[str, object] = dict(
        zip(stages.CONDITION_FIELDS, CONDITIONS.get(code, ()), strict=False)
    )
    for stage in stages.OWN_LIMIT_STAGES:
        value, unit = stages.default_limit(stage, urgent=urgent)
        values[f"{stage}_limit_value"], values[f"{stage}_limit_unit"] = value, unit
    return values


async def fill_stage_defaults(urgency: dict[str, bool]) -> int:
    """Seeded rows (code -> urgent) from before stages existed get the defaults where a
    column is still empty; whatever an admin set stays. Returns how many rows changed (none
    on a second run)."""
    columns = stages.CONDITION_FIELDS + stages.LIMIT_FIELDS
    rows = await Category.select(
        Category.code, *(getattr(Category, name) for name in columns)
    ).where(Category.code.is_in(list(urgency)))
    changed = 0
    for row in rows:
        defaults = stage_defaults(row["code"], urgency[row["code"]])
        missing = {
            getattr(Category, name): value
            for name, value in defaults.items()
            if row[name] is None and _pair_unset(row, name)
        }
        if missing:
            await Category.update(missing).where(Category.code == row["code"])
            changed += 1
    if changed:
        forget_cached_categories()
    return changed


def _pair_unset(row: dict, name: str) -> bool:
    """A stage's value and unit are filled together or not at all."""
    if name.endswith("_limit_value") or name.endswith("_limit_unit"):
        stage = name.split("_limit_")[0]
        return row[f"{stage}_limit_value"] is None and row[f"{stage}_limit_unit"] is None
    return True
