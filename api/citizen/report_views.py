"""The citizen's view of a case: their own words and photos, the steps in plain language,
deadline and light. Staff names, phones and internal notes never appear here. A follower
sees the public view of the case (cases.visibility), not the reporter's."""

from __future__ import annotations

import datetime as dt

import msgspec

from api.geo import CoordSys, Location, location_out
from cases import crowd, queries, sla, visibility
from cases.feedback import REOPEN_WINDOW
from cases.tables import Case, CaseMedia
from cases.visibility import Shown
from cases.wording import citizen_step, state_label
from core import clock
from core.actors import Actor
from media import service as media
from media.tables import Media
from org.categories import get_category

_MEDIA = "/api/citizen/media"


class CategoryRef(msgspec.Struct, frozen=True):
    code: str
    name: str


class Step(msgspec.Struct, frozen=True):
    at: dt.datetime
    state: str
    text: str


class ReportPhotoOut(msgspec.Struct, frozen=True, rename="camel"):
    id: str
    role: str
    # Through the API with the bearer token.
    url: str
    thumb_url: str
    # No token needed, until signedUntil: for <image src> (media.signing).
    signed_url: str
    signed_thumb_url: str
    signed_until: dt.datetime


class ReportOut(msgspec.Struct, frozen=True, rename="camel"):
    id: str
    number: str
    category: CategoryRef
    description: str
    location: Location
    address: str
    state: str
    state_label: str
    priority: int
    anonymous: bool
    reported_at: dt.datetime
    deadline: dt.datetime | None
    light: str | None
    photos: list[ReportPhotoOut]
    timeline: list[Step]
    rating: int | None
    mine: bool
    following: bool
    followers: int  # citizens who said "me too"
    can_rate: bool
    can_reopen: bool


class ReportSummary(msgspec.Struct, frozen=True, rename="camel"):
    id: str
    number: str
    category_code: str
    category_name: str
    # The first photo this viewer may see (a follower: a public one), or None; through the
    # API with the token, and signed (no token, short-lived) for <image src>.
    thumb_url: str | None
    signed_thumb_url: str | None
    state: str
    state_label: str
    address: str
    location: Location
    reported_at: dt.datetime
    light: str | None
    mine: bool
    following: bool


class ReportPage(msgspec.Struct, frozen=True, rename="camel"):
    items: list[ReportSummary]
    next_cursor: str | None


class SimilarOut(msgspec.Struct, frozen=True, rename="camel"):
    id: str
    number: str
    state_label: str
    description: str
    distance_m: int
    location: Location
    reported_at: dt.datetime
    mine: bool
    following: bool  # "me too" already: the app offers unfollow instead of follow

    @classmethod
    def of(
        cls, shown: Shown, distance: float, locale: str, coord_sys: CoordSys, *, following: bool
    ) -> SimilarOut:
        case = shown.case
        return cls(
            id=case.public_id,
            number=case.number,
            state_label=state_label(case.state, locale),
            description=shown.description[:120],
            distance_m=round(distance),
            location=location_out(shown.lat, shown.lon, coord_sys),
            reported_at=case.reported_at,
            mine=shown.mine,
            following=following,
        )


async def build_similar(
    near: list[tuple[Shown, float]], actor: Actor, coord_sys: CoordSys
) -> list[SimilarOut]:
    followed = await queries.followed_among(
        citizen_id=actor.id, case_ids=[shown.case.id for shown, _ in near]
    )
    return [
        SimilarOut.of(shown, distance, actor.locale, coord_sys, following=shown.case.id in followed)
        for shown, distance in near
    ]


async def build_summaries(
    cases: list[Case], actor: Actor, coord_sys: CoordSys
) -> list[ReportSummary]:
    """Lines of the citizen's list: their own reports in full, the cases they follow as the
    public sees them (cases.visibility)."""
    ids = [c.id for c in cases]
    followed = await queries.followed_among(citizen_id=actor.id, case_ids=ids)
    photos = await queries.photos_of(ids)
    shown_all = await visibility.show_all(cases, actor)
    firsts = {
        shown.case.id: _first(
            visibility.photos_for(actor, shown.case, photos.get(shown.case.id, []))
        )
        for shown in shown_all
    }
    rows = await _media_rows([link.media_id for link in firsts.values() if link])
    names = {
        code: (await get_category(code=code, leaf_only=False)).name(actor.locale)
        for code in {c.category_code for c in cases}
    }
    return [
        ReportSummary(
            id=shown.case.public_id,
            number=shown.case.number,
            category_code=shown.case.category_code,
            category_name=names[shown.case.category_code],
            thumb_url=_thumb_path(firsts[shown.case.id]),
            signed_thumb_url=_signed_thumb(firsts[shown.case.id], rows),
            state=shown.case.state,
            state_label=state_label(shown.case.state, actor.locale),
            address=shown.address,
            location=location_out(shown.lat, shown.lon, coord_sys),
            reported_at=shown.case.reported_at,
            light=sla.light(shown.case),
            mine=shown.mine,
            following=shown.case.id in followed,
        )
        for shown in shown_all
    ]


def _first(links: list[CaseMedia]) -> CaseMedia | None:
    # The report's own photo shows what the problem was; a handling photo only if none.
    ordered = sorted(links, key=lambda link: link.role != "before")
    return ordered[0] if ordered else None


def _thumb_path(link: CaseMedia | None) -> str | None:
    return f"{_MEDIA}/{link.media_id}/thumb" if link else None


def _signed_thumb(link: CaseMedia | None, rows: dict[str, Media]) -> str | None:
    row = rows.get(link.media_id) if link else None
    return media.signed_url(media=row, variant="thumb") if row else None


async def _media_rows(media_ids: list[str]) -> dict[str, Media]:
    return {row.public_id: row for row in await media.get_media(media_ids=media_ids)}


async def _photos(shown: Shown, actor: Actor) -> list[ReportPhotoOut]:
    # Only the photos visibility admits for this viewer are signed: the URL is the permission.
    links = visibility.photos_for(actor, shown.case, await queries.photos(shown.case))
    rows = await _media_rows([link.media_id for link in links])
    out = []
    for link in links:
        row = rows.get(link.media_id)
        if row is None:
            continue
        signed = media.signed_urls(media=row)
        out.append(
            ReportPhotoOut(
                id=link.media_id,
                role=link.role,
                url=f"{_MEDIA}/{link.media_id}/display",
                thumb_url=f"{_MEDIA}/{link.media_id}/thumb",
                signed_url=signed.display,
                signed_thumb_url=signed.thumb,
                signed_until=signed.expires_at,
            )
        )
    return out


async def build_report(case: Case, actor: Actor, coord_sys: CoordSys) -> ReportOut:
    """The reporter's case in full; for a follower, the public view of it."""
    locale = actor.locale
    (shown,) = await visibility.show_all([case], actor)
    mine = shown.mine
    category = await get_category(code=case.category_code, leaf_only=False)
    steps = []
    for event in await queries.timeline(case):
        text = citizen_step(
            event.action,
            event.note,
            locale,
            mine=mine,
            with_photos=event.media_ids not in ("", "[]"),
        )
        if text is not None:
            steps.append(Step(at=event.created_at, state=event.to_state, text=text))
    closed_recently = (
        case.state == "closed"
        and case.closed_at is not None
        and clock.now() - clock.as_utc(case.closed_at) <= REOPEN_WINDOW
    )
    return ReportOut(
        id=case.public_id,
        number=case.number,
        category=CategoryRef(code=category.code, name=category.name(locale)),
        description=shown.description,
        location=location_out(shown.lat, shown.lon, coord_sys),
        address=shown.address,
        state=case.state,
        state_label=state_label(case.state, locale),
        priority=case.priority,
        anonymous=case.anonymous,
        reported_at=case.reported_at,
        deadline=case.deadline_at,
        light=sla.light(case),
        photos=await _photos(shown, actor),
        timeline=steps,
        rating=case.rating if mine else None,
        mine=mine,
        following=not mine
        and bool(await queries.followed_among(citizen_id=actor.id, case_ids=[case.id])),
        followers=await crowd.follower_count(case.id),
        can_rate=mine and case.state == "closed" and case.rating is None,
        can_reopen=mine and closed_recently,
    )
