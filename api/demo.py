"""Demo data for `cityops demo` and `make run`. Running it twice changes nothing."""

from __future__ import annotations

import datetime as dt
import secrets
from pathlib import Path

from piccolo.apps.user.tables import BaseUser

from accounts.passwords import hash_new_password
from accounts.service import create_staff
from accounts.tables import Citizen, Staff
from cases.demo import load_cases_demo
from cases.demo_queues import load_queue_demo
from core import clock
from core.actors import Actor
from core.db import transaction
from core.ids import public_id
from core.settings import get_settings
from org import duty, units
from org.demo import load_org_demo
from places.demo import load_places_demo

DEMO_STAFF = [
    ("admin", "admin", "演示管理员"),
    ("operator", "operator", "市指挥中心值班员"),
    ("inspector", "inspector", "网格员张伟"),
    ("handler", "handler", "市政处置员李娜"),
    ("district_op", "operator", "市南区指挥中心值班员"),
    ("street_op", "operator", "八大关街道工作站值班员"),
    ("supervisor", "supervisor", "市南区督办科长"),
    ("squad", "handler", "八大关执法队员王刚"),
]
# Where each demo staff member works (org demo codes), and who is on the duty roster.
DEMO_PLACES = {
    "operator": "370200-C",
    "district_op": "370202-C",
    "street_op": "370202001-C",
    "supervisor": "370202-C",
    "handler": "370202-HW",
    "squad": "370202001-ZF",
}
ON_DUTY = ("operator", "district_op", "street_op", "handler", "squad")
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


async def _place_staff(staff: dict[str, Staff]) -> None:
    """Each demo account in its unit, the duty ones on the roster for the coming week."""
    now = clock.now()
    for username, code in DEMO_PLACES.items():
        unit = await units.get_unit_by_code(code=code)
        await Staff.update({Staff.org_unit_id: unit.id}).where(Staff.id == staff[username].id)
        if username in ON_DUTY and not await duty.on_duty(unit_id=unit.id):
            await duty.create_shift(
                unit_id=unit.id,
                staff_id=staff[username].id,
                starts_at=now,
                ends_at=now + dt.timedelta(days=7),
            )


def _actor(staff: Staff) -> Actor:
    return Actor(kind="staff", id=staff.id, role=staff.role)


async def _demo_city() -> tuple[str, int]:
    """The org demo (grids, units, rules, centres), staff placed in it, cases in every
    state and cases that fill the command centres' queues."""
    staff = {
        s.user.username: s
        for s in await Staff.objects(Staff.user).where(
            Staff.user.username.is_in([username for username, _, _ in DEMO_STAFF])
        )
    }
    summary = await load_org_demo(inspector_staff_ids=[staff["inspector"].id])
    await _place_staff(staff)
    citizens = [
        Actor(kind="citizen", id=c.id, role="citizen")
        for c in await Citizen.objects().where(
            Citizen.phone.is_in([phone for phone, _ in DEMO_CITIZENS])
        )
    ]
    cases = await load_cases_demo(
        citizens=citizens,
        operator=_actor(staff["operator"]),
        inspector=_actor(staff["inspector"]),
        points=DEMO_POINTS,
    )
    cases += await load_queue_demo(
        citizen=citizens[0],
        squad=_actor(staff["squad"]),
        supervisor=_actor(staff["supervisor"]),
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
