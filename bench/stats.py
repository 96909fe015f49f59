"""Statistics benchmark, on PostgreSQL: one month of 1,000,000 cases grouped by unit.

Builds a year of cases (2025-12 to 2026-11, in report order as a live system would have
them) with generate_series in one INSERT, ANALYZEs, then times, in the same run:
- anchor: a plain ``COUNT(*)`` of the month's cases (the cheapest question about them),
- the statistics service: the grouped aggregation of every measure, by unit,
- the HTTP endpoint ``GET /api/admin/stats?groupBy=unit`` as the command centre calls it
  (the grouped query, the totals query, unit labels, JSON encoding).
Each is run ``--repeat`` times after a warm-up; the median is printed with the ratio to the
anchor. Target: the endpoint answers a month by unit in <= 500 ms.

The database is wiped (public schema dropped and migrated afresh): point it at a scratch
database. It is created if missing.

    .venv/bin/python bench/stats.py [--database-url URL] [--cases 1000000] [--repeat 7]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

DEFAULT_URL = "postgresql://postgres@127.0.0.1:5432/cityops_h7_bench"
UNITS = 443  # Qingdao's work units
GRIDS = 5000
MONTH = ("2026-06-01T00:00:00+08:00", "2026-07-01T00:00:00+08:00")

CATEGORIES = [
    "E0101",
    "E0102",
    "E0103",
    "E0201",
    "E0301",
    "E0403",
    "E0502",
    "E0505",
    "C0101",
    "C0102",
    "C0201",
    "C0301",
    "C0401",
    "C0501",
]

FILL = """
INSERT INTO case_file (public_id, number, category_code, description, lat, lon, address,
  grid_id, unit_id, state, priority, source, reporter_kind, reporter_id, anonymous, flags,
  rework_count, reopen_count, deadline_at, sla_level, overdue, rating, rating_comment,
  reported_at, accepted_at, dispatched_at, resolved_at, closed_at, ended_at, updated_at)
SELECT 'k' || g, 'B' || g, (ARRAY[{categories}])[1 + g % {ncat}], '', 36 + r1 * 0.2,
  120.3 + r2 * 0.2, '', 1 + (r2 * {grids})::int % {grids}, 1 + (r3 * {units})::int % {units},
  CASE WHEN r < 0.04 THEN 'reported' WHEN r < 0.08 THEN 'rejected'
       WHEN r < 0.14 THEN 'dispatched' WHEN r < 0.18 THEN 'resolved' ELSE 'closed' END,
  1 + g % 4,
  CASE WHEN r1 < 0.55 THEN 'citizen' WHEN r1 < 0.85 THEN 'inspector'
       WHEN r1 < 0.95 THEN 'camera' ELSE 'sensor' END,
  CASE WHEN r1 < 0.85 THEN CASE WHEN r1 < 0.55 THEN 'citizen' ELSE 'staff' END END,
  CASE WHEN r1 < 0.85 THEN 1 + g % 20000 END,
  false, '[]', CASE WHEN r3 < 0.06 THEN 1 ELSE 0 END, 0,
  CASE WHEN r >= 0.08 THEN rep + interval '40 minutes' + interval '48 hours' END, 0,
  r2 < 0.07,
  CASE WHEN r >= 0.18 AND r3 < 0.6 THEN 1 + (r1 * 5)::int % 5 END, '',
  rep,
  CASE WHEN r >= 0.08 THEN rep + interval '20 minutes' * r2 END,
  CASE WHEN r >= 0.08 THEN rep + interval '40 minutes' END,
  CASE WHEN r >= 0.14 THEN rep + interval '40 minutes' + interval '60 hours' * r3 END,
  CASE WHEN r >= 0.18 THEN rep + interval '64 hours' END,
  CASE WHEN r >= 0.18 OR (r >= 0.04 AND r < 0.08) THEN rep + interval '64 hours' END,
  rep + interval '64 hours'
FROM (
  SELECT g, random() AS r, random() AS r1, random() AS r2, random() AS r3,
    timestamptz '2025-12-01 00:00+08' + interval '365 days' * (g::float8 / {n})
      + interval '1 second' * (random() * 60) AS rep
  FROM generate_series(1, {n}) AS g
) AS x
"""

UNITS_SQL = """
INSERT INTO org_unit (parent, kind, code, name_zh, name_en, phone, active, created_at,
  updated_at)
SELECT NULL, 'work_unit', 'WU' || u, '作业单位' || u, 'Work unit ' || u, '', true, now(), now()
FROM generate_series(1, {units}) AS u
"""


async def _ensure_database(url: str) -> None:
    import asyncpg

    try:
        connection = await asyncpg.connect(url)
    except asyncpg.InvalidCatalogNameError:
        base, name = url.rsplit("/", 1)
        admin = await asyncpg.connect(f"{base}/postgres")
        await admin.execute(f'CREATE DATABASE "{name}"')
        await admin.close()
        return
    await connection.close()


async def _timed(repeat: int, work) -> list[float]:
    await work()  # warm-up: plans and buffers
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        await work()
        times.append((time.perf_counter() - started) * 1000)
    return times


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--database-url", default=os.environ.get("CITYOPS_BENCH_DATABASE_URL", DEFAULT_URL)
    )
    parser.add_argument("--cases", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=7)
    args = parser.parse_args()
    os.environ.update(
        {
            "CITYOPS_DATABASE_URL": args.database_url,
            "CITYOPS_ENV": "test",
            "CITYOPS_JWT_SECRET": "bench-jwt-secret-0123456789-0123456789-0123456789",
            "CITYOPS_PASSWORD_ITERATIONS": "1000",
            "CITYOPS_LOG_LEVEL": "WARNING",
        }
    )
    await _ensure_database(args.database_url)

    import datetime as dt

    import httpx

    from accounts.passwords import hash_new_password
    from accounts.service import create_staff
    from api.app import create_asgi_app
    from cases import stats
    from cases.scope import EVERYTHING
    from core import db
    from core.schema import migrate
    from core.settings import get_settings

    await db.open_pool(get_settings())
    await db.raw("DROP SCHEMA IF EXISTS public CASCADE")
    await db.raw("CREATE SCHEMA public")
    await migrate()
    started = time.perf_counter()
    await db.raw(UNITS_SQL.format(units=UNITS))
    categories = ", ".join(f"'{code}'" for code in CATEGORIES)
    await db.raw(
        FILL.format(
            n=args.cases, categories=categories, ncat=len(CATEGORIES), grids=GRIDS, units=UNITS
        )
    )
    await db.raw("ANALYZE")
    built = time.perf_counter() - started
    async with db.transaction():
        await create_staff(
            username="bench-admin",
            password_hash=await hash_new_password("bench-password-1"),
            role="admin",
        )

    since, until = (dt.datetime.fromisoformat(v) for v in MONTH)
    month_rows = (
        await db.raw(
            "SELECT count(*) AS n FROM case_file WHERE reported_at >= {} AND reported_at < {}",
            since,
            until,
        )
    )[0]["n"]

    async def anchor():
        await db.raw(
            "SELECT count(*) FROM case_file WHERE reported_at >= {} AND reported_at < {}",
            since,
            until,
        )

    async def service():
        await stats.case_stats(since=since, until=until, group_by="unit", within=EVERYTHING)

    transport = httpx.ASGITransport(app=create_asgi_app())
    async with httpx.AsyncClient(transport=transport, base_url="http://bench") as client:
        login = await client.post(
            "/api/inspector/auth/login",
            json={"username": "bench-admin", "password": "bench-password-1"},
        )
        headers = {"Authorization": f"Bearer {login.json()['accessToken']}"}
        groups = 0

        async def endpoint():
            nonlocal groups
            response = await client.get(
                "/api/admin/stats",
                headers=headers,
                params={"from": MONTH[0], "to": MONTH[1], "groupBy": "unit"},
            )
            response.raise_for_status()
            groups = len(response.json()["rows"])

        anchor_ms = await _timed(args.repeat, anchor)
        service_ms = await _timed(args.repeat, service)
        endpoint_ms = await _timed(args.repeat, endpoint)
    await db.close_pool()

    base = statistics.median(anchor_ms)
    print(
        f"cases: {args.cases:,} built in {built:.1f} s; month {MONTH[0][:7]}: "
        f"{month_rows:,} cases, {groups} units"
    )
    for name, times in (
        ("anchor COUNT(*) of the month", anchor_ms),
        ("stats service, by unit", service_ms),
        ("GET /api/admin/stats?groupBy=unit", endpoint_ms),
    ):
        median = statistics.median(times)
        print(
            f"{name:38s} median {median:8.1f} ms  min {min(times):8.1f} ms  "
            f"x{median / base:6.1f} anchor"
        )
    target = statistics.median(endpoint_ms)
    print(f"target <= 500 ms: {'met' if target <= 500 else 'MISSED'} ({target:.0f} ms)")


if __name__ == "__main__":
    asyncio.run(main())
