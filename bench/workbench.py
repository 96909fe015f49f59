"""Workbench benchmark, on PostgreSQL: the case queue page with 100,000 open cases in scope.

Builds the cases as bench/stats.py does (one INSERT over generate_series, areas and
inspectors from bench/stats_seed.py), turns every one of them into an open case (reported,
accepted or dispatched), ANALYZEs, and then times in the same run, interleaved A, B, C for
``--rounds`` rounds after a warm-up, through the app in-process (server time: routing,
guard, queries, rendering; no network):
- A (anchor): ``GET /api/admin/cases?limit=50`` with the filter, the plain list query as
  the API serves it, with a Bearer token,
- B: ``GET /workbench/queue`` with the same filter, the full page (cookie session, CSRF
  cookie, Jinja), 50 rows,
- C: the same with ``HX-Request: true``, the rows partial htmx swaps in.
For each filter it prints medians, the spread (min..max), B/A and C/A, and the load average
before and after: the machine is shared with other work, so the ratio to the anchor is what
carries over. Target: the queue page within 300 ms server time.

The database is wiped (public schema dropped and migrated afresh): point it at a scratch
database. It is created if missing.

    .venv/bin/python bench/workbench.py [--database-url URL] [--cases 100000] [--rounds 15]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import re
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

DEFAULT_URL = "postgresql://postgres@127.0.0.1:5432/scratch_wb"
PASSWORD = "bench-password-1"
FILTERS = {
    "no filter (newest first)": {},
    "state=dispatched": {"state": "dispatched"},
    "source=camera&category=E0102": {"source": "camera", "category": "E0102"},
}
OPEN = """
UPDATE case_file SET
  state = (ARRAY['reported', 'accepted', 'dispatched'])[1 + id % 3],
  resolved_at = NULL, closed_at = NULL, ended_at = NULL, rating = NULL
"""


def _load(values: tuple[float, float, float]) -> str:
    return "/".join(f"{v:.2f}" for v in values)


async def _seed(cases: int) -> tuple[int, float]:
    import asyncpg

    from accounts.passwords import hash_new_password
    from accounts.service import create_staff
    from bench.stats import fresh_cases
    from core import db
    from core.settings import get_settings

    started = time.perf_counter()
    await fresh_cases(cases)
    seeder = await asyncpg.connect(get_settings().database_url)
    await seeder.execute(OPEN)
    await seeder.close()
    await db.raw("ANALYZE")
    async with db.transaction():
        await create_staff(
            username="bench-admin", password_hash=await hash_new_password(PASSWORD), role="admin"
        )
    opened = (
        await db.raw(
            "SELECT count(*) AS n FROM case_file WHERE state IN "
            "('reported', 'accepted', 'dispatched')"
        )
    )[0]["n"]
    return opened, time.perf_counter() - started


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--database-url", default=os.environ.get("CITYOPS_BENCH_DATABASE_URL", DEFAULT_URL)
    )
    parser.add_argument("--cases", type=int, default=100_000)
    parser.add_argument("--rounds", type=int, default=15)
    args = parser.parse_args()
    from bench.stats import _ensure_database, use_database

    use_database(args.database_url)

    await _ensure_database(args.database_url)

    import httpx

    from api.app import create_asgi_app
    from core import db
    from core.settings import get_settings

    await db.open_pool(get_settings())
    opened, built = await _seed(args.cases)
    transport = httpx.ASGITransport(app=create_asgi_app(), client=("127.0.0.1", 50000))
    async with httpx.AsyncClient(transport=transport, base_url="http://bench") as client:
        login = await client.post(
            "/api/inspector/auth/login", json={"username": "bench-admin", "password": PASSWORD}
        )
        bearer = {"Authorization": f"Bearer {login.json()['accessToken']}"}
        page = await client.get("/workbench/signin")
        token = re.search(r'name="_csrf_token" value="([^"]+)"', page.text).group(1)
        signed = await client.post(
            "/workbench/signin",
            data={"username": "bench-admin", "password": PASSWORD, "_csrf_token": token},
        )
        assert signed.status_code == 303, signed.text

        async def timed(url: str, params: dict, headers: dict) -> tuple[float, int, int]:
            started = time.perf_counter()
            response = await client.get(url, params=params, headers=headers)
            elapsed = (time.perf_counter() - started) * 1000
            response.raise_for_status()
            return elapsed, len(response.content), response.text.count('<tr id="case-')

        results = {}
        load_before = os.getloadavg()
        for name, params in FILTERS.items():
            api_params = {**params, "limit": 50}
            a_ms, b_ms, c_ms = [], [], []
            sizes = {}
            for round_ in range(args.rounds + 1):  # the first round warms plans and caches
                a = await timed("/api/admin/cases", api_params, bearer)
                b = await timed("/workbench/queue", params, {})
                c = await timed("/workbench/queue", params, {"HX-Request": "true"})
                if round_:
                    a_ms.append(a[0])
                    b_ms.append(b[0])
                    c_ms.append(c[0])
                sizes = {"full": (b[1], b[2]), "partial": (c[1], c[2])}
            results[name] = (a_ms, b_ms, c_ms, sizes)
        load_after = os.getloadavg()
    await db.close_pool()

    print(
        f"{opened:,} open cases in the admin's scope, built in {built:.1f} s; {args.rounds} "
        f"interleaved rounds (A, B, C) per filter; load average {_load(load_before)} before, "
        f"{_load(load_after)} after (a shared machine: the ratios carry over, not the ms)"
    )
    worst = 0.0
    for name, (a_ms, b_ms, c_ms, sizes) in results.items():
        a = statistics.median(a_ms)
        print(f"\n{name}")
        for label, times in (
            ("A GET /api/admin/cases?limit=50", a_ms),
            (f"B /workbench/queue full ({sizes['full'][1]} rows, {sizes['full'][0]:,} B)", b_ms),
            (
                f"C /workbench/queue partial ({sizes['partial'][1]} rows, "
                f"{sizes['partial'][0]:,} B)",
                c_ms,
            ),
        ):
            median = statistics.median(times)
            if label[0] != "A":
                worst = max(worst, median)
            print(
                f"  {label:58s} median {median:7.1f} ms ({min(times):.1f}..{max(times):.1f})"
                f"  x{median / a:4.2f} A"
            )
    print(f"\ntarget <= 300 ms server time: {'met' if worst <= 300 else 'MISSED'} ({worst:.0f} ms)")


if __name__ == "__main__":
    asyncio.run(main())
