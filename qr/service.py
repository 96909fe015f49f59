"""Signposts: administration, the scan (signpost + what is near + a report prefill), scan
counts and damage reports. Codes are checked (qr.codes) before any lookup."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Collection, Sequence
from typing import Any

import msgspec

from core import clock
from core.db import is_unique_violation
from core.pagination import decode_cursor, encode_cursor
from org import geo
from org import service as org
from places import service as places
from places.errors import UnknownPlaceKind
from places.found import Found
from qr import cache as signpost_cache
from qr import codes, render, scans
from qr.errors import (
    InvalidSignpost,
    SheetEmpty,
    SheetTooLarge,
    SignpostCodeTaken,
    SignpostNotFound,
)
from qr.tables import Signpost, SignpostDamage, SignpostScan

STATUSES = ("active", "damaged", "removed")
NEAR_KINDS = ("toilet", "parking", "park")
NEAR_RADIUS_M = 2000
NEAR_PER_KIND = 3


class SignpostInfo(msgspec.Struct, frozen=True, kw_only=True):
    id: int
    code: str
    name: str
    kind: str
    lat: float
    lon: float
    grid_id: int | None
    grid_code: str
    status: str
    installed_on: dt.date | None
    created_at: dt.datetime
    updated_at: dt.datetime


class ScanView(msgspec.Struct, frozen=True, kw_only=True):
    signpost: SignpostInfo
    nearby: dict[str, Found]  # kind -> nearest first
    # What the view depends on (the sign, the nearby index's state, the city minute that
    # decides open-now): equal keys, equal views, so callers may memoize what they print.
    key: tuple = ()


_near: dict[tuple, dict[str, Found]] = {}
_NEAR_MAX = 50_000


class ScanDay(msgspec.Struct, frozen=True, kw_only=True):
    day: dt.date
    app: int
    web: int


class DamageReport(msgspec.Struct, frozen=True, kw_only=True):
    id: int
    code: str
    signpost_name: str
    note: str
    channel: str
    reported_at: dt.datetime


def _info(row: dict) -> SignpostInfo:
    return SignpostInfo(
        id=row["id"],
        code=row["code"],
        name=row["name"],
        kind=row["kind"],
        lat=row["lat"],
        lon=row["lon"],
        grid_id=row["grid_id"],
        grid_code=row["grid_code"],
        status=row["status"],
        installed_on=row["installed_on"],
        created_at=clock.as_utc(row["created_at"]),
        updated_at=clock.as_utc(row["updated_at"]),
    )


def check_fields(
    *, name: str | None = None, kind: str | None = None, status: str | None = None
) -> None:
    if name is not None and (not name.strip() or len(name.strip()) > 200):
        raise InvalidSignpost(reason="a name of 1 to 200 characters is required")
    if kind is not None and (not kind.strip() or len(kind) > 32):
        raise InvalidSignpost(reason="a kind of 1 to 32 characters is required")
    if status is not None and status not in STATUSES:
        raise InvalidSignpost(reason=f"status must be one of {', '.join(STATUSES)}")


async def grid_of(lat: float, lon: float, grid_code: str | None) -> tuple[int | None, str]:
    if grid_code:
        grid = await org.get_grid(code=grid_code)
    else:
        grid = await org.locate(lat=lat, lon=lon)
    return (grid.id, grid.code) if grid else (None, "")


async def _row(code: str) -> dict:
    row = await Signpost.select().where(Signpost.code == code).first()
    if row is None:
        raise SignpostNotFound(code=code)
    return row


async def get_signpost(*, code: str) -> SignpostInfo:
    """Raises MalformedCode, CounterfeitCode (422) or SignpostNotFound (404)."""
    return _info(await _row(codes.verify(code)))


async def existing_codes(candidates: Sequence[str]) -> set[str]:
    """Which of ``candidates`` signposts already carry."""
    taken: set[str] = set()
    for start in range(0, len(candidates), 500):
        rows = await Signpost.select(Signpost.code).where(
            Signpost.code.is_in(list(candidates[start : start + 500]))
        )
        taken.update(row["code"] for row in rows)
    return taken


async def unused_codes(count: int, avoid: Collection[str] = ()) -> list[str]:
    """``count`` fresh signed codes no signpost carries and not in ``avoid``. Serials have 25
    bits: minting 20,000 beside a city's 40,000 signs meets a taken one a few dozen times."""
    fresh: list[str] = []
    while len(fresh) < count:
        batch = {codes.new_code() for _ in range(count - len(fresh))}
        batch -= {*avoid, *fresh}
        fresh.extend(batch - await existing_codes(sorted(batch)))
    return fresh


async def create_signpost(
    *,
    name: str,
    lat: float,
    lon: float,
    kind: str = "intersection",
    status: str = "active",
    installed_on: dt.date | None = None,
    grid_code: str | None = None,
    code: str | None = None,
) -> SignpostInfo:
    """A new signpost with a fresh code, or ``code`` when re-registering a printed one."""
    geo.validate(lat, lon)
    check_fields(name=name, kind=kind, status=status)
    code = codes.verify(code) if code else (await unused_codes(1))[0]
    grid_id, grid = await grid_of(lat, lon, grid_code)
    try:
        await Signpost.insert(
            Signpost(
                code=code,
                name=name.strip(),
                kind=kind.strip(),
                lat=lat,
                lon=lon,
                grid_id=grid_id,
                grid_code=grid,
                status=status,
                installed_on=installed_on,
                created_at=clock.now(),
                updated_at=clock.now(),
            )
        )
    except Exception as exc:
        if is_unique_violation(exc):
            raise SignpostCodeTaken(code=code) from None
        raise
    return await get_signpost(code=code)


async def update_signpost(
    *,
    code: str,
    name: str | None = None,
    lat: float | None = None,
    lon: float | None = None,
    kind: str | None = None,
    status: str | None = None,
    installed_on: dt.date | None = None,
    grid_code: str | None = None,
) -> SignpostInfo:
    current = await get_signpost(code=code)
    check_fields(name=name, kind=kind, status=status)
    changes: dict[Any, Any] = {Signpost.updated_at: clock.now()}
    if (lat is None) != (lon is None):
        raise InvalidSignpost(reason="lat and lon change together")
    if lat is not None and lon is not None:
        geo.validate(lat, lon)
        changes[Signpost.lat], changes[Signpost.lon] = lat, lon
    if lat is not None or grid_code is not None:
        changes[Signpost.grid_id], changes[Signpost.grid_code] = await grid_of(
            lat if lat is not None else current.lat,
            lon if lon is not None else current.lon,
            grid_code,
        )
    for column, value in (
        (Signpost.name, name),
        (Signpost.kind, kind),
        (Signpost.status, status),
        (Signpost.installed_on, installed_on),
    ):
        if value is not None:
            changes[column] = value.strip() if isinstance(value, str) else value
    await Signpost.update(changes).where(Signpost.id == current.id)
    return await get_signpost(code=current.code)


async def delete_signpost(*, code: str) -> None:
    """Gone with its scans and damage reports; to keep the history set status removed."""
    current = await get_signpost(code=code)
    await Signpost.delete().where(Signpost.id == current.id)


async def list_signposts(
    *,
    status: str | None = None,
    cursor: str | None = None,
    limit: int = 50,
    name_contains: str | None = None,
) -> tuple[list[SignpostInfo], str | None]:
    after = decode_cursor(cursor, kind="signposts")
    query = Signpost.select().order_by(Signpost.id).limit(limit + 1)
    if status:
        query = query.where(Signpost.status == status)
    if name_contains and name_contains.strip():
        query = query.where(
            places.contains(Signpost.name, name_contains)
            | places.contains(Signpost.code, name_contains)
        )
    if after is not None:
        query = query.where(Signpost.id > after.id)
    rows = await query
    items = [_info(row) for row in rows[:limit]]
    next_cursor = (
        encode_cursor(items[-1].created_at, items[-1].id, kind="signposts")
        if len(rows) > limit
        else None
    )
    return items, next_cursor


SHEET_MAX = 240


async def sheet_pdf(*, sign_codes: Sequence[str], label: bool) -> bytes:
    """A printable PDF of the signs' QR codes (with their names when ``label``);
    SheetTooLarge past SHEET_MAX, SignpostNotFound for an unknown code."""
    if not sign_codes:
        raise SheetEmpty()
    if len(sign_codes) > SHEET_MAX:
        raise SheetTooLarge(max=SHEET_MAX)
    items = []
    for code in sign_codes:
        sign = await get_signpost(code=code)
        items.append((codes.url_of(sign.code), sign.name if label else ""))
    return render.sheet_pdf(items)


async def scan(*, code: str, channel: str) -> ScanView:
    """What a passer-by sees after scanning; the scan is counted (time, sign, channel) in
    memory (qr.scans) and the signpost read from process memory (qr.cache): no database
    write, and no read at all once the sign is cached. A removed sign is withdrawn: its
    code is refused as unknown (SignpostNotFound), like a deleted one."""
    code = codes.verify(code)
    signpost = await signpost_cache.lookup(code, _info)
    if signpost is None or signpost.status == "removed":
        raise SignpostNotFound(code=code)
    scans.note(signpost.id, channel)
    minute = clock.city_now().replace(second=0, microsecond=0)
    key = (signpost, await places.index_state(), minute)
    near_key = (signpost.lat, signpost.lon, *key[1:])
    near = _near.get(near_key)
    if near is None:
        near = await _nearby_of(signpost)
        if len(_near) >= _NEAR_MAX:
            _near.clear()
        _near[near_key] = near
    return ScanView(signpost=signpost, nearby=near, key=key)


async def _nearby_of(signpost: SignpostInfo) -> dict[str, Found]:
    near = {}
    for kind in NEAR_KINDS:
        try:
            near[kind] = await places.nearby(
                lat=signpost.lat,
                lon=signpost.lon,
                kinds=[kind],
                radius_m=NEAR_RADIUS_M,
                limit=NEAR_PER_KIND,
            )
        except UnknownPlaceKind:
            near[kind] = Found.empty()  # an installation that deleted a seeded kind
    return near


async def scans_per_day(*, code: str, days: int = 30) -> list[ScanDay]:
    """Scans of the last ``days`` city days, oldest first, days without scans included
    (with the scans this process has counted but not yet written)."""
    signpost = await get_signpost(code=code)
    await scans.flush()
    first = clock.city_now().date() - dt.timedelta(days=days - 1)
    since = clock.start_of_city_day(clock.now() - dt.timedelta(days=days - 1))
    rows = await SignpostScan.select(SignpostScan.channel, SignpostScan.scanned_at).where(
        (SignpostScan.signpost == signpost.id) & (SignpostScan.scanned_at >= since)
    )
    counts: dict[dt.date, dict[str, int]] = defaultdict(lambda: {"app": 0, "web": 0})
    zone = clock.city_zone()
    for row in rows:
        day = clock.as_utc(row["scanned_at"]).astimezone(zone).date()
        counts[day][row["channel"]] += 1
    return [
        ScanDay(day=first + dt.timedelta(days=i), **counts[first + dt.timedelta(days=i)])
        for i in range(days)
    ]


async def report_damage(*, code: str, note: str, channel: str) -> None:
    signpost = await get_signpost(code=code)
    if len(note) > 500:
        raise InvalidSignpost(reason="the note is longer than 500 characters")
    await SignpostDamage.insert(
        SignpostDamage(
            signpost=signpost.id, note=note.strip(), channel=channel, reported_at=clock.now()
        )
    )


async def damage_reports(*, code: str | None = None, limit: int = 100) -> list[DamageReport]:
    query = (
        SignpostDamage.select(
            SignpostDamage.id,
            SignpostDamage.note,
            SignpostDamage.channel,
            SignpostDamage.reported_at,
            SignpostDamage.signpost.code,
            SignpostDamage.signpost.name,
        )
        .order_by(SignpostDamage.id, ascending=False)
        .limit(limit)
    )
    if code:
        query = query.where(SignpostDamage.signpost == (await get_signpost(code=code)).id)
    return [
        DamageReport(
            id=row["id"],
            code=row["signpost.code"],
            signpost_name=row["signpost.name"],
            note=row["note"],
            channel=row["channel"],
            reported_at=clock.as_utc(row["reported_at"]),
        )
        for row in await query
    ]
