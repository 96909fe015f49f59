"""Patrols: start, GPS track batches, end, and the summary of what the patrol covered.

Track batches are written with one INSERT ... SELECT over a JSON array, whatever their
size: a thousand fixes cost one round trip, and ``ON CONFLICT (slot) DO NOTHING`` drops the
fixes a retried batch (or an overlapping one) already delivered.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Sequence
from typing import Any

import msgspec

from cases import inspector_stats
from core import clock
from core.actors import Actor
from core.db import is_sqlite, lock, raw
from core.ids import public_id
from org import geo, grids
from patrols import duties, errors, track
from patrols.tables import Patrol, PatrolFix

ACTIVE, ENDED = "active", "ended"
MAX_BATCH = 1000
# Phones' clocks drift; a fix a few minutes "ahead" is a slow server clock, not a lie.
CLOCK_SKEW = dt.timedelta(minutes=5)
MAX_ACCURACY_M = 10_000.0


class TrackFix(msgspec.Struct, frozen=True):
    at: dt.datetime  # device time
    lat: float
    lon: float
    accuracy: float | None = None


class TrackResult(msgspec.Struct, frozen=True, kw_only=True):
    accepted: int
    duplicates: int
    total: int


class GridCoverage(msgspec.Struct, frozen=True, kw_only=True):
    grid_id: int
    code: str
    name: str
    share: float


class PatrolSummary(msgspec.Struct, frozen=True, kw_only=True):
    duration_s: int
    distance_m: float
    fixes: int
    dropped_fixes: int
    grids: list[GridCoverage]
    cases_reported: list[str]


def check_not_future(value: dt.datetime | None, field: str) -> None:
    if value is not None and clock.as_utc(value) > clock.now() + CLOCK_SKEW:
        raise errors.TimeInFuture(field=field)


def _require_inspector(actor: Actor) -> None:
    if not actor.has_role("inspector"):
        raise errors.PatrolRoleRequired()


async def _mine(actor: Actor, patrol_id: str) -> Patrol:
    patrol = await Patrol.objects().where(Patrol.public_id == patrol_id).first()
    if patrol is None or patrol.staff_id != actor.id:
        raise errors.PatrolNotFound()  # another inspector's patrol looks like no patrol
    return patrol


def _ms(moment: dt.datetime) -> int:
    return int(clock.as_utc(moment).timestamp() * 1000)


async def _insert_fixes(patrol_id: int, fixes: Sequence[tuple[int, float, float, Any]]) -> int:
    if not fixes:
        return 0
    payload = msgspec.json.encode(
        [{"t": t, "lat": lat, "lon": lon, "acc": acc} for t, lat, lon, acc in fixes]
    ).decode()
    prefix = f"{patrol_id}:"
    if is_sqlite():
        sql = (
            "INSERT INTO patrol_fix (patrol, t_ms, lat, lon, accuracy, slot) "
            "SELECT {}, json_extract(value, '$.t'), json_extract(value, '$.lat'), "
            "json_extract(value, '$.lon'), json_extract(value, '$.acc'), "
            "{} || json_extract(value, '$.t') FROM json_each({}) WHERE true "
            "ON CONFLICT (slot) DO NOTHING RETURNING id"
        )
    else:
        # Count in the database: a thousand ids need not travel back to be counted.
        sql = (
            "WITH added AS (INSERT INTO patrol_fix (patrol, t_ms, lat, lon, accuracy, slot) "
            "SELECT {}, x.t, x.lat, x.lon, x.acc, {}::text || x.t::text "
            "FROM json_to_recordset({}::json) AS x(t bigint, lat float8, lon float8, "
            "acc float8) ON CONFLICT (slot) DO NOTHING RETURNING 1) "
            "SELECT count(*) AS n FROM added"
        )
        return (await raw(sql, patrol_id, prefix, payload))[0]["n"]
    return len(await raw(sql, patrol_id, prefix, payload))


def _clean(fixes: Sequence[TrackFix], coord_sys: str) -> list[tuple[int, float, float, Any]]:
    """Validated fixes as (t_ms, lat, lon, accuracy) in WGS-84, first of each device time."""
    limit = clock.now() + CLOCK_SKEW
    seen: set[int] = set()
    rows = []
    for index, fix in enumerate(fixes):
        lat, lon = fix.lat, fix.lon
        if not (math.isfinite(lat) and math.isfinite(lon)) or not (
            -90 <= lat <= 90 and -180 <= lon <= 180
        ):
            raise errors.InvalidFix(index=index, reason="latitude/longitude out of range")
        if lat == 0 and lon == 0:  # "null island": a phone without a fix
            raise errors.InvalidFix(index=index, reason="0,0 is not a position")
        if fix.accuracy is not None and not 0 <= fix.accuracy <= MAX_ACCURACY_M:
            raise errors.InvalidFix(index=index, reason="accuracy must be 0-10000 m")
        if clock.as_utc(fix.at) > limit:
            raise errors.InvalidFix(index=index, reason="time is in the future")
        t_ms = _ms(fix.at)
        if t_ms in seen:
            continue
        seen.add(t_ms)
        if coord_sys != "wgs84":
            lat, lon = geo.to_wgs84(lat, lon, coord_sys)
        rows.append((t_ms, lat, lon, fix.accuracy))
    return rows


async def start_patrol(
    *,
    actor: Actor,
    lat: float | None = None,
    lon: float | None = None,
    occurred_at: dt.datetime | None = None,
) -> Patrol:
    """Start a patrol at a WGS-84 position. One patrol runs at a time per inspector."""
    _require_inspector(actor)
    check_not_future(occurred_at, "occurredAt")
    if lat is not None and lon is not None:
        geo.validate(lat, lon)
    await lock(f"patrol-start:{actor.id}")
    running = (
        await Patrol.select(Patrol.public_id)
        .where((Patrol.staff_id == actor.id) & (Patrol.state == ACTIVE))
        .first()
    )
    if running is not None:
        raise errors.PatrolAlreadyActive(patrol_id=running["public_id"])
    now = clock.now()
    patrol = Patrol(
        public_id=public_id("p"),
        staff_id=actor.id,
        state=ACTIVE,
        started_at=now,
        started_occurred_at=occurred_at,
        start_lat=lat,
        start_lon=lon,
        updated_at=now,
    )
    await patrol.save()
    if lat is not None and lon is not None:
        added = await _insert_fixes(patrol.id, [(_ms(occurred_at or now), lat, lon, None)])
        await Patrol.update({Patrol.fix_count: added}).where(Patrol.id == patrol.id)
        patrol.fix_count = added
    return patrol


async def record_track(
    *, actor: Actor, patrol_id: str, fixes: Sequence[TrackFix], coord_sys: str = "wgs84"
) -> TrackResult:
    """Add a batch of fixes in any order; fixes already stored (same device time) are
    ignored, so a resent batch changes nothing."""
    if len(fixes) > MAX_BATCH:
        raise errors.TrackBatchTooLarge(limit=MAX_BATCH)
    rows = _clean(fixes, coord_sys)
    patrol = await _mine(actor, patrol_id)
    await lock(f"patrol:{patrol.id}")  # an end racing this batch waits for it
    state = await Patrol.select(Patrol.state, Patrol.ended_at).where(Patrol.id == patrol.id).first()
    if state["state"] == ENDED:
        raise errors.PatrolEnded(ended_at=clock.as_utc(state["ended_at"]).isoformat())
    added = await _insert_fixes(patrol.id, rows)
    updated = (
        await Patrol.update(
            {Patrol.fix_count: Patrol.fix_count + added, Patrol.updated_at: clock.now()}
        )
        .where(Patrol.id == patrol.id)
        .returning(Patrol.fix_count)
    )
    return TrackResult(accepted=added, duplicates=len(fixes) - added, total=updated[0]["fix_count"])


async def patrol_fixes(patrol: Patrol) -> list[track.Fix]:
    rows = await PatrolFix.select(PatrolFix.t_ms, PatrolFix.lat, PatrolFix.lon).where(
        PatrolFix.patrol == patrol.id
    )
    return [track.Fix(row["t_ms"], row["lat"], row["lon"]) for row in rows]


def _span(
    patrol: Patrol, ended_at: dt.datetime, ended_occurred_at: dt.datetime | None
) -> tuple[dt.datetime, dt.datetime]:
    if patrol.started_occurred_at is not None and ended_occurred_at is not None:
        return clock.as_utc(patrol.started_occurred_at), clock.as_utc(ended_occurred_at)
    return clock.as_utc(patrol.started_at), clock.as_utc(ended_at)


async def assigned_grid_shapes(
    *, staff_id: int, since: dt.datetime, until: dt.datetime
) -> dict[int, tuple[grids.GridInfo, Any]]:
    """The grids a patrol answers for: those of duties in its window, else all the
    inspector's grids."""
    grid_ids = await duties.duty_grid_ids(staff_id=staff_id, since=since, until=until)
    if not grid_ids:
        grid_ids = await grids.inspector_grid_ids(staff_id=staff_id)
    return await grid_shapes(grid_ids)


async def grid_shapes(grid_ids: Sequence[int]) -> dict[int, tuple[grids.GridInfo, Any]]:
    """Grid info and WGS-84 shape by id, from the grid index (active grids only)."""
    index = await grids.grid_index()
    if index.tree is None:
        return {}
    wanted = set(grid_ids)
    shapes = index.tree.geometries
    return {info.id: (info, shapes[i]) for i, info in enumerate(index.grids) if info.id in wanted}


async def _summarise(
    patrol: Patrol, ended_at: dt.datetime, ended_occurred_at: dt.datetime | None
) -> tuple[PatrolSummary, str]:
    runs, dropped = track.segments(await patrol_fixes(patrol))
    geometry = track.track_geometry(runs)
    start, end = _span(patrol, ended_at, ended_occurred_at)
    assigned = await assigned_grid_shapes(
        staff_id=patrol.staff_id, since=clock.as_utc(patrol.started_at), until=ended_at
    )
    covered = track.covered_area(geometry)
    shares = track.coverage([covered], {gid: shape for gid, (_, shape) in assigned.items()})
    reported = await inspector_stats.reported_between(
        staff_id=patrol.staff_id, since=clock.as_utc(patrol.started_at), until=ended_at
    )
    summary = PatrolSummary(
        duration_s=max(0, int((end - start).total_seconds())),
        distance_m=round(sum(track.run_length_m(run) for run in runs), 1),
        fixes=sum(len(run) for run in runs) + dropped,
        dropped_fixes=dropped,
        grids=[
            GridCoverage(grid_id=gid, code=info.code, name=info.name, share=shares[gid])
            for gid, (info, _) in sorted(assigned.items(), key=lambda kv: kv[1][0].code)
        ],
        cases_reported=reported,
    )
    return summary, track.to_geojson(covered)


async def end_patrol(
    *,
    actor: Actor,
    patrol_id: str,
    lat: float | None = None,
    lon: float | None = None,
    occurred_at: dt.datetime | None = None,
) -> tuple[Patrol, PatrolSummary]:
    check_not_future(occurred_at, "occurredAt")
    if lat is not None and lon is not None:
        geo.validate(lat, lon)
    patrol = await _mine(actor, patrol_id)
    await lock(f"patrol:{patrol.id}")
    patrol = await _mine(actor, patrol_id)
    if patrol.state == ENDED:
        raise errors.PatrolEnded(ended_at=clock.as_utc(patrol.ended_at).isoformat())
    now = clock.now()
    if lat is not None and lon is not None:
        patrol.fix_count += await _insert_fixes(
            patrol.id, [(_ms(occurred_at or now), lat, lon, None)]
        )
    summary, geojson = await _summarise(patrol, now, occurred_at)
    values = {
        "state": ENDED,
        "ended_at": now,
        "ended_occurred_at": occurred_at,
        "summary": msgspec.json.encode(summary).decode(),
        "covered": geojson,
        "distance_m": summary.distance_m,
        "fix_count": patrol.fix_count,
        "updated_at": now,
    }
    await Patrol.update({getattr(Patrol, k): v for k, v in values.items()}).where(
        Patrol.id == patrol.id
    )
    for key, value in values.items():
        setattr(patrol, key, value)
    return patrol, summary


async def get_patrol(*, actor: Actor, patrol_id: str) -> tuple[Patrol, PatrolSummary]:
    """A patrol with its summary: stored once ended, computed live while it runs."""
    patrol = await _mine(actor, patrol_id)
    if patrol.state == ENDED and patrol.summary:
        return patrol, msgspec.json.decode(patrol.summary, type=PatrolSummary)
    summary, _ = await _summarise(patrol, clock.now(), None)
    return patrol, summary


async def my_patrols(*, actor: Actor, limit: int = 20) -> list[Patrol]:
    return (
        await Patrol.objects()
        .where(Patrol.staff_id == actor.id)
        .order_by(Patrol.started_at, ascending=False)
        .order_by(Patrol.id, ascending=False)
        .limit(max(1, min(limit, 100)))
    )


async def ended_patrols(*, staff_id: int, since: dt.datetime, until: dt.datetime) -> list[Patrol]:
    return await Patrol.objects().where(
        (Patrol.staff_id == staff_id)
        & (Patrol.state == ENDED)
        & (Patrol.ended_at >= since)
        & (Patrol.ended_at < until)
    )
