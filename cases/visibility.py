"""The visibility policy: what of a case leaves the staff side, and to whom.

Staff see the cases of their area (cases.access) and a reporter sees all of their own case.
Everyone else (a follower, an Open311 client, a citizen checking for similar reports) sees
the *public view*, and every path that shows a case outside the staff side builds it with
the functions below; no other module decides any of this.

1. Public cases. A case is public once staff accepted it, while it is accepted, dispatched,
   resolved, returned, suspended or closed (``PUBLIC_STATES``). Reported cases (nobody has
   verified them yet), rejected, cancelled and merged ones are never public; a merged case
   is shown as the case it was merged into, if that one is public (``public_target``).
2. Text. The description and address of a public case are shown unless the reporter asked
   for anonymity. When staff moderated a public text (``public_description`` and
   ``public_address``, set through the admin API and audited), the public sees that
   instead, anonymous report or not; an anonymous case without one shows no text at all.
3. Identity. The reporter's name, phone and account id are never public, nor their rating,
   nor any note of the case history (reasons, staff notes, the reporter's own words).
4. Photos. Besides the reporter, only the followers of a public case see its photos, and
   only those staff have seen: the report's own photos once the case was accepted with them
   (attached no later than the acceptance), and the photos staff took while handling it
   (after, check). The grid inspector's verification evidence is never shown.
5. Position. Cases of a category marked ``private_location`` (national codes whose reports
   point at a person or a home, and any a city marks) show their position snapped to a
   fixed grid of 0.002° latitude by 0.0025° longitude (about 220 m by 225 m at 36°N, 170 to
   265 m wide across China) in every public output: always the cell's centre, so repeated
   queries cannot average it out, and filters (an Open311 bounding box, the similar-reports
   radius and distance) use that centre, never the exact point, so they cannot narrow it
   down either. Other categories show the exact position: a pothole is where it is.
6. Following. A citizen may follow only a public open case (anything else is a 404, as for
   an id that does not exist); following a merged case follows its target, and merging
   carries the followers over. A follower sees the public view, and is told of changes by
   case number only: no note travels in a follower's notification, which is marked
   ``follower`` so it reads "a case you follow", never "your report".
"""

from __future__ import annotations

import math
from collections.abc import Collection, Iterable
from dataclasses import dataclass
from typing import Any

from cases.states import (
    ACCEPTED,
    CLOSED,
    DISPATCHED,
    MERGED,
    OPEN,
    RESOLVED,
    RETURNED,
    SUSPENDED,
)
from cases.tables import Case, CaseMedia
from core import clock
from core.actors import Actor
from org.categories import private_location_codes

PUBLIC_STATES = frozenset({ACCEPTED, DISPATCHED, RESOLVED, RETURNED, SUSPENDED, CLOSED})
PUBLIC_OPEN_STATES = PUBLIC_STATES & OPEN
# Photos staff took while handling the case, and the one kind never shown outside.
STAFF_PHOTO_ROLES = frozenset({"after", "check"})
HIDDEN_PHOTO_ROLES = frozenset({"evidence"})
CELL_LAT = 0.002
CELL_LON = 0.0025
MAX_MERGE_HOPS = 8
# All a follower's notification carries (the reporter's gets the note as well).
FOLLOWER_NOTIFICATION_PARAMS = ("caseId", "number")


def is_reporter(actor: Actor | None, case: Case) -> bool:
    return actor is not None and actor.kind == case.reporter_kind and actor.id == case.reporter_id


def is_public(case: Case) -> bool:
    return case.state in PUBLIC_STATES


def visible_clause(viewer: Actor | None, *, open_only: bool = False):
    """The WHERE clause of the cases ``viewer`` may see outside the staff side: the public
    ones (open ones only, if asked) and their own."""
    clause = Case.state.is_in(sorted(PUBLIC_OPEN_STATES if open_only else PUBLIC_STATES))
    if viewer is None:
        return clause
    own = (Case.reporter_kind == viewer.kind) & (Case.reporter_id == viewer.id)
    return clause | (own & Case.state.is_in(sorted(OPEN)) if open_only else own)


async def public_target(case: Case) -> Case | None:
    """The case the public sees for ``case``: itself when public, or the end of its chain of
    merges when that is public; None when nothing of it is public."""
    for _ in range(MAX_MERGE_HOPS):
        if case.state != MERGED:
            return case if is_public(case) else None
        target = None
        if case.merged_into_id is not None:
            target = await Case.objects().where(Case.id == case.merged_into_id).first()
        if target is None:
            return None
        case = target
    return None


async def visible_case(case: Case, viewer: Actor | None) -> Case | None:
    """What ``viewer`` (not staff) sees for ``case``: their own case, or its public target."""
    if is_reporter(viewer, case):
        return case
    return await public_target(case)


# --- text and position -----------------------------------------------------------------------


def public_text(case: Case) -> tuple[str, str]:
    """(description, address) as the public sees them."""
    if case.public_description is not None:
        return case.public_description, case.public_address or ""
    if case.anonymous:
        return "", ""
    return case.description, case.address


def _cell(value: float, step: float) -> int:
    """The cell holding ``value``: index * step <= value < (index + 1) * step, compared
    exactly as the SQL of ``bbox_clause`` compares, so both agree on every boundary."""
    index = math.floor(value / step)
    if value < index * step:
        index -= 1
    elif value >= (index + 1) * step:
        index += 1
    return index


def _centre(index: int, step: float) -> float:
    return round((index + 0.5) * step, 6)


def coarsen(lat: float, lon: float) -> tuple[float, float]:
    """The centre of the grid cell holding the point: the same for every point of the cell."""
    return _centre(_cell(lat, CELL_LAT), CELL_LAT), _centre(_cell(lon, CELL_LON), CELL_LON)


def _cells_centred_in(low: float, high: float, step: float) -> tuple[float, float]:
    """[start, end) in exact coordinates of the cells whose centre lies in [low, high]
    (start >= end when there is none)."""
    first = math.ceil(low / step - 0.5)
    while _centre(first - 1, step) >= low:
        first -= 1
    while _centre(first, step) < low:
        first += 1
    last = math.floor(high / step - 0.5)
    while _centre(last + 1, step) <= high:
        last += 1
    while _centre(last, step) > high:
        last -= 1
    return first * step, (last + 1) * step


def bbox_clause(bbox: tuple[float, float, float, float], private_codes: Collection[str]):
    """Cases whose *public* position lies in (west, south, east, north): the exact point of
    ordinary categories, the cell centre of private ones (so shrinking boxes cannot find
    the exact point inside a cell)."""
    west, south, east, north = bbox
    exact = (Case.lon >= west) & (Case.lon <= east) & (Case.lat >= south) & (Case.lat <= north)
    if not private_codes:
        return exact
    lat_start, lat_end = _cells_centred_in(south, north, CELL_LAT)
    lon_start, lon_end = _cells_centred_in(west, east, CELL_LON)
    coarse = (
        (Case.lat >= lat_start)
        & (Case.lat < lat_end)
        & (Case.lon >= lon_start)
        & (Case.lon < lon_end)
    )
    codes = sorted(private_codes)
    return (Case.category_code.not_in(codes) & exact) | (Case.category_code.is_in(codes) & coarse)


def search_margin(category_code: str, private_codes: Collection[str]) -> tuple[float, float]:
    """Degrees (lat, lon) to widen an exact search box by, so that it finds every case whose
    public position (a cell centre, up to half a cell away) is inside the box."""
    return (CELL_LAT, CELL_LON) if category_code in private_codes else (0.0, 0.0)


@dataclass(frozen=True, slots=True)
class Shown:
    """A case as one viewer outside the staff side sees it."""

    case: Case
    mine: bool
    description: str
    address: str
    lat: float
    lon: float


def show(case: Case, viewer: Actor | None, private_codes: Collection[str]) -> Shown:
    """The reporter's own case in full, anyone else's as the public view. The caller has
    already found the case visible (``visible_case`` or ``visible_clause``)."""
    if is_reporter(viewer, case):
        return Shown(case, True, case.description, case.address, case.lat, case.lon)
    description, address = public_text(case)
    lat, lon = (
        coarsen(case.lat, case.lon) if case.category_code in private_codes else (case.lat, case.lon)
    )
    return Shown(case, False, description, address, lat, lon)


async def show_all(cases: Iterable[Case], viewer: Actor | None) -> list[Shown]:
    private = await private_location_codes()
    return [show(case, viewer, private) for case in cases]


# --- photos and notifications ----------------------------------------------------------------


def photo_is_public(case: Case, link: CaseMedia) -> bool:
    """Whether a photo of the case may be shown to someone other than its reporter."""
    if not is_public(case) or link.role in HIDDEN_PHOTO_ROLES:
        return False
    if link.role in STAFF_PHOTO_ROLES:
        return True
    return case.accepted_at is not None and clock.as_utc(link.created_at) <= clock.as_utc(
        case.accepted_at
    )


def photos_for(viewer: Actor | None, case: Case, links: Iterable[CaseMedia]) -> list[CaseMedia]:
    if is_reporter(viewer, case):
        return list(links)
    return [link for link in links if photo_is_public(case, link)]


def follower_params(params: dict[str, Any]) -> dict[str, Any]:
    """What of a notification's parameters a follower may receive, marked as a follower's
    (notify.templates words it for someone who follows the case, not its reporter)."""
    kept = {key: params[key] for key in FOLLOWER_NOTIFICATION_PARAMS if key in params}
    return {**kept, "follower": True}
