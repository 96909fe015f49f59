"""Demo data for `cityops demo` and `make run`. Running it twice changes nothing."""

from __future__ import annotations

import secrets
from pathlib import Path

from piccolo.apps.user.tables import BaseUser

from accounts.passwords import hash_new_password
from accounts.service import create_staff
from accounts.tables import Citizen, Staff
from cases.demo import load_cases_demo
from core import clock
from core.actors import Actor
from core.db import transaction
from core.ids import public_id
from core.settings import get_settings
from org import units
from org.demo import load_org_demo
from places.demo import load_places_demo

DEMO_STAFF = [
    ("admin", "admin", "演示管理员"),
    ("operator", "operator", "指挥中心值班员"),
    ("inspector", "inspector", "网格员张伟"),
    ("handler", "handler", "市政处置员李娜"),
]
# Inside the demo grids of 市南区 (WGS-84).
DEMO_POINTS = [(36.0572, 120.3738), (36.0605, 120.3810), (36.0640, 120.3885), (36.0665, 120.3935)]
DEMO_CITIZENS = [("+8613800000001", "市民小王"), ("+8613800000002", "市民小李")]


async def _new_demo_staff() -> list[tuple[str, str, str, str, str]]:
    """(username, role, name, password, its hash) of the demo staff not made yet; hashed
    before the demo's transaction, which must not hold the write lock that long."""
    missing = []
    for username, role, name in DEMO_STAFF:
        if not await BaseUser.exists().where(BaseUser.username == username):
            password = secrets.token_urlsafe(9)
            missing.append((username, role, name, password, await hash_new_password(password)))
    return missing


async def _demo_staff(missing: list[tuple[str, str, str, str, str]]) -> list[str]:
    lines = []
    for username, role, name, password, password_hash in missing:
        await create_staff(
            username=username, password_hash=password_hash, role=role, display_name=name
        )
        lines.append(f"{role:<10} username={username:<10} password={password}")
    return lines


async def _demo_citizens() -> int:
    created = 0
    for phone, nickname in DEMO_CITIZENS:
        if not await Citizen.exists().where(Citizen.phone == phone):
            await Citizen.insert(
                Citizen(
                    public_id=public_id("c"),
                    phone=phone,
                    nickname=nickname,
                    created_at=clock.now(),
                    last_seen_at=clock.now(),
                )
            )
            created += 1
    return created


async def _demo_city() -> tuple[str, int]:
    """The org demo (grids, units, rules), staff placed in it, and cases in every state."""
    staff = {
        s.role: s
        for s in await Staff.objects().where(
            Staff.user.username.is_in([username for username, _, _ in DEMO_STAFF])
        )
    }
    summary = await load_org_demo(inspector_staff_ids=[staff["inspector"].id])
    sanitation = await units.get_unit_by_code(code="370202-HW")
    await Staff.update({Staff.org_unit_id: sanitation.id}).where(Staff.id == staff["handler"].id)
    citizens = [
        Actor(kind="citizen", id=c.id, role="citizen")
        for c in await Citizen.objects().where(
            Citizen.phone.is_in([phone for phone, _ in DEMO_CITIZENS])
        )
    ]
    cases = await load_cases_demo(
        citizens=citizens,
        operator=Actor(kind="staff", id=staff["operator"].id, role="operator"),
        inspector=Actor(kind="staff", id=staff["inspector"].id, role="inspector"),
        points=DEMO_POINTS,
    )
    return summary, cases


async def load_demo() -> str:
    BaseUser._pbkdf2_iteration_count = get_settings().password_iterations
    missing = await _new_demo_staff()
    async with transaction():
        staff_lines = await _demo_staff(missing)
        citizens = await _demo_citizens()
        org_summary, cases = await _demo_city()
    report = [
        f"demo data loaded: {len(staff_lines)} staff, {citizens} citizens created",
        org_summary,
        f"{cases} demo cases filed",
    ]
    if staff_lines:
        path = Path(get_settings().var_dir) / "demo-credentials.txt"
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("a") as handle:
            handle.write("\n".join(staff_lines) + "\n")
        report += ["staff accounts (also in var/demo-credentials.txt):", *staff_lines]
    report.append(await load_places_demo())
    return "\n".join(report)
