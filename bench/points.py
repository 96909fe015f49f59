"""Points and rewards benchmark, on PostgreSQL.

Redemptions per second through the real API, two uvicorn processes on one database (as API
replicas run in production), a pool of concurrent clients spread over both:

- hot:  every request redeems the same item (one stock row: every redeem queues on its lock)
- many: requests spread over 200 items (contention only on each citizen's points account)
- anchor: an authenticated balance read (GET /api/citizen/points) at the same concurrency,
  so the figures read as a ratio to the cheapest database-backed request on this machine.

The three run interleaved (anchor, hot, many, anchor, ...) for --rounds rounds (>= 3); each
prints its median, its spread (min-max) and its ratio to the anchor, with os.getloadavg().

Award throughput: cases closed in bulk (16 at a time, each in its own transaction, as the
command centre or inspectors close them), with the points listener and without it (the
anchor), interleaved in chunks so machine noise hits both alike.

The duplicate-photo check the award makes (``--photos``, 0 to skip): over a 30-day window
of 600,000 photos with real near-copies planted (bench.photo_window), the check with the new
transforms (turned, mirrored, cropped) beside the plain check, interleaved, and what each
found.

The database is wiped (public schema dropped and migrated afresh): point it at a scratch
database.

    .venv/bin/python bench/points.py --database-url postgresql://postgres@127.0.0.1:5432/x \
        [--requests 3000] [--concurrency 64] [--cases 2000] [--photos 600000] [--scenes 40]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

JWT_SECRET = "bench-jwt-secret-0123456789-0123456789-0123456789"
CITIZENS = 500
MANY_ITEMS = 200


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _environment(url: str, workdir: str) -> dict[str, str]:
    return {
        "CITYOPS_ENV": "development",
        "CITYOPS_VAR_DIR": workdir,
        "CITYOPS_DATABASE_URL": url,
        "CITYOPS_JWT_SECRET": JWT_SECRET,
        "CITYOPS_LOG_LEVEL": "WARNING",
        "CITYOPS_WORKER_IN_PROCESS": "false",
        "CITYOPS_DB_POOL_MAX": "20",
        "CITYOPS_POINTS_DAILY_CAP": "1000000",
    }


async def _setup(cases: int) -> dict:
    """A fresh schema; citizens with plenty of points; the items; resolved cases."""
    from accounts.tokens import issue_access_token
    from core import clock, db
    from core.ids import public_id
    from core.schema import migrate
    from core.settings import get_settings
    from org.categories import create_category

    await db.open_pool(get_settings())
    await db.raw("DROP SCHEMA IF EXISTS public CASCADE")
    await db.raw("CREATE SCHEMA public")
    await migrate()
    now = clock.now()
    async with db.transaction():
        for _ in range(CITIZENS):
            await db.raw(
                "INSERT INTO citizen (public_id, nickname, locale, disabled, created_at, "
                "last_seen_at) VALUES ({}, '', 'zh-CN', false, {}, {})",
                public_id("c"),
                now,
                now,
            )
        citizens = await db.raw("SELECT id, public_id FROM citizen ORDER BY id")
        ids = [r["id"] for r in citizens]
        for cid in ids:
            # "adjust", not "earn": seeded points must not count towards the daily cap.
            await db.raw(
                "INSERT INTO points_entry (account_id, amount, kind, reference, slot, "
                "subject, code, reason, actor_kind, actor_id, created_at) VALUES "
                "({}, 1000000, 'adjust', {}, {}, '', 'admin_adjustment', 'bench', 'system', "
                "0, {})",
                cid,
                f"seed:{cid}",
                f"adjust|seed:{cid}",
                now,
            )
        items = []
        for index in range(MANY_ITEMS + 1):
            rid = public_id("rw")
            await db.raw(
                "INSERT INTO reward (public_id, name, description, image_url, cost, "
                "stock, per_citizen_limit, fulfilment, pickup_place, partner, active, "
                "created_at, updated_at) VALUES ({}, {}, '', '', 1, 10000000, 0, "
                "'voucher', '', '', true, {}, {})",
                rid,
                f"item {index}",
                now,
                now,
            )
            items.append(rid)
        await create_category(code="E99", name_zh="测试", name_en="Bench")
        await create_category(
            code="E9901",
            name_zh="测试小类",
            name_en="Bench leaf",
            sla_value=4,
            points_on_accept=5,
            points_on_close=10,
        )
        for index in range(cases):
            await db.raw(
                "INSERT INTO case_file (public_id, number, category_code, description, lat, lon, "
                "address, state, priority, source, reporter_kind, reporter_id, anonymous, flags, "
                "rework_count, reopen_count, sla_level, overdue, rating_comment, reported_at, "
                "updated_at) VALUES ({}, {}, 'E9901', '', 36.06, 120.37, '', 'resolved', 3, "
                "'citizen', 'citizen', {}, false, '[]', 0, 0, 0, false, '', {}, {})",
                public_id("k"),
                f"B{index:08d}",
                ids[index % len(ids)],
                now,
                now,
            )
    tokens = [
        issue_access_token(subject=r["public_id"], role="citizen", audience="citizen")[0]
        for r in citizens
    ]
    await db.close_pool()
    return {"tokens": tokens, "hot": items[0], "many": items[1:]}


def _start_servers(env: dict[str, str], count: int = 2) -> list[tuple[subprocess.Popen, str]]:
    import httpx

    started = []
    for _ in range(count):
        port = _free_port()
        process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "uvicorn",
                "api.asgi:app",
                "--host",
                "127.0.0.1",
                "--port",
                str(port),
                "--no-access-log",
                "--log-level",
                "warning",
                "--timeout-keep-alive",
                "60",
            ],
            cwd=ROOT,
            env={**os.environ, **env},
            stdout=subprocess.DEVNULL,
        )
        started.append((process, f"http://127.0.0.1:{port}"))
    for process, url in started:
        deadline = time.monotonic() + 30
        while True:
            try:
                if httpx.get(f"{url}/healthz", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if process.poll() is not None or time.monotonic() > deadline:
                raise SystemExit(f"server {url} did not start")
            time.sleep(0.1)
    return started


async def _load(urls: list[str], make, total: int, concurrency: int) -> tuple[float, dict]:
    """Send ``total`` requests, ``concurrency`` at a time, alternating servers; requests/s."""
    import httpx

    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    clients = [httpx.AsyncClient(base_url=u, timeout=120, limits=limits) for u in urls]
    counter = iter(range(total))
    statuses: dict[int, int] = {}

    async def worker() -> None:
        for i in counter:
            method, path, headers = make(i)
            response = await clients[i % len(clients)].request(method, path, headers=headers)
            statuses[response.status_code] = statuses.get(response.status_code, 0) + 1

    started = time.perf_counter()
    await asyncio.gather(*[worker() for _ in range(concurrency)])
    elapsed = time.perf_counter() - started
    for client in clients:
        await client.aclose()
    return total / elapsed, statuses


async def _close_cases(cases: int, concurrency: int = 16) -> tuple[dict[str, list[float]], int]:
    """Close the resolved cases, alternating chunks with and without the points listener."""
    import points.hooks
    from cases import handling, workflow
    from cases.tables import Case
    from core import db
    from core.actors import Actor
    from core.settings import get_settings

    await db.open_pool(get_settings())
    operator = Actor(kind="staff", id=1, role="operator")
    ids = [r["id"] for r in await db.raw("SELECT id FROM case_file ORDER BY id")][:cases]
    chunks = [ids[i : i + max(cases // 8, 1)] for i in range(0, len(ids), max(cases // 8, 1))]
    rates: dict[str, list[float]] = {"with awards": [], "without (anchor)": []}

    async def close(case_id: int) -> None:
        async with db.transaction():
            case = await Case.objects().where(Case.id == case_id).first()
            await handling.check(actor=operator, case=case, passed=True)

    for index, chunk in enumerate(chunks):
        with_awards = index % 2 == 1
        if not with_awards:
            workflow._listeners.remove(points.hooks.on_case_moved)
        queue = iter(chunk)

        async def worker(queue=queue) -> None:
            for case_id in queue:
                await close(case_id)

        started = time.perf_counter()
        await asyncio.gather(*[worker() for _ in range(concurrency)])
        key = "with awards" if with_awards else "without (anchor)"
        rates[key].append(len(chunk) / (time.perf_counter() - started))
        if not with_awards:
            workflow._listeners.append(points.hooks.on_case_moved)
    awarded = await db.raw("SELECT COUNT(*) AS n FROM points_entry WHERE kind = 'earn'")
    await db.close_pool()
    return rates, awarded[0]["n"]


async def _photos(url: str, photos: int, scenes: int, rounds: int) -> None:
    from bench import photo_window
    from core import db
    from core.settings import get_settings

    await db.open_pool(get_settings())
    try:
        await photo_window.run(url, photos=photos, scenes=scenes, rounds=rounds)
    finally:
        await db.close_pool()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument(
        "--database-url",
        default=os.environ.get(
            "CITYOPS_BENCH_DATABASE_URL", os.environ.get("CITYOPS_TEST_DATABASE_URL", "")
        ),
    )
    parser.add_argument("--requests", type=int, default=3000)
    parser.add_argument("--concurrency", type=int, default=64)
    parser.add_argument("--cases", type=int, default=2000)
    parser.add_argument("--rounds", type=int, default=3, help="interleaved rounds (>= 3)")
    parser.add_argument("--photos", type=int, default=600_000, help="0: no duplicate check")
    parser.add_argument("--scenes", type=int, default=40, help="scenes planted as near-copies")
    args = parser.parse_args()
    if not args.database_url.startswith(("postgres://", "postgresql://")):
        raise SystemExit("needs PostgreSQL: pass --database-url (the database is wiped)")
    env = _environment(args.database_url, tempfile.mkdtemp(prefix="cityops-bench-"))
    os.environ.update(env)

    data = asyncio.run(_setup(args.cases))
    tokens, hot, many = data["tokens"], data["hot"], data["many"]
    servers = _start_servers(env)
    urls = [url for _, url in servers]

    def headers(i: int) -> dict[str, str]:
        return {"Authorization": f"Bearer {tokens[i % len(tokens)]}"}

    scenarios = {
        "anchor: GET /api/citizen/points": lambda i: ("GET", "/api/citizen/points", headers(i)),
        "redeem, one hot item": lambda i: (
            "POST",
            f"/api/citizen/rewards/{hot}/redeem",
            headers(i),
        ),
        "redeem, 200 items": lambda i: (
            "POST",
            f"/api/citizen/rewards/{many[i % len(many)]}/redeem",
            headers(i),
        ),
    }
    results: dict[str, list[float]] = {name: [] for name in scenarios}
    statuses: dict[str, dict[int, int]] = {name: {} for name in scenarios}
    load_before = os.getloadavg()
    per_round = max(args.requests // max(args.rounds, 3), 1)
    try:
        for make in scenarios.values():
            asyncio.run(_load(urls, make, min(200, per_round), args.concurrency))  # warm up
        # Interleaved: anchor, hot, many, anchor, hot, many, ... so load from other users of
        # the machine hits every scenario alike.
        for _ in range(max(args.rounds, 3)):
            for name, make in scenarios.items():
                rate, seen = asyncio.run(_load(urls, make, per_round, args.concurrency))
                results[name].append(rate)
                for status, count in seen.items():
                    statuses[name][status] = statuses[name].get(status, 0) + count
    finally:
        for process, _ in servers:
            process.terminate()
            process.wait(timeout=10)
    awards, written = asyncio.run(_close_cases(args.cases))
    load_after = os.getloadavg()

    print(
        f"PostgreSQL, 2 API processes, {args.concurrency} concurrent clients, "
        f"{per_round} requests per scenario per round, {max(args.rounds, 3)} interleaved rounds, "
        f"{CITIZENS} citizens"
    )
    print(
        f"loadavg before {load_before[0]:.2f} {load_before[1]:.2f}, after {load_after[0]:.2f} "
        f"{load_after[1]:.2f} (2 cores shared with other users: read the ratios, not the rates)"
    )
    anchor = statistics.median(results["anchor: GET /api/citizen/points"])
    print("Redemption throughput (median req/s, spread min-max over the rounds)")
    for name, rates in results.items():
        median = statistics.median(rates)
        print(
            f"  {name:34s} {median:8.0f} req/s  [{min(rates):.0f}-{max(rates):.0f}]  "
            f"({median / anchor:.2f} x anchor)  {statuses[name]}"
        )
    print(f"Award throughput: closing {args.cases} resolved cases, 16 at a time, one transaction")
    print("each, chunks with and without the points listener interleaved")
    base = statistics.median(awards["without (anchor)"])
    for name in ("without (anchor)", "with awards"):
        rates = awards[name]
        median = statistics.median(rates)
        print(
            f"  {name:34s} {median:8.0f} closes/s [{min(rates):.0f}-{max(rates):.0f}] "
            f"({median / base:.2f} x anchor)"
        )
    print(f"  award entries written: {written}")
    if args.photos:
        asyncio.run(_photos(args.database_url, args.photos, args.scenes, max(args.rounds, 3)))


if __name__ == "__main__":
    main()
