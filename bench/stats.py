"""Statistics benchmark, on PostgreSQL: one month of 1,000,000 cases grouped by unit.

Builds a year of cases (2025-12 to 2026-11, in report order as a live system would have
them) with generate_series in one INSERT, ANALYZEs, then times, in the same run:
- anchor: a plain ``COUNT(*)`` of the month's cases (the cheapest question about them),
- the statistics service: the grouped aggregation of every measure, by unit,
- the HTTP endpoint ``GET /api/admin/stats?groupBy=unit`` as the command centre calls it
  (the grouped query, the totals query, unit labels, JSON encoding).
Each is run ``--repeat`` times after a warm-up; the median is printed with the ratio to the
anchor. Target: the endpoint answers a month by unit in <= 500 ms.

Then the evaluation (综合评价, ``GET /api/admin/evaluation``) at each level (units, districts,
streets, grids, inspectors; units also as a district centre's operator, whose scope is SQL
too), each interleaved with the anchor (A, B, A, B, ... for ``--rounds`` rounds after a
warm-up of both), printing medians, the spread (min..max) and the load average before and
after: the machine is shared, and the ratio to the anchor is what carries over. Target: each
level answers a month of 1,000,000 cases in <= 500 ms. The cases get streets and districts,
inspectors, a history (about 4.6 events a case) and supervision orders (bench/stats_seed.py).
The inspector level reads every verification and check in the window; each event carries
when it was due from (case_event.state_since), so it joins the case only for a scoped caller.

The database is wiped (public schema dropped and migrated afresh): point it at a scratch
database. It is created if missing.

    .venv/bin/python bench/stats.py [--database-url URL] [--cases 1000000] [--repeat 7]
        [--rounds 5]
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
  CASE WHEN r1 < 0.55 THEN 1 + g % 20000 WHEN r1 < 0.85 THEN {staff0} + g % {inspectors} END,
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


def use_database(url: str) -> None:
    """The settings of a benchmark run against ``url`` (read when the app is imported)."""
    os.environ.update(
        {
            "CITYOPS_DATABASE_URL": url,
            "CITYOPS_ENV": "test",
            "CITYOPS_JWT_SECRET": "bench-jwt-secret-0123456789-0123456789-0123456789",
            "CITYOPS_PASSWORD_ITERATIONS": "1000",
            "CITYOPS_LOG_LEVEL": "WARNING",
        }
    )


async def fresh_cases(cases: int) -> None:
    """The schema afresh, then the units, areas, inspectors and ``cases`` cases of a year
    (FILL); the pool is open."""
    import asyncpg

    from bench import stats_seed
    from core import db
    from core.schema import migrate
    from core.settings import get_settings

    await db.raw("DROP SCHEMA IF EXISTS public CASCADE")
    await db.raw("CREATE SCHEMA public")
    await migrate()
    await db.raw(UNITS_SQL.format(units=UNITS))
    seeder = await asyncpg.connect(get_settings().database_url)
    await stats_seed.seed_city(seeder)
    staff0 = (await db.raw("SELECT min(id) AS id FROM staff"))[0]["id"]
    categories = ", ".join(f"'{code}'" for code in CATEGORIES)
    await seeder.execute(
        FILL.format(
            n=cases,
            categories=categories,
            ncat=len(CATEGORIES),
            grids=stats_seed.GRIDS,
            units=UNITS,
            staff0=staff0,
            inspectors=stats_seed.INSPECTORS,
        )
    )
    await seeder.close()


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
    parser.add_argument("--rounds", type=int, default=5, help="evaluation: A,B rounds")
    args = parser.parse_args()
    use_database(args.database_url)
    await _ensure_database(args.database_url)

    import datetime as dt

    import asyncpg
    import httpx

    from accounts.passwords import hash_new_password
    from accounts.service import create_staff
    from api.app import create_asgi_app
    from bench import stats_seed
    from cases import stats
    from cases.scope import EVERYTHING
    from core import db
    from core.settings import get_settings

    await db.open_pool(get_settings())
    started = time.perf_counter()
    await fresh_cases(args.cases)
    seeder = await asyncpg.connect(args.database_url)
    await stats_seed.seed_history(seeder)
    await db.raw("ANALYZE")
    built = time.perf_counter() - started
    centre = await stats_seed.district_centre(seeder)
    await seeder.close()
    async with db.transaction():
        for username, role in (("bench-admin", "admin"), ("bench-district", "operator")):
            await create_staff(
                username=username,
                password_hash=await hash_new_password("bench-password-1"),
                role=role,
            )
    await db.raw("UPDATE staff SET org_unit_id = {} WHERE role = 'operator'", centre)
    events = (await db.raw("SELECT count(*) AS n FROM case_event"))[0]["n"]

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
        district = await client.post(
            "/api/inspector/auth/login",
            json={"username": "bench-district", "password": "bench-password-1"},
        )
        district_headers = {"Authorization": f"Bearer {district.json()['accessToken']}"}
        load_before = os.getloadavg()
        evaluation = await _evaluation(
            client, anchor, headers, district_headers, rounds=args.rounds
        )
        load_after = os.getloadavg()
    await db.close_pool()

    base = statistics.median(anchor_ms)
    print(
        f"cases: {args.cases:,} and {events:,} events built in {built:.1f} s; month "
        f"{MONTH[0][:7]}: {month_rows:,} cases, {groups} units"
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
    print(
        f"\nevaluation, {args.rounds} interleaved rounds (anchor A, level B); load average "
        f"{_load(load_before)} before, {_load(load_after)} after"
    )
    worst = 0.0
    for name, (rows, a_ms, b_ms) in evaluation.items():
        a, b = statistics.median(a_ms), statistics.median(b_ms)
        worst = max(worst, b)
        print(
            f"{name:34s} {rows:5d} rows  B median {b:7.1f} ms ({min(b_ms):.1f}..{max(b_ms):.1f})"
            f"  A median {a:6.1f} ms ({min(a_ms):.1f}..{max(a_ms):.1f})  B/A x{b / a:5.1f}"
        )
    print(
        f"target <= 500 ms at every level: {'met' if worst <= 500 else 'MISSED'} ({worst:.0f} ms)"
    )


def _load(values: tuple[float, float, float]) -> str:
    return "/".join(f"{v:.2f}" for v in values)


EVALUATIONS = {
    "level=unit": ({"level": "unit"}, False),
    "level=area&areaKind=district": ({"level": "area", "areaKind": "district"}, False),
    "level=area&areaKind=street": ({"level": "area", "areaKind": "street"}, False),
    "level=area&areaKind=grid": ({"level": "area", "areaKind": "grid"}, False),
    "level=inspector": ({"level": "inspector"}, False),
    "level=unit, district operator": ({"level": "unit"}, True),
}


async def _evaluation(client, anchor, headers, district_headers, *, rounds: int) -> dict:
    """Each level as GET /api/admin/evaluation, interleaved with the anchor: name -> (rows,
    anchor times, level times)."""
    out = {}
    for name, (params, scoped) in EVALUATIONS.items():
        rows = 0

        async def level(params=params, scoped=scoped):
            nonlocal rows
            response = await client.get(
                "/api/admin/evaluation",
                headers=district_headers if scoped else headers,
                params={"from": MONTH[0], "to": MONTH[1], **params},
            )
            response.raise_for_status()
            rows = len(response.json()["rows"])

        await anchor()
        await level()  # warm-up of both
        a_ms, b_ms = [], []
        for _ in range(rounds):
            for work, times in ((anchor, a_ms), (level, b_ms)):
                started = time.perf_counter()
                await work()
                times.append((time.perf_counter() - started) * 1000)
        out[name] = (rows, a_ms, b_ms)
    return out


if __name__ == "__main__":
    asyncio.run(main())
