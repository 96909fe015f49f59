"""Duplicate-photo check benchmark alone, on PostgreSQL: the section bench/points.py prints
with ``--photos`` (bench.photo_window: 600,000 photos, real near-copies planted, the plain
check vs the check with the new transforms, interleaved), then the hash-quarter indexes'
anchor: the plain check reading every photo of the window and comparing in Python, as it
did before the indexes.

The database is wiped (public schema dropped and migrated afresh): point it at a scratch
database.

    .venv/bin/python bench/duplicates.py [--database-url postgresql://.../cityops_bench]
                                         [--photos 600000] [--scenes 40] [--rounds 5]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import photo_window  # noqa: E402
from bench.common import ensure_database  # noqa: E402


async def scan_anchor(queries: list[photo_window.Query]) -> None:
    """The plain check through the quarter indexes vs reading every photo."""
    from media import service, similar

    async def timed() -> list[float]:
        times = []
        for query in queries:
            started = time.perf_counter()
            await service.find_similar(phash=query.phash, max_distance=6, limit=50)
            times.append((time.perf_counter() - started) * 1000)
        return times

    indexed = await timed()
    limit = similar.MAX_QUARTER_RADIUS
    similar.MAX_QUARTER_RADIUS = -1  # every distance past it: the read-everything path
    try:
        full = await timed()
    finally:
        similar.MAX_QUARTER_RADIUS = limit
    print(f"find_similar within 6 bits, {len(queries)} checks:")
    print(f"  through the quarter indexes: median {statistics.median(indexed):.1f} ms")
    print(f"  anchor, reading every photo: median {statistics.median(full):.0f} ms")
    print(f"  speed-up: {statistics.median(full) / statistics.median(indexed):.0f}x")


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument(
        "--database-url", default="postgresql://postgres@127.0.0.1:5432/cityops_bench"
    )
    parser.add_argument("--photos", type=int, default=600_000)
    parser.add_argument("--scenes", type=int, default=40)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--scans", type=int, default=3, help="read-everything anchor checks")
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

    await db.open_pool(get_settings())
    try:
        await db.raw("DROP SCHEMA public CASCADE")
        await db.raw("CREATE SCHEMA public")
        await migrate()
        queries = await photo_window.run(
            args.database_url, photos=args.photos, scenes=args.scenes, rounds=args.rounds
        )
        if args.scans:
            await scan_anchor(queries[: args.scans])
    finally:
        await db.close_pool()


if __name__ == "__main__":
    asyncio.run(main())
