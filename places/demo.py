"""Demo places and signposts for `cityops demo`: a few thousand service points and a few
hundred QR signposts around Qingdao's 市南区 (36.06 N, 120.385 E). Deterministic; a second
run changes nothing."""

from __future__ import annotations

import json
import math
import random

from core import clock
from core.db import transaction
from places import index as nearby_index
from places.importer import _COLUMNS, insert_rows
from places.kinds import seed_kinds
from places.tables import Place

CENTER = (36.06, 120.385)
SOURCE = "demo"
ROADS = [
    "香港中路",
    "东海西路",
    "南京路",
    "山东路",
    "延安三路",
    "燕儿岛路",
    "福州南路",
    "漳州路",
    "澳门路",
    "宁夏路",
    "太平路",
    "湛山路",
    "中山路",
    "正阳关路",
    "文登路",
    "莱阳路",
]
PLAN = [  # kind, count, names, hours, attributes
    (
        "toilet",
        1400,
        ["公厕", "环卫公厕", "移动公厕"],
        ["24/7", "06:00-22:00", "05:30-23:00"],
        lambda r: {"accessible": r.random() < 0.6, "baby_care": r.random() < 0.3, "free": True},
    ),
    (
        "parking",
        900,
        ["停车场", "路内停车", "地下停车库"],
        ["24/7", "07:00-22:00"],
        lambda r: (
            lambda total: {
                "total_spaces": total,
                "free_spaces": r.randrange(total + 1),
                "fee": r.choice(["首小时5元", "3元/时", "免费"]),
                "accessible": r.random() < 0.5,
            }
        )(r.randrange(20, 400)),
    ),
    (
        "park",
        250,
        ["公园", "街心公园", "口袋公园"],
        ["05:00-22:00", "24/7"],
        lambda r: {
            "facilities": r.sample(["健身器材", "儿童游乐", "公厕", "步道", "篮球场"], 2),
            "free": True,
        },
    ),
    (
        "police_kiosk",
        200,
        ["治安岗亭", "警务工作站"],
        ["24/7"],
        lambda r: {"accessible": r.random() < 0.3},
    ),
    (
        "car_wash",
        250,
        ["洗车点", "自助洗车"],
        ["08:00-20:00", "Mo-Sa 08:00-19:00"],
        lambda r: {"fee": r.choice(["25元/次", "自助 1元/分钟"])},
    ),
]
SIGNPOSTS = 300


def _point(rng: random.Random) -> tuple[float, float]:
    # Denser towards the centre: a normal spread of ~1.5 km, clipped to ~6 km.
    north, east = (max(-6000, min(6000, rng.gauss(0, 1500))) for _ in range(2))
    lat = CENTER[0] + north / 111_195
    return lat, CENTER[1] + east / (111_195 * math.cos(math.radians(lat)))


async def load_places_demo() -> str:
    from qr import service as signposts

    if await Place.exists().where(Place.source == SOURCE):
        return "demo places already loaded"
    rng = random.Random(5)
    now = clock.now()
    async with transaction():
        await seed_kinds()
        revision = await nearby_index.bump()
        rows = []
        for kind, count, names, hours, attributes in PLAN:
            for i in range(count):
                lat, lon = _point(rng)
                road = rng.choice(ROADS)
                name = f"{road}{rng.choice(names)}" + (f"{i % 7 + 1}号" if i % 3 else "")
                rows.append(
                    (
                        kind,
                        name,
                        f"市南区{road}{rng.randrange(1, 300)}号",
                        lat,
                        lon,
                        f"0532-8{rng.randrange(1000000, 9999999)}",
                        rng.choice(hours),
                        json.dumps(attributes(rng), ensure_ascii=False),
                        "open",
                        "[]",
                        SOURCE,
                        revision,
                        False,
                        now,
                        now,
                        None,  # no parking feed bound
                    )
                )
        await insert_rows("place", _COLUMNS, rows)
        for i in range(SIGNPOSTS):
            lat, lon = _point(rng)
            road, cross = rng.sample(ROADS, 2)
            await signposts.create_signpost(
                name=f"{road}与{cross}交叉口" if i % 5 else f"{road}公园{rng.choice('东南西北')}门",
                lat=lat,
                lon=lon,
                kind="intersection" if i % 5 else "park_gate",
            )
    return f"demo places: {len(rows)} places, {SIGNPOSTS} signposts around 市南区"
