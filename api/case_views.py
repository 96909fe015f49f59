"""The staff view of a case, shared by the command centre and the inspector app: reporter
identity stays masked (anonymous reports hide it entirely)."""

from __future__ import annotations

import datetime as dt

import msgspec

from accounts import service as accounts
from api.geo import CoordSys, Location, exif_position, location_out
from cases import (
    crowd,
    evidence,
    handoff,
    hotline,
    machines,
    queries,
    sla,
    stages,
    supervision,
)
from cases.queries import Page
from cases.tables import Case
from media import service as media
from org.categories import find_category


class EventOut(msgspec.Struct, frozen=True, rename="camel"):
    at: dt.datetime
    action: str
    from_state: str | None
    to_state: str
    actor_kind: str
    actor_id: int
    note: str
    occurred_at: dt.datetime | None
    media_ids: list[str] = []


class CallerOut(msgspec.Struct, frozen=True, rename="camel"):
    name: str
    phone: str | None
    masked: bool


def caller_out(caller: hotline.Caller | None) -> CallerOut | None:
    return None if caller is None else CallerOut(**msgspec.structs.asdict(caller))


class CaseStaffOut(msgspec.Struct, frozen=True, rename="camel"):
    id: str
    number: str
    category_code: str
    description: str
    location: Location
    address: str
    grid_id: int | None
    street_id: int | None
    district_id: int | None
    unit_id: int | None
    assignee_id: int | None
    acknowledged_at: dt.datetime | None
    state: str
    priority: int
    source: str
    anonymous: bool
    # The moderated text the public sees instead of the reporter's (cases.visibility).
    public_description: str | None
    public_address: str | None
    reporter_phone: str | None
    # A 12345 caller the case was filed for, masked (the call-taker sees it in full under
    # /api/hotline; the audited reporter-phone step reveals the number).
    caller: CallerOut | None
    flags: list[str]
    followers: int  # citizens who said "me too" (cases.crowd)
    rework_count: int
    transfer_count: int
    reported_at: dt.datetime
    accepted_at: dt.datetime | None
    dispatched_at: dt.datetime | None
    resolved_at: dt.datetime | None
    closed_at: dt.datetime | None
    deadline: dt.datetime | None
    light: str | None
    overdue: bool
    rating: int | None
    merged_into: int | None


class CasePhotoOut(msgspec.Struct, frozen=True, rename="camel"):
    """An evidence photo with what makes it evidence: who uploaded it and when, and where
    and when the camera says it was taken; ``flags`` names what looks wrong."""

    id: str
    role: str
    uploader_kind: str
    uploader_id: int
    uploaded_at: dt.datetime
    taken_at: dt.datetime | None
    taken_lat: float | None  # the camera's position, in coordSys like the case's
    taken_lon: float | None
    flags: list[str]
    # Through the API with the bearer token.
    url: str
    thumb_url: str
    # No token needed, until signedUntil: for <img src> (media.signing).
    signed_url: str
    signed_thumb_url: str
    signed_until: dt.datetime
    coord_sys: CoordSys = "wgs84"


class AssistOut(msgspec.Struct, frozen=True, rename="camel"):
    unit_id: int
    reported: bool
    note: str
    reported_at: dt.datetime | None


class SupervisionOut(msgspec.Struct, frozen=True, rename="camel"):
    id: int
    from_unit_id: int
    to_unit_id: int
    note: str
    deadline: dt.datetime
    issued_at: dt.datetime
    closed_at: dt.datetime | None


class LimitOut(msgspec.Struct, frozen=True, rename="camel"):
    value: int
    unit: str


class StageOut(msgspec.Struct, frozen=True, rename="camel"):
    """One timed stage (受理 accept, 派遣 dispatch, 处置 handle, 核查 verify): its limit,
    when its latest round began and ended, its deadline and its light (null: not begun)."""

    stage: str
    limit: LimitOut
    started_at: dt.datetime | None
    deadline: dt.datetime | None
    finished_at: dt.datetime | None
    light: str | None


class ConditionsOut(msgspec.Struct, frozen=True, rename="camel"):
    """The category's 立案条件 and 结案条件, in the caller's language."""

    filing: str
    closing: str


class ReadingOut(msgspec.Struct, frozen=True, rename="camel"):
    value: float
    unit: str
    threshold: float | None


class MachineOut(msgspec.Struct, frozen=True, rename="camel"):
    """The camera or sensor behind a machine's case: staff only, never citizens."""

    device_id: str | None
    events: int
    first_at: dt.datetime
    last_at: dt.datetime
    confidence: float | None
    reading: ReadingOut | None
    snapshot_ids: list[str]
    cleared_at: dt.datetime | None


def machine_out(summary: machines.MachineSummary | None) -> MachineOut | None:
    if summary is None:
        return None
    values = msgspec.structs.asdict(summary)
    reading = summary.reading
    values["reading"] = ReadingOut(**msgspec.structs.asdict(reading)) if reading else None
    return MachineOut(**values)


class CaseStaffDetail(msgspec.Struct, frozen=True, rename="camel"):
    case: CaseStaffOut
    events: list[EventOut]
    stages: list[StageOut] = []
    conditions: ConditionsOut | None = None
    # The photos, and what the caller may do now (both apps fill them).
    photos: list[CasePhotoOut] = []
    actions: list[str] = []
    assists: list[AssistOut] = []
    supervisions: list[SupervisionOut] = []
    machine: MachineOut | None = None


class CaseStaffPage(msgspec.Struct, frozen=True, rename="camel"):
    items: list[CaseStaffOut]
    next_cursor: str | None


def _shows_reporter(case: Case) -> bool:
    return not case.anonymous and case.reporter_kind == "citizen" and case.reporter_id is not None


async def case_staff_outs(cases: list[Case], coord_sys: CoordSys = "wgs84") -> list[CaseStaffOut]:
    phones = await accounts.masked_citizen_phones(
        citizen_ids=[c.reporter_id for c in cases if _shows_reporter(c)]
    )
    followers = await crowd.follower_counts([c.id for c in cases])
    callers = await hotline.masked_callers([c.id for c in cases if c.source == "hotline"])
    return [
        _case_staff_out(
            c, coord_sys, phones, followers.get(c.id, 0), None if c.anonymous else callers.get(c.id)
        )
        for c in cases
    ]


async def case_staff_out(case: Case, coord_sys: CoordSys = "wgs84") -> CaseStaffOut:
    return (await case_staff_outs([case], coord_sys))[0]


def _case_staff_out(
    case: Case, coord_sys: CoordSys, phones: dict, followers: int, caller: hotline.Caller | None
) -> CaseStaffOut:
    return CaseStaffOut(
        id=case.public_id,
        number=case.number,
        category_code=case.category_code,
        description=case.description,
        location=location_out(case.lat, case.lon, coord_sys),
        address=case.address,
        grid_id=case.grid_id,
        street_id=case.street_id,
        district_id=case.district_id,
        unit_id=case.unit_id,
        assignee_id=case.assignee_id,
        acknowledged_at=case.acknowledged_at,
        state=case.state,
        priority=case.priority,
        source=case.source,
        anonymous=case.anonymous,
        public_description=case.public_description,
        public_address=case.public_address,
        reporter_phone=phones.get(case.reporter_id) if _shows_reporter(case) else None,
        caller=caller_out(caller),
        flags=msgspec.json.decode(case.flags),
        followers=followers,
        rework_count=case.rework_count,
        transfer_count=case.transfer_count,
        reported_at=case.reported_at,
        accepted_at=case.accepted_at,
        dispatched_at=case.dispatched_at,
        resolved_at=case.resolved_at,
        closed_at=case.closed_at,
        deadline=case.deadline_at,
        light=sla.light(case),
        overdue=case.overdue,
        rating=case.rating,
        merged_into=case.merged_into_id,
    )


async def case_photos(
    case: Case, media_base: str, coord_sys: CoordSys = "wgs84"
) -> list[CasePhotoOut]:
    links = await queries.photos(case)
    rows = {m.public_id: m for m in await media.get_media(media_ids=[c.media_id for c in links])}
    out = []
    for link in links:
        photo = rows.get(link.media_id)
        if photo is None:
            continue
        signed = media.signed_urls(media=photo)
        taken = exif_position(photo.exif_lat, photo.exif_lon, coord_sys)
        out.append(
            CasePhotoOut(
                id=photo.public_id,
                role=link.role,
                uploader_kind=photo.owner_kind,
                uploader_id=photo.owner_id,
                uploaded_at=photo.uploaded_at,
                taken_at=photo.exif_taken_at,
                taken_lat=taken[0],
                taken_lon=taken[1],
                flags=evidence.photo_flags(case, photo),
                url=f"{media_base}/{photo.public_id}/display",
                thumb_url=f"{media_base}/{photo.public_id}/thumb",
                signed_url=signed.display,
                signed_thumb_url=signed.thumb,
                signed_until=signed.expires_at,
                coord_sys=coord_sys,
            )
        )
    return out


async def case_staff_detail(
    case: Case,
    coord_sys: CoordSys = "wgs84",
    *,
    media_base: str | None = None,
    actions: list[str] | None = None,
    locale: str = "zh-CN",
) -> CaseStaffDetail:
    """The detail views' case: the list's fields, the history, photos, assists, supervision
    orders, the stages' lights and the category's conditions."""
    history = await queries.timeline(case)
    category = await find_category(code=case.category_code)
    events = [
        EventOut(
            at=e.created_at,
            action=e.action,
            from_state=e.from_state,
            to_state=e.to_state,
            actor_kind=e.actor_kind,
            actor_id=e.actor_id,
            note=e.note,
            occurred_at=e.occurred_at,
            media_ids=msgspec.json.decode(e.media_ids or "[]"),
        )
        for e in history
    ]
    return CaseStaffDetail(
        case=await case_staff_out(case, coord_sys),
        events=events,
        stages=[
            StageOut(
                stage=s.stage,
                limit=LimitOut(value=s.limit.value, unit=s.limit.unit),
                started_at=s.started_at,
                deadline=s.deadline,
                finished_at=s.finished_at,
                light=s.light,
            )
            for s in (
                await stages.case_stages(case, events=history, category=category)
                if category
                else []
            )
        ],
        conditions=ConditionsOut(
            filing=category.filing_conditions(locale), closing=category.closing_conditions(locale)
        )
        if category
        else None,
        photos=await case_photos(case, media_base, coord_sys) if media_base else [],
        actions=actions or [],
        assists=[
            AssistOut(
                unit_id=a.unit_id,
                reported=a.reported_at is not None,
                note=a.note,
                reported_at=a.reported_at,
            )
            for a in await handoff.assists_of(case)
        ],
        supervisions=[
            SupervisionOut(
                id=o.id,
                from_unit_id=o.from_unit_id,
                to_unit_id=o.to_unit_id,
                note=o.note,
                deadline=o.deadline_at,
                issued_at=o.created_at,
                closed_at=o.closed_at,
            )
            for o in await supervision.orders_of(case)
        ],
        machine=machine_out(await machines.machine_summary(case)),
    )


async def case_staff_page(page: Page, coord_sys: CoordSys = "wgs84") -> CaseStaffPage:
    return CaseStaffPage(
        items=await case_staff_outs(page.items, coord_sys), next_cursor=page.next_cursor
    )
