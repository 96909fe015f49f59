"""Places: administration, live parking availability and the nearby search.

Every write stamps the changed rows with a new revision from the "places" version stamp
(places.index.bump) in the same transaction, which is how every process's index learns of it.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Sequence
from typing import Any

import msgspec

from accounts.api_key_admin import ApiClientInfo, api_client_info
from accounts.errors import UnknownApiClient
from core import clock
from core.actors import Actor
from core.db import is_sqlite
from core.pagination import decode_cursor, encode_cursor
from media.service import claim_media, register_viewer
from org import geo
from places import index as nearby_index
from places.errors import (
    FeedNotYours,
    InvalidFeedClient,
    InvalidPlace,
    NearbyLimitTooLarge,
    NearbyTooFar,
    NotParking,
    PlaceNotFound,
)
from places.found import Found
from places.hours import validate_hours
from places.kinds import KindInfo, check_attributes, get_kind
from places.tables import Place

STATUSES = ("open", "closed", "maintenance")
MAX_RADIUS_M = 5000
MAX_LIMIT = 50


class PlaceInfo(msgspec.Struct, frozen=True, kw_only=True):
    id: int
    kind: str
    name: str
    address: str
    lat: float
    lon: float
    phone: str
    hours: str
    attributes: dict[str, Any]
    status: str
    photos: list[str]
    source: str
    created_at: dt.datetime
    updated_at: dt.datetime
    feed_client_id: int | None = None


class PlacePage(msgspec.Struct, frozen=True, kw_only=True):
    items: list[PlaceInfo]
    next_cursor: str | None


def place_info(row: dict) -> PlaceInfo:
    return PlaceInfo(
        id=row["id"],
        kind=row["kind"],
        name=row["name"],
        address=row["address"],
        lat=row["lat"],
        lon=row["lon"],
        phone=row["phone"],
        hours=row["hours"],
        attributes=msgspec.json.decode(row["attributes"]),
        status=row["status"],
        photos=msgspec.json.decode(row["photos"]),
        source=row["source"],
        created_at=clock.as_utc(row["created_at"]),
        updated_at=clock.as_utc(row["updated_at"]),
        feed_client_id=row["feed_client_id"],
    )


def _text(value: str, field: str, max_length: int, *, required: bool = False) -> str:
    value = value.strip()
    if required and not value:
        raise InvalidPlace(reason=f"{field} is required")
    if len(value) > max_length:
        raise InvalidPlace(reason=f"{field} is longer than {max_length} characters")
    return value


def _status(value: str) -> str:
    if value not in STATUSES:
        raise InvalidPlace(reason=f"status must be one of {', '.join(STATUSES)}")
    return value


async def get_place(*, place_id: int) -> PlaceInfo:
    row = await Place.select().where((Place.id == place_id) & Place.deleted.eq(False)).first()
    if row is None:
        raise PlaceNotFound(place_id=place_id)
    return place_info(row)


async def create_place(
    *,
    actor: Actor,
    kind: str,
    name: str,
    lat: float,
    lon: float,
    address: str = "",
    phone: str = "",
    hours: str = "",
    attributes: dict[str, Any] | None = None,
    status: str = "open",
    photos: Sequence[str] = (),
    source: str = "",
) -> PlaceInfo:
    """``lat``/``lon`` in WGS-84 (the controller converts)."""
    geo.validate(lat, lon)
    kind_info = await get_kind(kind)
    row = Place(
        kind=kind,
        name=_text(name, "name", 200, required=True),
        address=_text(address, "address", 300),
        lat=lat,
        lon=lon,
        phone=_text(phone, "phone", 40),
        hours=validate_hours(hours),
        attributes=msgspec.json.encode(check_attributes(kind_info, attributes or {})).decode(),
        status=_status(status),
        photos=msgspec.json.encode(list(photos)).decode(),
        source=_text(source, "source", 100) or f"{actor.kind}:{actor.id}",
        revision=await nearby_index.bump(),
        created_at=clock.now(),
        updated_at=clock.now(),
    )
    await row.save()
    if photos:
        await claim_media(actor=actor, media_ids=list(photos), attach_to=f"place:{row.id}")
    return await get_place(place_id=row.id)


async def update_place(
    *,
    actor: Actor,
    place_id: int,
    kind: str | None = None,
    name: str | None = None,
    lat: float | None = None,
    lon: float | None = None,
    address: str | None = None,
    phone: str | None = None,
    hours: str | None = None,
    attributes: dict[str, Any] | None = None,
    status: str | None = None,
    photos: Sequence[str] | None = None,
    source: str | None = None,
) -> PlaceInfo:
    """Change the given fields; ``attributes`` replaces the whole object."""
    current = await get_place(place_id=place_id)
    changes: dict[Any, Any] = {}
    kind_info = await get_kind(kind or current.kind)
    if kind is not None:
        changes[Place.kind] = kind
    if name is not None:
        changes[Place.name] = _text(name, "name", 200, required=True)
    if (lat is None) != (lon is None):
        raise InvalidPlace(reason="lat and lon change together")
    if lat is not None and lon is not None:
        geo.validate(lat, lon)
        changes[Place.lat], changes[Place.lon] = lat, lon
    if address is not None:
        changes[Place.address] = _text(address, "address", 300)
    if phone is not None:
        changes[Place.phone] = _text(phone, "phone", 40)
    if hours is not None:
        changes[Place.hours] = validate_hours(hours)
    if attributes is not None or kind is not None:
        checked = check_attributes(
            kind_info, current.attributes if attributes is None else attributes
        )
        changes[Place.attributes] = msgspec.json.encode(checked).decode()
    if status is not None:
        changes[Place.status] = _status(status)
    if source is not None:
        changes[Place.source] = _text(source, "source", 100)
    if photos is not None:
        new = [media_id for media_id in photos if media_id not in current.photos]
        if new:
            await claim_media(actor=actor, media_ids=new, attach_to=f"place:{place_id}")
        changes[Place.photos] = msgspec.json.encode(list(dict.fromkeys(photos))).decode()
    changes[Place.updated_at] = clock.now()
    changes[Place.revision] = await nearby_index.bump()
    await Place.update(changes).where(Place.id == place_id)
    return await get_place(place_id=place_id)


async def delete_place(*, place_id: int) -> None:
    await get_place(place_id=place_id)
    await Place.update(
        {
            Place.deleted: True,
            Place.updated_at: clock.now(),
            Place.revision: await nearby_index.bump(),
        }
    ).where(Place.id == place_id)


async def _parking(place_id: int) -> tuple[PlaceInfo, KindInfo]:
    place = await get_place(place_id=place_id)
    kind = await get_kind(place.kind)
    if "free_spaces" not in kind.attributes:
        raise NotParking(place_id=place_id)
    return place, kind


def is_feed_client(client: ApiClientInfo) -> bool:
    """Whether an API client may be bound to car parks to report their free spaces."""
    return client.kind == "parking" and client.active


async def bind_feed(*, place_id: int, client_id: int | None) -> PlaceInfo:
    """Name the parking system whose key reports this car park's free spaces (None: none)."""
    await _parking(place_id)
    if client_id is not None:
        try:
            client = await api_client_info(client_id=client_id)
        except UnknownApiClient:
            raise InvalidFeedClient(client_id=client_id, reason="no such client") from None
        if not is_feed_client(client):
            raise InvalidFeedClient(client_id=client_id, reason="not an active parking client")
    await Place.update({Place.feed_client_id: client_id}).where(Place.id == place_id)
    return await get_place(place_id=place_id)


async def set_availability(
    *, place_id: int, client_id: int, free_spaces: int, total_spaces: int | None = None
) -> PlaceInfo:
    """Live free spaces from the parking system bound to the car park, and no other."""
    place, kind = await _parking(place_id)
    if place.feed_client_id != client_id:
        raise FeedNotYours(place_id=place_id)
    attributes = {**place.attributes, "free_spaces": free_spaces}
    if total_spaces is not None:
        attributes["total_spaces"] = total_spaces
    check_attributes(kind, attributes)
    await Place.update(
        {
            Place.attributes: msgspec.json.encode(attributes).decode(),
            Place.updated_at: clock.now(),
            Place.revision: await nearby_index.bump(),
        }
    ).where(Place.id == place_id)
    return await get_place(place_id=place_id)


def contains(column: Any, text: str) -> Any:
    """``column`` contains ``text``, ignoring ASCII case (SQLite's LIKE does, PostgreSQL
    needs ILIKE); LIKE's own wildcards in ``text`` are dropped."""
    pattern = "%" + text.replace("%", "").replace("_", "").strip() + "%"
    return column.like(pattern) if is_sqlite() else column.ilike(pattern)


async def list_places(
    *,
    kind: str | None = None,
    cursor: str | None = None,
    limit: int = 50,
    name_contains: str | None = None,
) -> PlacePage:
    """Oldest first, keyset pages."""
    after = decode_cursor(cursor, kind="places")
    query = Place.select().where(Place.deleted.eq(False)).order_by(Place.id).limit(limit + 1)
    if kind:
        query = query.where(Place.kind == kind)
    if name_contains and name_contains.strip():
        query = query.where(contains(Place.name, name_contains))
    if after is not None:
        query = query.where(Place.id > after.id)
    rows = await query
    items = [place_info(row) for row in rows[:limit]]
    next_cursor = (
        encode_cursor(items[-1].created_at, items[-1].id, kind="places")
        if len(rows) > limit
        else None
    )
    return PlacePage(items=items, next_cursor=next_cursor)


class MapPoint(msgspec.Struct, frozen=True, kw_only=True):
    id: int
    kind: str
    name: str
    status: str
    lat: float
    lon: float


async def map_points(*, limit: int) -> list[MapPoint]:
    """Places for a map layer: the few columns it draws, oldest first."""
    rows = (
        await Place.select(Place.id, Place.kind, Place.name, Place.status, Place.lat, Place.lon)
        .where(Place.deleted.eq(False))
        .order_by(Place.id)
        .limit(limit)
    )
    return [MapPoint(**row) for row in rows]


async def index_state() -> int:
    """Which state of the nearby index answers now: the same number, the same answers (for
    the same query and city minute)."""
    return (await nearby_index.current_index()).state


async def nearby(
    *,
    lat: float,
    lon: float,
    kinds: Sequence[str],
    radius_m: float = 1000,
    limit: int = 20,
    accessible: bool = False,
    open_now: bool = False,
) -> Found:
    """The nearest places of ``kinds`` around a WGS-84 point, from the in-process index."""
    geo.validate(lat, lon)
    if not math.isfinite(radius_m) or radius_m <= 0 or radius_m > MAX_RADIUS_M:
        raise NearbyTooFar(max=MAX_RADIUS_M)
    if limit < 1 or limit > MAX_LIMIT:
        raise NearbyLimitTooLarge(max=MAX_LIMIT)
    index = await nearby_index.current_index()
    for kind in kinds:
        if kind not in index.kind_ids:
            await get_kind(kind)  # raises for an unknown kind; a new one has no places yet
    return index.search(
        lat=lat,
        lon=lon,
        kinds=list(kinds),
        radius_m=radius_m,
        limit=limit,
        accessible=accessible,
        open_now=open_now,
        now=clock.city_now(),
    )


async def may_see_place_photo(actor: Actor, place_ref: str, media_id: str) -> bool:
    """A place's photos are public: anyone signed in may see those the place still shows."""
    row = (
        await Place.select(Place.photos)
        .where((Place.id == int(place_ref)) & (Place.deleted == False))  # noqa: E712
        .first()
    )
    return row is not None and media_id in msgspec.json.decode(row["photos"])


register_viewer("place", may_see_place_photo)
