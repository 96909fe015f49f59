"""Evidence integrity: a photo taken long before it was uploaded, or far from the case,
may be recycled. Such photos are kept and the case is flagged for the command centre to
look at: refusing them would only teach people to strip EXIF.

A citizen's report photos get the same checks plus one (no EXIF at all: no time, no place),
under flags of their own (``report_...``): the report still files, but its points wait for a
person to accept it (points.holds), where a handler's stale after-photo must not hold them."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

import msgspec

from cases.flags import add_flag
from cases.tables import Case
from cases.workflow import record_event
from core import clock
from core.actors import SYSTEM
from media import service as media
from media.tables import Media
from org.geo import distance_m

MAX_AGE = dt.timedelta(hours=24)
MAX_DISTANCE_M = 500.0
STALE, FAR, NO_EXIF = "evidence_stale", "evidence_far", "evidence_no_exif"
REPORT_PREFIX = "report_"
REPORT_FLAGS = frozenset(REPORT_PREFIX + flag for flag in (STALE, FAR, NO_EXIF))


def photo_flags(case: Case, photo: Media, *, need_exif: bool = False) -> list[str]:
    """What is wrong with one photo as evidence for ``case`` (empty: nothing)."""
    flags = []
    if need_exif and photo.exif_taken_at is None and photo.exif_lat is None:
        flags.append(NO_EXIF)
    if photo.exif_taken_at is not None:
        age = clock.as_utc(photo.uploaded_at) - clock.as_utc(photo.exif_taken_at)
        if age > MAX_AGE:
            flags.append(STALE)
    has_position = photo.exif_lat is not None and photo.exif_lon is not None
    if has_position and (
        distance_m(case.lat, case.lon, photo.exif_lat, photo.exif_lon) > MAX_DISTANCE_M
    ):
        flags.append(FAR)
    return flags


async def add_flags(case: Case, flags: Sequence[str]) -> None:
    """Add flags to the case, each once, through the shared conditional update (another
    package may be flagging the same case)."""
    current: list[str] = []
    for flag in flags:
        current = await add_flag(case_id=case.id, flag=flag)
    if current:
        case.flags = msgspec.json.encode(current).decode()


async def check_photos(case: Case, *, media_ids: Sequence[str], report: bool = False) -> list[str]:
    """Flag the case for any suspicious photo among ``media_ids`` (already attached); the
    details go into the case history as the system's finding. Returns the flags raised.
    ``report``: a citizen's report photos (the ``report_`` flags, EXIF required)."""
    raised: list[str] = []
    details = []
    for photo in await media.get_media(media_ids=media_ids):
        found = photo_flags(case, photo, need_exif=report)
        if report:
            found = [REPORT_PREFIX + flag for flag in found]
        if found:
            details.append({"mediaId": photo.public_id, "flags": found})
            raised += [flag for flag in found if flag not in raised]
    if raised:
        await add_flags(case, raised)
        await record_event(
            case,
            action="evidence_flagged",
            from_state=case.state,
            to_state=case.state,
            actor=SYSTEM,
            data={"photos": details},
        )
    return raised
