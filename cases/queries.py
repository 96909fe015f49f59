"""Reading cases: mine, nearby open ones, the command centre's filtered list, timelines."""

from __future__ import annotations

import datetime as dt
import math

import msgspec

from cases import visibility
from cases.scope import EVERYTHING, Scope, clause
from cases.tables import Case, CaseEvent, CaseFollower, CaseMedia
from cases.visibility import Shown
from cases.workflow import OPEN
from core import clock
from core.actors import Actor
from core.pagination import MAX_LIMIT, Cursor, decode_cursor, encode_cursor
from org.categories import private_location_codes
from org.geo import distance_m

SIMILAR_RADIUS_M = 200


class Page(msgspec.Struct, frozen=True):
    items: list[Case]
    next_cursor: str | None


def _after(query, cursor: Cursor | None):
    """Newest first: rows strictly before the cursor's (reported_at, id)."""
    if cursor is None:
        return query
    return query.where(
        (Case.reported_at < cursor.at) | ((Case.reported_at == cursor.at) & (Case.id < cursor.id))
    )


async def _page(query, cursor_text: str | None, limit: int) -> Page:
    limit = max(1, min(limit, MAX_LIMIT))
    rows = (
        await _after(query, decode_cursor(cursor_text, kind="cases"))
        .order_by(Case.reported_at, ascending=False)
        .order_by(Case.id, ascending=False)
        .limit(limit + 1)
    )
    items = rows[:limit]
    more = len(rows) > limit
    last = items[-1] if items else None
    next_cursor = (
        encode_cursor(clock.as_utc(last.reported_at), last.id, kind="cases")
        if more and last
        else None
    )
    return Page(items=items, next_cursor=next_cursor)


def _followed_by(citizen_id: int):
    """Cases the citizen follows that are public now: a follower sees only the public view
    (cases.visibility), so a followed case that was rejected, cancelled or merged drops out
    (a merge carries the followers over to the case it went into)."""
    followed = CaseFollower.select(CaseFollower.case).where(CaseFollower.citizen_id == citizen_id)
    return Case.id.is_in(followed) & visibility.visible_clause(None)


async def citizen_reports(
    *, citizen_id: int, scope: str = "mine", cursor: str | None, limit: int
) -> Page:
    """A citizen's list: their own reports (``mine``), the public cases they follow
    (``following``) or both (``all``), newest first."""
    own = (Case.reporter_kind == "citizen") & (Case.reporter_id == citizen_id)
    where = {
        "mine": lambda: own,
        "following": lambda: _followed_by(citizen_id),
        "all": lambda: own | _followed_by(citizen_id),
    }[scope]()
    return await _page(Case.objects().where(where), cursor, limit)


async def followed_among(*, citizen_id: int, case_ids: list[int]) -> set[int]:
    """Which of ``case_ids`` the citizen follows."""
    if not case_ids:
        return set()
    rows = await CaseFollower.select(CaseFollower.case).where(
        (CaseFollower.citizen_id == citizen_id) & CaseFollower.case.is_in(sorted(set(case_ids)))
    )
    return {row["case"] for row in rows}


class CaseFilter(msgspec.Struct, frozen=True, kw_only=True):
    state: str | None = None
    category: str | None = None
    grid_id: int | None = None
    unit_id: int | None = None
    source: str | None = None
    light: str | None = None
    unassigned: bool | None = None
    reported_from: dt.datetime | None = None
    reported_to: dt.datetime | None = None
    # A case number (exact) or words of the description or address (the workbench's search).
    text: str | None = None


def _text_clause(text: str):
    pattern = "%" + text.replace("\\", "").replace("%", "").replace("_", "") + "%"
    # SQLite's LIKE already ignores ASCII case (and Piccolo warns on each ILIKE there).
    sqlite = Case._meta.db.engine_type == "sqlite"
    description = Case.description.like(pattern) if sqlite else Case.description.ilike(pattern)
    address = Case.address.like(pattern) if sqlite else Case.address.ilike(pattern)
    return (Case.number == text) | description | address


def _light_clause(light: str, now: dt.datetime):
    if light == "red":
        return Case.deadline_at < now
    if light == "yellow":
        return (Case.sla_yellow_at <= now) & (Case.deadline_at >= now)
    return Case.sla_yellow_at > now


async def list_cases(
    *, filters: CaseFilter, cursor: str | None, limit: int, within: Scope = EVERYTHING
) -> Page:
    """The cases ``within`` a staff member's scope (cases.scope) matching ``filters``."""
    return await _page(filtered(filters, within), cursor, limit)


def filtered(filters: CaseFilter, within: Scope = EVERYTHING, query=None):
    """The query of ``list_cases`` (also used to tell which changed cases a live list
    shows: the same WHERE, so a stream never sends a row the list would not)."""
    query = Case.objects() if query is None else query
    if (in_scope := clause(within)) is not None:
        query = query.where(in_scope)
    if filters.state:
        query = query.where(Case.state == filters.state)
    if filters.category:
        query = query.where(Case.category_code == filters.category)
    if filters.grid_id is not None:
        query = query.where(Case.grid_id == filters.grid_id)
    if filters.unit_id is not None:
        query = query.where(Case.unit_id == filters.unit_id)
    if filters.source:
        query = query.where(Case.source == filters.source)
    if filters.unassigned:
        query = query.where(Case.grid_id.is_null() & Case.state.is_in(sorted(OPEN)))
    if filters.light:
        query = query.where(Case.state == "dispatched").where(
            _light_clause(filters.light, clock.now())
        )
    if filters.reported_from:
        query = query.where(Case.reported_at >= filters.reported_from)
    if filters.reported_to:
        query = query.where(Case.reported_at < filters.reported_to)
    if filters.text:
        query = query.where(_text_clause(filters.text))
    return query


async def similar_open_cases(
    *,
    viewer: Actor,
    lat: float,
    lon: float,
    category_code: str,
    radius_m: float = SIMILAR_RADIUS_M,
    limit: int = 20,
) -> list[tuple[Shown, float]]:
    """Open cases of one category within ``radius_m``, as ``viewer`` may see them (public
    ones and their own): the "already reported?" step. A bounding box narrows the rows in
    SQL; the distance to the position the viewer is shown decides (cases.visibility)."""
    private = await private_location_codes()
    margin_lat, margin_lon = visibility.search_margin(category_code, private)
    dlat = radius_m / 111_320 + margin_lat
    dlon = radius_m / (111_320 * max(math.cos(math.radians(lat)), 0.01)) + margin_lon
    rows = (
        await Case.objects()
        .where(
            (Case.category_code == category_code)
            & visibility.visible_clause(viewer, open_only=True)
            & (Case.lat >= lat - dlat)
            & (Case.lat <= lat + dlat)
            & (Case.lon >= lon - dlon)
            & (Case.lon <= lon + dlon)
        )
        .limit(500)
    )
    shown = [visibility.show(case, viewer, private) for case in rows]
    near = [(item, distance_m(lat, lon, item.lat, item.lon)) for item in shown]
    return sorted([pair for pair in near if pair[1] <= radius_m], key=lambda p: p[1])[:limit]


async def timeline(case: Case) -> list[CaseEvent]:
    return await CaseEvent.objects().where(CaseEvent.case == case.id).order_by(CaseEvent.id)


async def photos(case: Case) -> list[CaseMedia]:
    return await CaseMedia.objects().where(CaseMedia.case == case.id).order_by(CaseMedia.id)


async def photos_of(case_ids: list[int]) -> dict[int, list[CaseMedia]]:
    """case id -> its photos in the order attached, for a page of cases."""
    if not case_ids:
        return {}
    rows = (
        await CaseMedia.objects()
        .where(CaseMedia.case.is_in(sorted(set(case_ids))))
        .order_by(CaseMedia.id)
    )
    out: dict[int, list[CaseMedia]] = {}
    for row in rows:
        out.setdefault(row.case, []).append(row)
    return out


async def case_refs(case_ids: list[int]) -> dict[int, tuple[str, str]]:
    """id -> (public id, number), for lists of rows that point at cases (alerts, orders)."""
    ids = sorted({i for i in case_ids if i is not None})
    if not ids:
        return {}
    rows = await Case.select(Case.id, Case.public_id, Case.number).where(Case.id.is_in(ids))
    return {row["id"]: (row["public_id"], row["number"]) for row in rows}
