"""The duplicate-photo check over a 30-day window of photos on PostgreSQL, with real
near-copies planted in it. Shared by bench/points.py (``--photos``) and bench/duplicates.py.

The window: ``photos`` rows with random 64-bit plain hashes and 128-bit crop hashes, loaded
with COPY, uploaded over the last 30 days and attached to cases. Planted among them: for each
of ``scenes`` street scenes drawn with Pillow (bench.scenes), its mirrored, flipped, turned
(90/180/270), cropped (95/90/85/80 %, and 85 % turned and mirrored) and resized copies,
JPEG-encoded and hashed by the upload's own code (``media.images.process``), stored as
photos of other reports.

The lookups are the points award's (points.earning.duplicate_photo): the original of each
planted scene, and as many scenes never planted, each by the plain check alone (A:
``find_similar`` within ``CITYOPS_POINTS_DUPLICATE_MAX_DISTANCE``) and by the check with the
new transforms (B: the same plus ``find_turned`` with the photo's probes within
``CITYOPS_POINTS_DUPLICATE_TURNED_MAX_DISTANCE``), interleaved A, B, A, B for ``rounds``
rounds: round medians, their spread and the load average; and what each check found: the
planted copies of each kind it caught, and its false hits (another scene's copy or a random
photo, for planted and unplanted queries alike)."""

from __future__ import annotations

import datetime as dt
import io
import os
import random
import statistics
import time
from dataclasses import dataclass

COLUMNS = (
    "public_id",
    "owner_kind",
    "owner_id",
    "sha256",
    "phash",
    "crop_hash",
    "format",
    "width",
    "height",
    "size_bytes",
    "display_key",
    "thumb_key",
    "uploaded_at",
    "attached_to",
)
WINDOW_DAYS = 30
COPY_CHUNK = 50_000  # rows per COPY: 600,000 tuples at once would hold ~400 MB
UNPLANTED_SEED = 100_000  # scene seeds of the queries never planted: far from the planted ones
WIDE = 12  # also shown, untimed: what the turned check would find within this many bits


@dataclass(frozen=True)
class Query:
    scene: int | None  # the planted scene whose photos it should find; None: never planted
    kind: str  # ORIGINAL, a kind of copy (bench.scenes.copies), or "" if never planted
    phash: str
    probes: list[str]


@dataclass(frozen=True)
class Planted:
    queries: list[Query]
    kinds: dict[str, tuple[int, str]]  # public id of a planted photo -> (scene, its kind)
    seconds: float  # drawing and hashing


ORIGINAL = "original"


def _row(tag: str, i: int, phash: str, crop: str, uploaded: dt.datetime) -> tuple:
    return (
        f"m_{tag}{i:010d}",
        "citizen",
        1 + i % 5000,
        f"{tag}{i:0{64 - len(tag)}x}",
        phash,
        crop,
        "JPEG",
        1,
        1,
        1,
        "d",
        "t",
        uploaded,
        f"case:{i + 1}",
    )


async def copy_rows(url: str, rows) -> None:
    """Rows (``_row``) straight into the media table, COPY_CHUNK at a time."""
    import asyncpg

    connection = await asyncpg.connect(url)
    try:
        chunk: list[tuple] = []
        for row in rows:
            chunk.append(row)
            if len(chunk) == COPY_CHUNK:
                await connection.copy_records_to_table("media", records=chunk, columns=COLUMNS)
                chunk = []
        if chunk:
            await connection.copy_records_to_table("media", records=chunk, columns=COLUMNS)
        await connection.execute("ANALYZE media")
    finally:
        await connection.close()


def random_rows(rng: random.Random, count: int, now: dt.datetime):
    """Photos of the window with random hashes, uploaded at random times within it."""
    span = WINDOW_DAYS * 86_400 - 3600  # an hour inside the window's start
    for i in range(count):
        uploaded = now - dt.timedelta(seconds=rng.randrange(span))
        phash, crop = f"{rng.getrandbits(64):016x}", f"{rng.getrandbits(128):032x}"
        yield _row("many", i, phash, crop, uploaded)


def _hashed(image, quality: int):
    from media import images

    out = io.BytesIO()
    image.save(out, "JPEG", quality=quality)
    return images.process(out.getvalue())


def plant(scenes: int, now: dt.datetime) -> tuple[list[tuple], Planted]:
    """The planted photos' rows (each scene's original and its copies, as photos of
    different reports) and the queries: every one of them (an original should find its
    copies; a copy its original: a crop only this way, as the probes look for the earlier
    photo's centre inside the new one), then as many scenes never planted."""
    from bench.scenes import copies, scene

    started = time.perf_counter()
    rng = random.Random(7)
    rows, kinds, queries = [], {}, []
    for index in range(scenes):
        image = scene(index)
        for kind, copy in {ORIGINAL: image, **copies(image, rng)}.items():
            hashed = _hashed(copy, 90 if kind == ORIGINAL else 75)
            uploaded = now - dt.timedelta(days=rng.uniform(0, WINDOW_DAYS - 1))
            row = _row("plant", len(rows), hashed.phash, hashed.crop_hash, uploaded)
            rows.append(row)
            kinds[row[0]] = (index, kind)
            queries.append(Query(index, kind, hashed.phash, list(hashed.probes)))
    for index in range(scenes):
        other = _hashed(scene(UNPLANTED_SEED + index), 90)
        queries.append(Query(None, "", other.phash, list(other.probes)))
    return rows, Planted(queries, kinds, time.perf_counter() - started)


def _checks():
    """The award's duplicate check without and with the new transforms, and the latter
    within WIDE bits (untimed: to tell a copy no piece index leads to from a farther one)."""
    from core import clock
    from core.settings import get_settings
    from media import service

    settings = get_settings()
    since = clock.now() - dt.timedelta(days=settings.points_duplicate_window_days)

    async def plain(query: Query) -> list[str]:
        found = await service.find_similar(
            phash=query.phash,
            since=since,
            max_distance=settings.points_duplicate_max_distance,
            limit=50,
        )
        return [media.public_id for media, _ in found]

    async def turned(query: Query, distance: int | None = None) -> list[str]:
        found = await service.find_turned(
            probes=query.probes,
            since=since,
            max_distance=distance or settings.points_duplicate_turned_max_distance,
            limit=50,
        )
        return await plain(query) + [media.public_id for media, _ in found]

    async def wide(query: Query) -> list[str]:
        return await turned(query, WIDE)

    return plain, turned, wide


async def _rounds(queries: list[Query], rounds: int) -> tuple[dict, dict]:
    """Round medians (ms a lookup) and the first round's finds, per check, interleaved."""
    plain, turned, wide = _checks()
    checks = {"plain": plain, "turned": turned}
    medians: dict[str, list[float]] = {name: [] for name in checks}
    finds: dict[str, list[list[str]]] = {}
    for name, check in checks.items():  # warm-up: the index pages into the cache for both
        finds[name] = [await check(query) for query in queries]
    finds["wide"] = [await wide(query) for query in queries]
    for _ in range(rounds):
        for name, check in checks.items():
            times = []
            for query in queries:
                started = time.perf_counter()
                await check(query)
                times.append((time.perf_counter() - started) * 1000)
            medians[name].append(statistics.median(times))
    return medians, finds


def _tally(planted: Planted, per_query: list[list[str]]) -> tuple[dict, dict, dict]:
    """Per kind of copy: originals that found it, and copies of it that found their original;
    false hits (another scene's photo or a random one) for planted and unplanted queries."""
    forward: dict[str, int] = {}
    back: dict[str, int] = {}
    false = {"planted": 0, "unplanted": 0, "random": 0, "queries": 0}
    for query, found in zip(planted.queries, per_query, strict=True):
        ours = [p for p in set(found) if planted.kinds.get(p, (-1,))[0] == query.scene]
        mine = {planted.kinds[p][1] for p in ours}
        wrong = len(set(found)) - len(ours)
        false["planted" if query.kind else "unplanted"] += wrong
        false["queries"] += wrong > 0
        false["random"] += sum(p not in planted.kinds for p in set(found))
        if query.kind == ORIGINAL:
            for kind in mine - {ORIGINAL}:
                forward[kind] = forward.get(kind, 0) + 1
        elif query.kind and ORIGINAL in mine:
            back[query.kind] = back.get(query.kind, 0) + 1
    return forward, back, false


def _line(first: str, cells: list[str]) -> None:
    """A row of the finds table: both directions, three checks each."""
    half = len(cells) // 2
    left, right = ("".join(f"{c:>12s}" for c in part) for part in (cells[:half], cells[half:]))
    print(f"  {first:26s}{left}  |{right}")


def _print_finds(planted: Planted, finds: dict[str, list[list[str]]], limits: tuple) -> None:
    names = {
        "plain": f"plain {limits[0]}",
        "turned": f"+turned {limits[1]}",
        "wide": f"+turned {WIDE}",
    }
    tallies = {name: _tally(planted, per_query) for name, per_query in finds.items()}
    scenes = sum(query.kind == ORIGINAL for query in planted.queries)
    kinds = list(dict.fromkeys(k for _, k in planted.kinds.values() if k != ORIGINAL))
    print(
        f"planted copies found ({scenes} scenes; bits within): original -> its stored copy "
        "| copy -> its stored original (the award's case: the later photo is the copy)"
    )
    heads = list(names.values())
    _line("kind", heads + heads)
    for kind in [*kinds, "all"]:
        of = scenes * (len(kinds) if kind == "all" else 1)
        cells = []
        for side in (0, 1):
            for name in names:
                counts = tallies[name][side]
                got = sum(counts.values()) if kind == "all" else counts.get(kind, 0)
                cells.append(f"{got}/{of}")
        _line(kind, cells)
    unplanted = len(planted.queries) - len(planted.kinds)
    for name, label in names.items():
        false = tallies[name][2]
        print(
            f"  false hits, {label} bits: {false['planted']} for {len(planted.kinds)} planted "
            f"queries, {false['unplanted']} for {unplanted} unplanted ({false['queries']} "
            f"queries with any; {false['random']} of them random photos, the rest other "
            "scenes' planted photos)"
        )


def _print_times(medians: dict[str, list[float]], queries: int, probes: int) -> None:
    rounds = len(medians["plain"])
    print(
        f"lookup time, {rounds} interleaved rounds (A, B, A, B ...) of {queries} lookups "
        f"(~{probes} probes a photo for the turned check):"
    )
    for name, label in (("plain", "A plain check (anchor)"), ("turned", "B plain + turned")):
        values = medians[name]
        print(
            f"  {label:24s} median {statistics.median(values):6.1f} ms a lookup "
            f"(round medians {min(values):.1f}-{max(values):.1f} ms)"
        )
    ratio = statistics.median(medians["turned"]) / statistics.median(medians["plain"])
    load = os.getloadavg()
    print(f"  ratio B/A: {ratio:.1f}x")
    print(f"  load average {load[0]:.2f} {load[1]:.2f} {load[2]:.2f} (2 cores, shared)")


async def run(url: str, *, photos: int, scenes: int, rounds: int) -> list[Query]:
    """Seed the window into the (migrated, empty) media table, plant, look up, print; the
    queries. The app's database pool must be open."""
    from core import clock
    from core.settings import get_settings

    settings = get_settings()
    now = clock.now()
    started = time.perf_counter()
    await copy_rows(url, random_rows(random.Random(1), photos, now))
    seeded = time.perf_counter() - started
    rows, planted = plant(scenes, now)
    await copy_rows(url, rows)
    print(
        f"Duplicate-photo check over a {WINDOW_DAYS}-day window: {photos:,} photos with random "
        f"hashes (COPY with the indexes in place: {seeded:.0f} s) + {len(rows)} planted photos: "
        f"{scenes} scenes, the original and {len(rows) // scenes - 1} copies of each (drawn and "
        f"hashed by media.images.process in {planted.seconds:.0f} s)"
    )
    medians, finds = await _rounds(planted.queries, max(rounds, 3))
    limits = (
        settings.points_duplicate_max_distance,
        settings.points_duplicate_turned_max_distance,
    )
    _print_finds(planted, finds, limits)
    probes = round(statistics.mean(len(query.probes) for query in planted.queries))
    _print_times(medians, len(planted.queries), probes)
    return planted.queries
