"""What asyncpg's per-release connection reset costs: a pool whose connections are reset
with the default query (``pg_advisory_unlock_all(); CLOSE ALL; UNLISTEN *; RESET ALL``, a
round trip each time a connection goes back) against the app's pool (core.db.keep_session:
no query; an open transaction is still rolled back). Each side: 8 tasks, each acquiring a
connection, running one short statement (what a cached request does: a version stamp
read) and releasing it, for --seconds; interleaved A,B,A,B for --rounds; medians and
spread (min-max), with the machine's load average (2 shared cores).

    .venv/bin/python bench/pool_reset.py [--database-url URL] [--rounds 5] [--seconds 3]
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

from core.db import keep_session  # noqa: E402


async def rate(url: str, reset, seconds: float) -> float:
    import asyncpg

    kwargs = {"reset": reset} if reset is not None else {}
    pool = await asyncpg.create_pool(url, min_size=8, max_size=8, **kwargs)
    done = 0
    stop = time.monotonic() + seconds

    async def worker() -> None:
        nonlocal done
        while time.monotonic() < stop:
            async with pool.acquire() as connection:
                await connection.fetchval("SELECT version FROM version_stamp LIMIT 1")
            done += 1

    try:
        await asyncio.gather(*[worker() for _ in range(8)])
    finally:
        await pool.close()
    return done / seconds


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument(
        "--database-url", default="postgresql://postgres@127.0.0.1:5432/scratch_speed"
    )
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--seconds", type=float, default=3)
    args = parser.parse_args()
    print(f"load average before: {os.getloadavg()} (2 cores shared with other engineers)")
    sides = {"default reset": None, "keep_session": keep_session}
    found: dict[str, list[float]] = {name: [] for name in sides}
    await rate(args.database_url, None, 0.5)  # warm-up
    for _ in range(args.rounds):
        for name, reset in sides.items():
            found[name].append(await rate(args.database_url, reset, args.seconds))
    for name, values in found.items():
        print(
            f"{name:14} {statistics.median(values):8.0f} acquire+query+release/s "
            f"(spread {min(values):.0f}-{max(values):.0f})"
        )
    ratios = [b / a for a, b in zip(*found.values(), strict=True)]
    print(
        f"keep_session / default, per round: median {statistics.median(ratios):.2f} "
        f"(spread {min(ratios):.2f}-{max(ratios):.2f})"
    )
    print(f"load average after: {os.getloadavg()}")


if __name__ == "__main__":
    asyncio.run(main())
