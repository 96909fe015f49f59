"""Demo cases in every state of the workflow, filed and moved through the real services."""

from __future__ import annotations

import io
import random

from PIL import Image, ImageDraw

from cases import command, feedback, handling
from cases.access import load_case
from cases.reporting import NewCase, file_citizen_report, file_staff_report
from cases.tables import Case
from core.actors import Actor
from media import service as media

# (category, description, where the story ends)
STORIES = [
    ("E0102", "人行道旁堆放生活垃圾无人清运", "reported"),
    ("E0502", "地铁口有人长期乞讨", "dispatched"),
    ("C0301", "公厕洗手池龙头损坏漏水", "accepted"),
    ("E0102", "绿化带内有建筑垃圾", "resolved"),
    ("C0118", "路灯夜间不亮", "closed"),
    ("E0505", "机动车占用人行道停放", "rejected"),
    ("E0102", "同一处垃圾堆放（重复上报）", "merged"),
    ("E0504", "商户占道经营摆放桌椅", "suspended"),
]


def _photo(seed: int) -> bytes:
    rng = random.Random(seed)
    image = Image.new("RGB", (800, 600), (rng.randrange(256), rng.randrange(256), 120))
    draw = ImageDraw.Draw(image)
    for _ in range(20):
        x, y = rng.randrange(800), rng.randrange(600)
        draw.ellipse(
            [x, y, x + rng.randrange(20, 160), y + rng.randrange(20, 160)],
            fill=(rng.randrange(256), rng.randrange(256), rng.randrange(256)),
        )
    out = io.BytesIO()
    image.save(out, "JPEG", quality=80)
    return out.getvalue()


async def photo_id(actor: Actor, seed: int) -> str:
    upload = await media.upload(
        actor=actor, filename="demo.jpg", content_type="image/jpeg", data=_photo(seed)
    )
    return upload.id


async def _advance(
    case: Case, end: str, operator: Actor, inspector: Actor, first: Case | None
) -> None:
    if end == "rejected":
        await command.reject(
            actor=operator, case_id=case.public_id, reason="属于交警管理范围，已转交"
        )
        return
    if end == "merged" and first is not None:
        await command.merge(actor=operator, case_id=case.public_id, into_case_id=first.public_id)
        return
    if case.state == "reported" and end != "reported":
        case = await command.accept(
            actor=operator, case_id=case.public_id, auto_dispatch=end != "accepted"
        )
    if end == "suspended":
        await command.suspend(actor=operator, case_id=case.public_id, reason="纳入街区整治计划")
    if end in ("resolved", "closed"):
        case = await handling.resolve(actor=operator, case=case, note="已处理完毕")
    if end == "closed":
        await handling.check(actor=inspector, case=await load_case(case.public_id), passed=True)


async def load_cases_demo(
    *, citizens: list[Actor], operator: Actor, inspector: Actor, points: list[tuple[float, float]]
) -> int:
    """File the stories once; a second run finds them and does nothing."""
    if await Case.exists().where(Case.description == STORIES[0][1]):
        return 0
    first = None
    for index, (category, text, end) in enumerate(STORIES):
        reporter = citizens[index % len(citizens)]
        lat, lon = points[index % len(points)]
        report = NewCase(
            category_code=category,
            lat=lat,
            lon=lon,
            description=text,
            media_ids=[await photo_id(reporter, index)],
        )
        case = await file_citizen_report(actor=reporter, report=report)
        first = first or case
        await _advance(case, end, operator, inspector, first if case.id != first.id else None)
    patrol = NewCase(
        category_code="C0101",
        lat=points[0][0],
        lon=points[0][1],
        description="巡查发现上水井盖破损",
        media_ids=[await photo_id(inspector, 99)],
    )
    await file_staff_report(actor=inspector, report=patrol)
    closed = await Case.objects().where(Case.state == "closed").first()
    if closed is not None:
        await feedback.rate(
            actor=citizens[4 % len(citizens)],
            case_id=closed.public_id,
            score=5,
            comment="处理很及时",
        )
    return len(STORIES) + 1
