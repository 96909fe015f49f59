"""Duplicate-photo check benchmark, on PostgreSQL.

One ``media.find_similar`` call as the points award makes it (within 6 bits, the default
``CITYOPS_POINTS_DUPLICATE_MAX_DISTANCE``) against a 30-day window of 20,000 photos a day
(600,000 photos with random perceptual hashes), through the hash-quarter indexes
(media.similar), side by side with the anchor: the same call reading every photo of the
window and comparing in Python, as it did before the indexes.

Then the check with the new transforms (media.transforms): the plain call plus
``media.find_turned`` with a real photo's 424 probes (8 turns and mirrors x 53 crop windows)
against the 600,000 photos' random 128-bit crop hashes, within 12 bits (the default
``CITYOPS_POINTS_DUPLICATE_TURNED_MAX_DISTANCE``), interleaved with the plain check alone
(A, B, A, B ...), medians and spread per round, and the load average beside them.

The database is wiped (public schema dropped and migrated afresh): point it at a scratch
database.

    .venv/bin/python bench/duplicates.py [--database-url postgresql://.../cityops_bench]
                                         [--photos 600000] [--checks 20]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.common import ensure_database  # noqa: E402

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
)


async def copy_photos(
    url: str, hashes: list[str], tag: str, crops: list[str] | None = None
) -> float:
    """Photos with these hashes, straight into the table (COPY); the seconds it took."""
    import asyncpg

    started = time.perf_counter()
    connection = await asyncpg.connect(url)
    try:
        rows = [
            (f"m_{tag}{i:010d}", "citizen", 1, f"{tag}{i:060x}", phash, crop)
            + ("JPEG", 1, 1, 1, "d", "t")
            for i, (phash, crop) in enumerate(zip(hashes, crops or [""] * len(hashes), strict=True))
        ]
        await connection.copy_records_to_table("media", records=rows, columns=COLUMNS)
        await connection.execute("ANALYZE media")
    finally:
        await connection.close()
    return time.perf_counter() - started


async def timed_checks(queries: list[str], max_distance: int) -> tuple[list[float], int]:
    from media import service

    timings, found = [], 0
    for phash in queries:
        started = time.perf_counter()
        found += len(await service.find_similar(phash=phash, max_distance=max_distance, limit=50))
        timings.append((time.perf_counter() - started) * 1000)
    return timings, found


def photo_probes(seed: int) -> list[str]:
    """The probes of a real photo (tests.helpers.jpeg_bytes), as an upload computes them."""
    from media import images
    from tests.helpers import jpeg_bytes

    return list(images.process(jpeg_bytes(seed=seed)).probes)


async def turned_rounds(rng: random.Random, queries: list[str], rounds: int) -> None:
    """Plain check (A) and plain + turned check (B), interleaved, per round the median."""
    from media import service

    probe_sets = [photo_probes(seed) for seed in range(len(queries))]

    async def plain(i: int) -> int:
        return len(await service.find_similar(phash=queries[i], max_distance=6, limit=50))

    async def turned(i: int) -> int:
        found = await plain(i)
        return found + len(
            await service.find_turned(probes=probe_sets[i], max_distance=12, limit=50)
        )

    medians: dict[str, list[float]] = {"plain": [], "turned": []}
    found = {"plain": 0, "turned": 0}
    for _ in range(rounds):
        for name, check in (("plain", plain), ("turned", turned)):
            times = []
            for i in range(len(queries)):
                started = time.perf_counter()
                found[name] += await check(i)
                times.append((time.perf_counter() - started) * 1000)
            medians[name].append(statistics.median(times))
    load = os.getloadavg()
    print(
        f"plain vs with the new transforms ({len(probe_sets[0])} probes a photo), "
        f"{rounds} interleaved rounds of {len(queries)} checks (matches: {found}):"
    )
    for name, label in (("plain", "plain check (anchor)"), ("turned", "plain + turned")):
        values = medians[name]
        print(
            f"  {label}: median {statistics.median(values):.1f} ms a check "
            f"(round medians {min(values):.1f}-{max(values):.1f} ms)"
        )
    ratio = statistics.median(medians["turned"]) / statistics.median(medians["plain"])
    print(f"  ratio: {ratio:.1f}x the plain check")
    print(f"  load average {load[0]:.2f} {load[1]:.2f} {load[2]:.2f} (machine shared)")


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument(
        "--database-url", default="postgresql://postgres@127.0.0.1:5432/cityops_bench"
    )
    parser.add_argument("--photos", type=int, default=600_000)
    parser.add_argument("--checks", type=int, default=20)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    os.environ.update(
        CITYOPS_DATABASE_URL=args.database_url,
        CITYOPS_JWT_SECRET="bench-jwt-secret-0123456789-0123456789-0123456789",
        CITYOPS_LOG_LEVEL="WARNING",
    )
    await ensure_database(args.database_url)
    from core import db
    from core.schema import migrate
    from core.settings import get_settings
    from media import similar

    await db.open_pool(get_settings())
    try:
        await db.raw("DROP SCHEMA public CASCADE")
        await db.raw("CREATE SCHEMA public")
        await migrate()
        rng = random.Random(1)
        hashes = [f"{rng.getrandbits(64):016x}" for _ in range(args.photos)]
        crops = [f"{rng.getrandbits(128):032x}" for _ in range(args.photos)]
        seconds = await copy_photos(args.database_url, hashes, "many", crops)
        print(f"photos: {args.photos:,} with random hashes, loaded in {seconds:.0f} s")
        queries = [f"{rng.getrandbits(64):016x}" for _ in range(args.checks)]
        # A near twin of each query, so every check finds something.
        twins = [f"{int(q, 16) ^ 0b1010001:016x}" for q in queries]
        await copy_photos(args.database_url, twins, "twin")
        indexed, found = await timed_checks(queries, max_distance=6)
        limit = similar.MAX_QUARTER_RADIUS
        similar.MAX_QUARTER_RADIUS = -1  # every distance past it: the read-everything path
        try:
            anchor_queries = queries[: max(3, args.checks // 4)]
            full, anchor_found = await timed_checks(anchor_queries, max_distance=6)
        finally:
            similar.MAX_QUARTER_RADIUS = limit
        print(f"find_similar within 6 bits, {len(queries)} checks ({found} matches found):")
        print(
            f"  through the quarter indexes: median {statistics.median(indexed):.1f} ms, "
            f"max {max(indexed):.1f} ms"
        )
        print(
            f"  anchor, reading every photo ({len(anchor_queries)} checks, {anchor_found} "
            f"matches): median {statistics.median(full):.0f} ms, max {max(full):.0f} ms"
        )
        print(f"  speed-up: {statistics.median(full) / statistics.median(indexed):.0f}x")
        await turned_rounds(rng, queries, args.rounds)
    finally:
        await db.close_pool()


if __name__ == "__main__":
    asyncio.run(main())
