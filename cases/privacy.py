"""Cases and a citizen's privacy: their reports for their export; closing their account
keeps the reports for the city without the person; photos of rejected reports expire."""

from __future__ import annotations

import datetime as dt

from cases.states import REJECTED
from cases.tables import Case, CaseFollower, CaseMedia
from core import clock
from core.db import raw

_REJECTED_PHOTOS = (
    'SELECT m.id, m.media_id FROM case_media m JOIN case_file c ON c.id = m."case" '
    'WHERE c.state = {} AND EXISTS (SELECT 1 FROM case_event e WHERE e."case" = c.id '
    "AND e.to_state = {} AND e.created_at < {}) LIMIT {}"
)


async def reports_export(*, citizen_id: int) -> list[dict]:
    mine = (Case.reporter_kind == "citizen") & (Case.reporter_id == citizen_id)
    cases = (
        await Case.select(
            Case.id,
            Case.public_id,
            Case.number,
            Case.category_code,
            Case.description,
            Case.lat,
            Case.lon,
            Case.address,
            Case.state,
            Case.anonymous,
            Case.rating,
            Case.rating_comment,
            Case.reported_at,
            Case.closed_at,
        )
        .where(mine)
        .order_by(Case.id)
    )
    photos: dict[int, list[str]] = {}
    if cases:
        rows = await CaseMedia.select(CaseMedia.case, CaseMedia.media_id).where(
            CaseMedia.case.is_in([c["id"] for c in cases])
        )
        for row in rows:
            photos.setdefault(row["case"], []).append(row["media_id"])
    return [
        {
            "id": c["public_id"],
            "number": c["number"],
            "category": c["category_code"],
            "description": c["description"],
            "lat": c["lat"],
            "lon": c["lon"],
            "address": c["address"],
            "state": c["state"],
            "anonymous": c["anonymous"],
            "rating": c["rating"],
            "ratingComment": c["rating_comment"],
            "reportedAt": clock.iso_utc(c["reported_at"]),
            "closedAt": clock.iso_utc(c["closed_at"]),
            "photos": sorted(photos.get(c["id"], [])),
        }
        for c in cases
    ]


async def forget_reporter(*, citizen_id: int) -> int:
    """The citizen's reports stay (the city's record of its problems) but no longer name
    them: anonymous, with no reporter; their follows go. Returns how many reports."""
    await CaseFollower.delete().where(CaseFollower.citizen_id == citizen_id)
    kept = (
        await Case.update({Case.reporter_id: None, Case.anonymous: True})
        .where((Case.reporter_kind == "citizen") & (Case.reporter_id == citizen_id))
        .returning(Case.id)
    )
    return len(kept)


async def release_rejected_photos(*, before: dt.datetime, limit: int = 500) -> list[str]:
    """Detach the photos of reports rejected before ``before`` and return their media ids,
    for the media package to delete: a rejected report is not a case the city keeps."""
    rows = await raw(_REJECTED_PHOTOS, REJECTED, REJECTED, before, limit)
    if rows:
        await CaseMedia.delete().where(CaseMedia.id.is_in([r["id"] for r in rows]))
    return [r["media_id"] for r in rows]
