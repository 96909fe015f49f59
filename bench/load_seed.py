"""The data of bench/load.py: upload photos, the seeded citizens, inspectors and cases on
top of the `cityops demo` city, and the run's data for bench/load.lua."""

from __future__ import annotations

import argparse
import json
import random
from pathlib import Path

# User actions and their weights; "upload" is a new report: a photo, then the report.
MIX = [("nearby", 50), ("signpost", 20), ("reports", 10), ("inbox", 10), ("upload", 5)]
MIX += [("tasks", 5)]
CATEGORIES = ["E0102", "C0118", "E0505", "E0504", "C0301", "E0502"]
TEXTS = [
    "人行道旁堆放生活垃圾无人清运",
    "路灯夜间不亮",
    "机动车占用人行道停放",
    "商户占道经营摆放桌椅",
    "公厕洗手池龙头损坏漏水",
    "绿化带内有建筑垃圾",
]

# --- photos -----------------------------------------------------------------------------------


def make_photo(seed: int, size: tuple[int, int]) -> bytes:
    """A street-scene stand-in: shapes of random colours plus sensor-like noise, so that
    photos differ in their perceptual hash and do not compress to nothing."""
    import io

    from PIL import Image, ImageDraw

    rng = random.Random(seed)
    image = Image.new("RGB", size, tuple(rng.randrange(256) for _ in range(3)))
    draw = ImageDraw.Draw(image)
    w, h = size
    for _ in range(40):
        x, y = rng.randrange(w), rng.randrange(h)
        box = [x, y, x + rng.randrange(w // 20, w // 3), y + rng.randrange(h // 20, h // 3)]
        colour = tuple(rng.randrange(256) for _ in range(3))
        (draw.ellipse if rng.random() < 0.5 else draw.rectangle)(box, fill=colour)
    image = Image.blend(image, Image.effect_noise(size, 30).convert("RGB"), 0.15)
    out = io.BytesIO()
    image.save(out, "JPEG", quality=85)
    return out.getvalue()


# --- data -------------------------------------------------------------------------------------


async def seed(args: argparse.Namespace, rng: random.Random) -> dict:
    """Citizens, inspectors and cases on top of the demo city; the Lua data of the run."""
    from piccolo.apps.user.tables import BaseUser

    from accounts.passwords import hash_new_password
    from accounts.service import create_staff
    from accounts.tables import Citizen, Staff
    from accounts.tokens import issue_access_token
    from core import clock, db
    from core.actors import Actor
    from core.ids import public_id
    from core.settings import get_settings
    from media import service as media
    from notify.fanout import fan_out
    from org import grids

    settings = get_settings()
    BaseUser._pbkdf2_iteration_count = settings.password_iterations
    await db.open_pool(settings)
    try:
        demo = {
            s.role: Actor(kind="staff", id=s.id, role=s.role)
            for s in await Staff.objects().where(Staff.role.is_in(["operator", "inspector"]))
        }
        leaves = await db.raw(
            "SELECT code, (min_lat + max_lat) / 2 AS lat, (min_lon + max_lon) / 2 AS lon "
            "FROM grid g WHERE NOT EXISTS (SELECT 1 FROM grid c WHERE c.parent = g.id) "
            "ORDER BY code"
        )
        inspectors = []
        async with db.transaction():
            for i in range(args.inspectors):
                staff = await create_staff(
                    username=f"bench-inspector-{i}",
                    password_hash=await hash_new_password("bench-password-1"),
                    role="inspector",
                )
                grid = leaves[i % len(leaves)]
                await grids.assign_inspector(grid_code=grid["code"], staff_id=staff.id)
                inspectors.append((staff.public_id, grid["lat"], grid["lon"]))
        now = clock.now()
        rows = [
            Citizen(
                public_id=public_id("c"),
                phone=f"+86139{i:08d}",
                nickname=f"市民{i}",
                created_at=now,
                last_seen_at=now,
            )
            for i in range(args.citizens)
        ]
        for start in range(0, len(rows), 500):
            await Citizen.insert(*rows[start : start + 500])
        seeded = (
            await Citizen.select(Citizen.id, Citizen.public_id)
            .where(Citizen.phone.like("+86139%"))
            .order_by(Citizen.id)
        )
        citizen_ids = [r["id"] for r in seeded]
        # Content-addressed files: decode a few photos once, one media row per report.
        prepared = [
            await media.prepare_upload(
                actor=demo["operator"],
                filename="seed.jpg",
                content_type="image/jpeg",
                data=make_photo(1000 + i, (800, 600)),
            )
            for i in range(8)
        ]
        for index in range(args.cases):
            # A few citizens report often (a Pareto tail), the others now and then.
            reporter = citizen_ids[min(int(rng.paretovariate(1.2)) - 1, len(citizen_ids) - 1)]
            if rng.random() < 0.7:
                reporter = rng.choice(citizen_ids)
            await _seed_case(
                rng,
                Actor(kind="citizen", id=reporter, role="citizen"),
                demo,
                prepared[index % len(prepared)],
            )
        while await fan_out(channels=set(), settings=settings, batch=500):
            pass
        counts = await db.raw(
            "SELECT (SELECT count(*) FROM case_file) AS cases, "
            "(SELECT count(*) FROM inbox_message) AS inbox, "
            "(SELECT count(*) FROM place) AS places, "
            "(SELECT count(*) FROM signpost) AS signposts"
        )
        codes = [r["code"] for r in await db.raw("SELECT code FROM signpost ORDER BY id")]
    finally:
        await db.close_pool()

    def bearer(subject: str, role: str, audience: str) -> str:
        return "Bearer " + issue_access_token(subject=subject, role=role, audience=audience)[0]

    return {
        "counts": {**counts[0], "citizens": len(citizen_ids)},
        "citizens": [
            {
                "auth": bearer(row["public_id"], "citizen", "citizen"),
                "ip": f"10.{1 + i // 65536}.{i // 256 % 256}.{i % 256}",
            }
            for i, row in enumerate(seeded)
        ],
        "inspectors": [
            {
                "auth": bearer(sid, "inspector", "staff"),
                "path": f"/api/inspector/tasks?lat={lat:.6f}&lon={lon:.6f}"
                if n % 2
                else "/api/inspector/tasks",
            }
            for n, (sid, lat, lon) in enumerate(inspectors)
        ],
        "signposts": codes,
    }


async def _seed_case(rng: random.Random, reporter, demo: dict, prepared) -> None:
    """One report through the real services, then on to a random point of the workflow."""
    from cases import command, handling
    from cases.access import load_case
    from cases.reporting import NewCase, file_citizen_report
    from core import db
    from media import service as media

    fate = rng.choices(["reported", "dispatched", "resolved", "closed"], [25, 35, 15, 25])[0]
    async with db.transaction():
        photo = await media.record_upload(actor=reporter, prepared=prepared)
        case = await file_citizen_report(
            actor=reporter,
            report=NewCase(
                category_code=rng.choice(CATEGORIES),
                lat=36.0555 + rng.random() * 0.014,
                lon=120.3705 + rng.random() * 0.029,
                description=rng.choice(TEXTS),
                media_ids=[photo.id],
            ),
        )
        if fate == "reported":
            return
        if case.state == "reported":
            case = await command.accept(actor=demo["operator"], case_id=case.public_id)
        if fate == "dispatched" or case.state != "dispatched":
            return
        case = await handling.resolve(actor=demo["operator"], case=case, note="已处理完毕")
        if fate == "closed":
            await handling.check(
                actor=demo["inspector"], case=await load_case(case.public_id), passed=True
            )


def lua_data(seeded: dict, photos: list[Path], rng: random.Random) -> str:
    """The run's data as a Lua chunk (strings as JSON literals: valid Lua for this text)."""

    def s(value: str) -> str:
        return json.dumps(value, ensure_ascii=False)

    def table(items) -> str:
        return "{" + ", ".join(items) + "}"

    nearby = []
    for _ in range(2000):
        lat = 36.06 + max(-6000, min(6000, rng.gauss(0, 1500))) / 111_195
        lon = 120.385 + max(-6000, min(6000, rng.gauss(0, 1500))) / 90_000
        kinds = rng.choice(["toilet", "toilet", "parking", "park", "toilet,parking"])
        radius = rng.choice([1000, 1000, 2000])
        nearby.append(
            f"/api/citizen/places/nearby?kinds={kinds}&lat={lat:.6f}&lon={lon:.6f}"
            f"&radius={radius}&limit=20"
        )
    reports = []
    for i in range(200):
        body = json.dumps(
            {
                "category": CATEGORIES[i % len(CATEGORIES)],
                "location": {
                    "lat": round(36.0555 + rng.random() * 0.014, 6),
                    "lon": round(120.3705 + rng.random() * 0.029, 6),
                },
                "mediaIds": ["@"],
                "description": TEXTS[i % len(TEXTS)],
                "address": "",
            },
            ensure_ascii=False,
        )
        head, tail = body.split('"@"')
        reports.append(table([s(head + '"'), s('"' + tail)]))
    citizens = [f"{{auth = {s(c['auth'])}, ip = {s(c['ip'])}}}" for c in seeded["citizens"]]
    inspectors = [f"{{auth = {s(i['auth'])}, path = {s(i['path'])}}}" for i in seeded["inspectors"]]
    return (
        "return {\n"
        + ",\n".join(
            [
                f"mix = {table(table([s(r), str(w)]) for r, w in MIX)}",
                f"citizens = {table(citizens)}",
                f"inspectors = {table(inspectors)}",
                f"signposts = {table(s(c) for c in seeded['signposts'])}",
                f"nearby = {table(s(p) for p in nearby)}",
                f"reports = {table(reports)}",
                f"photos = {table(s(str(p)) for p in photos)}",
            ]
        )
        + "\n}\n"
    )
