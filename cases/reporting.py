"""New cases: from citizens, inspectors and machines. Each is filed as reported, then moves
on by rule: trusted sources and categories that need no on-site check are accepted at once,
and accepted cases go to the unit the dispatch rules name."""

from __future__ import annotations

import datetime as dt
from collections.abc import Awaitable, Callable
from typing import Literal

import msgspec

from cases import alerts, evidence, routing
from cases.errors import OutsideCity
from cases.tables import Case, CaseMedia
from cases.workflow import REPORTED, notify_reporter_and_followers, record_event
from core import clock
from core.actors import Actor
from core.db import raw_autocommit
from core.ids import public_id
from media import service as media
from org import grids
from org.categories import CategoryInfo, get_category

Source = Literal["citizen", "inspector", "camera", "sensor", "hotline"]
MAX_PHOTOS = 9
# Who is recorded as a case's reporter (and so sees it in full, cases.visibility): a
# machine is the API client that filed it, so an Open311 client can follow its requests.
REPORTER_KINDS = ("citizen", "staff", "machine")
# A citizen's report is never from a trusted source: whether it is verified on site first is
# up to its category (cases.routing.verified_first).
CITIZEN_TRUSTED = False


class NewCase(msgspec.Struct, frozen=True, kw_only=True):
    category_code: str
    lat: float  # WGS-84
    lon: float
    description: str = ""
    address: str = ""
    anonymous: bool = False
    media_ids: list[str] = []
    occurred_at: dt.datetime | None = None
    priority: int | None = None


async def next_number(now: dt.datetime) -> str:
    day = now.astimezone(clock.city_zone()).strftime("%Y%m%d")
    rows = await raw_autocommit(
        "INSERT INTO case_day_counter (day, last) VALUES ({}, 1) "
        "ON CONFLICT (day) DO UPDATE SET last = case_day_counter.last + 1 RETURNING last",
        day,
    )
    return f"{day}-{rows[0]['last']:05d}"


async def _insert_case(
    *,
    report: NewCase,
    category: CategoryInfo,
    source: Source,
    reporter: Actor | None,
    external_key: str | None = None,
) -> Case:
    now = clock.now()
    grid = await grids.locate(lat=report.lat, lon=report.lon)
    case = Case(
        public_id=public_id("k"),
        number=await next_number(now),
        category_code=category.code,
        description=report.description,
        lat=report.lat,
        lon=report.lon,
        address=report.address,
        grid_id=grid.id if grid else None,
        street_id=grid.street_id if grid else None,
        district_id=grid.district_id if grid else None,
        state=REPORTED,
        priority=report.priority or category.default_priority,
        source=source,
        reporter_kind=reporter.kind if reporter and reporter.kind in REPORTER_KINDS else None,
        reporter_id=reporter.id if reporter and reporter.kind in REPORTER_KINDS else None,
        anonymous=report.anonymous,
        external_key=external_key,
        flags=msgspec.json.encode([] if grid else ["unassigned"]).decode(),
        reported_at=now,
        occurred_at=report.occurred_at,
        updated_at=now,
        state_entered_at=now,
    )
    await case.save()
    case._follower_ids = []  # see notify_reporter_and_followers
    case._grid = grid
    case._no_open_alerts = True  # see alerts.resolve_alerts
    return case


async def attach_photos(case: Case, actor: Actor, media_ids: list[str], role: str) -> list[str]:
    """Only the actor's own unused uploads; another person's id is a 404 like an unknown one."""
    claimed = await media.claim_media(actor=actor, media_ids=media_ids, attach_to=f"case:{case.id}")
    for item in claimed:
        await CaseMedia.insert(
            CaseMedia(case=case.id, media_id=item.public_id, role=role, created_at=clock.now())
        )
    return [item.public_id for item in claimed]


async def _file(
    *,
    report: NewCase,
    source: Source,
    actor: Actor,
    trusted: bool,
    photo_role: str = "before",
    external_key: str | None = None,
    review: tuple[str, dict] | None = None,
    ip: str | None = None,
) -> Case:
    """``review``: why the case must wait for a person whatever the rules say (a note and
    its figures, recorded on the case), e.g. a camera detection of low confidence."""
    category = await get_category(code=report.category_code)
    case = await _insert_case(
        report=report, category=category, source=source, reporter=actor, external_key=external_key
    )
    photo_ids = (
        await attach_photos(case, actor, report.media_ids, photo_role) if report.media_ids else []
    )
    await record_event(
        case,
        action="report",
        from_state=None,
        to_state=REPORTED,
        actor=actor,
        media_ids=photo_ids,
        occurred_at=report.occurred_at,
        at=case.reported_at,  # the filing: when the case entered reported
    )
    if source == "citizen":  # before any auto-accept: its award looks at these
        await evidence.check_photos(case, media_ids=photo_ids, report=True)
        for listener in _report_listeners:
            await listener(case, actor, ip)
    await notify_reporter_and_followers(case, "report")
    await _raise_placement_alerts(case, source=source)
    if review is not None:
        await record_event(
            case,
            action="held for review",
            from_state=REPORTED,
            to_state=REPORTED,
            actor=actor,
            note=review[0],
            data=review[1],
        )
        await routing.notify_grid_inspectors(case, "task.verify")
        return case
    await routing.progress_new_case(case, category=category, trusted=trusted)
    return case


async def _raise_placement_alerts(case: Case, *, source: Source) -> None:
    """No silent queue for where a case lies or how loud a machine is: outside the city
    (machines and callers: a person must look), in no unit grid (no inspector has it), a
    machine's level-1 alarm (priority 1)."""
    grid = case._grid
    if grid is None and await grids.city_has_grids():
        await alerts.raise_alert("outside_city", case=case)
    elif grid is not None and not grid.leaf:
        await alerts.raise_alert("outside_grid", case=case, detail={"grid": grid.code})
    if source in ("camera", "sensor") and case.priority == 1:
        await alerts.raise_alert("machine_alarm", case=case, detail={"source": source})


async def check_inside_city(*, lat: float, lon: float) -> None:
    """A citizen's report must lie in the city's area (its grids): the app asks the person to
    check the pin, where a machine's event becomes an alert for a person to look at."""
    if await grids.city_has_grids() and await grids.locate(lat=lat, lon=lon) is None:
        raise OutsideCity()


ReportListener = Callable[[Case, Actor, str | None], Awaitable[None]]
_report_listeners: list[ReportListener] = []


def on_citizen_report(listener: ReportListener) -> ReportListener:
    """Call ``listener(case, actor, client_ip)`` when a citizen files, before the rules may
    accept it (points counts accounts per IP range, to catch farming)."""
    _report_listeners.append(listener)
    return listener


async def file_citizen_report(*, actor: Actor, report: NewCase, ip: str | None = None) -> Case:
    routing.check_photo_count(report.media_ids, low=1, high=MAX_PHOTOS)
    await check_inside_city(lat=report.lat, lon=report.lon)
    return await _file(report=report, source="citizen", actor=actor, trusted=CITIZEN_TRUSTED, ip=ip)


async def file_staff_report(*, actor: Actor, report: NewCase) -> Case:
    """A patrol report (巡查上报): an inspector saw it, so it is accepted at once."""
    routing.check_photo_count(report.media_ids, low=1, high=MAX_PHOTOS)
    return await _file(report=report, source="inspector", actor=actor, trusted=True)
