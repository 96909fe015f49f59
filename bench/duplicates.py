"""Duplicate-photo check benchmark, on PostgreSQL.

One ``media.find_similar`` call as the points award makes it (within 6 bits, the default
``CITYOPS_POINTS_DUPLICATE_MAX_DISTANCE``) against a 30-day window of 20,000 photos a day
(600,000 photos with random perceptual hashes), through the hash-quarter indexes
(media.similar), side by side with the anchor: the same call reading every photo of the
window and comparing in Python, as it did before the indexes.

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
    "format",
    "width",
    "height",
    "size_bytes",
    "display_key",
    "thumb_key",
)


async def copy_photos(url: str, hashes: list[str], tag: str) -> float:
    """Photos with these hashes, straight into the table (COPY); the seconds it took."""
    import asyncpg

    started = time.perf_counter()
    connection = await asyncpg.connect(url)
    try:
        rows = [
            (f"m_{tag}{i:010d}", "citizen", 1, f"{tag}{i:060x}", phash)
            + ("JPEG", 1, 1, 1, "d", "t")
            for i, phash in enumerate(hashes)
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


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument(
        "--database-url", default="postgresql://postgres@127.0.0.1:5432/cityops_bench"
    )
    parser.add_argument("--photos", type=int, default=600_000)
    parser.add_argument("--checks", type=int, default=20)
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
        seconds = await copy_photos(args.database_url, hashes, "many")
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
    finally:
        await db.close_pool()


if __name__ == "__main__":
    asyncio.run(main())
