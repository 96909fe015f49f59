"""The mixed load of bench/load.py against 1, 2 and 4 API processes behind one port, on
PostgreSQL with 1,000,000 places: how throughput grows with processes and where it stops.

Data: the `cityops demo` city, the citizens, inspectors and cases of bench/load_seed.py,
and --places places around Qingdao from bench/nearby.py's generator, copied into the
database (the database is wiped first: public schema dropped, `cityops migrate`).

Servers: one `uvicorn api.asgi:app --workers N` per N (uvloop, httptools, the settings of
bench/load.py), all started before the first round and kept up, so that rounds can
alternate without rebuilding indexes. --workers N shares one listening socket among N
processes: the kernel hands each new connection to one of them, with no proxy hop between
wrk and the app. A kept-open connection stays with the process that accepted it, and that
is not always an even share: each process's CPU is printed. nginx in front of N ports
would spend CPU of its own on the machine's 2 cores that the app's processes then lack, and
measure the balancer as much as the app.
Each process builds its nearby index at start; the rounds begin once /readyz answered 200
on 20 connections in a row. All 7 processes hold a pool of PostgreSQL connections at once:
--pool-max (CITYOPS_DB_POOL_MAX, default 5 here, 10 in the app) keeps their sum, 35, well
below the max_connections (100) of the PostgreSQL server this machine shares (with 10 each,
a first run got "too many clients already", answered 503 service.unavailable).

Load: wrk (one thread, --connections connections kept open, bench/load.lua) with the mix of
bench/load.py: nearby 50 %, signpost scans 20 %, my reports 10 %, notifications 10 %,
photo reports 5 %, inspector tasks 5 %. The anchor: the same wrk and Lua script asking only
GET /healthz (no database, every middleware) of the same processes, right after each mix
run. Rounds alternate the configurations (1, 2, 4, 1, 2, 4, ...), so the varying load of
other processes on the shared machine falls on each alike.

Printed per N: mix req/s (median of the rounds, min-max) and its growth over N=1; p50 and
p99 of every mix request (raw, from load.lua's clock); errors; /healthz req/s and p50/p99;
the load average during its rounds; the CPU used in cores over its mix runs (the machine,
all API processes, PostgreSQL's backends of the database, wrk) and each API process's share;
each process's memory (RSS, PSS, USS from /proc/<pid>/smaps_rollup) once its index is built
and after the rounds, and its peak RSS; then p50/p99 of each route of the mix per N. Exit
status 1 if any mix request failed.

    .venv/bin/python bench/scale.py [--seconds 15] [--rounds 3] [--processes 1,2,4]
        [--connections 32] [--anchor-seconds 5] [--warmup 5] [--places 1000000]
        [--database-url postgresql://postgres@127.0.0.1:5432/scratch_scale]
        [--citizens 1000] [--cases 1500] [--inspectors 24] [--pool-max 5]
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import os
import random
import shutil
import statistics
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench import common  # noqa: E402
from bench.load import SETTINGS, combine, errors_of, measure, run_wrk, step  # noqa: E402
from bench.load_anchor import ROUTES  # noqa: E402
from bench.load_seed import lua_data, make_photo, seed  # noqa: E402
from bench.nearby import rows as place_rows  # noqa: E402

DEFAULT_URL = "postgresql://postgres@127.0.0.1:5432/scratch_scale"
PLACE_COLUMNS = ["id", "kind", "name", "address", "lat", "lon", "hours", "attributes"]
PLACE_COLUMNS += ["phone", "status", "photos", "source", "revision", "deleted"]
PLACE_COLUMNS += ["created_at", "updated_at"]


# --- data -------------------------------------------------------------------------------------


async def reset_schema(url: str) -> None:
    import asyncpg

    await common.ensure_database(url)
    connection = await asyncpg.connect(url)
    try:
        await connection.execute("DROP SCHEMA IF EXISTS public CASCADE; CREATE SCHEMA public")
    finally:
        await connection.close()


async def add_places(url: str, count: int) -> int:
    """bench/nearby.py's places after the demo's, at the current "places" revision (a
    process builds its index from every row at start); the places now in the table."""
    import asyncpg

    connection = await asyncpg.connect(url)
    try:
        first = await connection.fetchval("SELECT coalesce(max(id), 0) FROM place")
        revision = await connection.fetchval(
            "SELECT coalesce(max(version), 0) FROM version_stamp WHERE name = 'places'"
        )
        now = dt.datetime.now(dt.UTC)
        records = (
            (first + i, kind, name, address, lat, lon, hours, attributes)
            + ("", "open", "[]", "bench", revision, False, now, now)
            for i, kind, name, address, lat, lon, hours, attributes in place_rows(count)
        )
        await connection.copy_records_to_table("place", records=records, columns=PLACE_COLUMNS)
        await connection.execute(
            "SELECT setval(pg_get_serial_sequence('place', 'id'), (SELECT max(id) FROM place))"
        )
        await connection.execute("ANALYZE place")
        return await connection.fetchval("SELECT count(*) FROM place")
    finally:
        await connection.close()


def write_scripts(args, tmp: Path) -> tuple[dict, Path]:
    """Seed the load's data; the data.lua of the mix (in tmp) and of the anchor (its own
    directory: run_wrk reads <dir>/data.lua)."""
    rng = random.Random(7)
    seeded = asyncio.run(seed(args, rng))
    photos = []
    for i in range(16):
        photos.append(tmp / f"photo-{i}.jpg")
        photos[-1].write_bytes(make_photo(i, (1600, 1200)))
    (tmp / "data.lua").write_text(lua_data(seeded, photos, rng))
    anchor = tmp / "anchor"
    anchor.mkdir()
    # load.lua's "nearby" route with one path: /healthz, from one client address.
    (anchor / "data.lua").write_text(
        'return {mix = {{"nearby", 1}}, citizens = {{auth = "", ip = "10.200.0.1"}}, '
        'inspectors = {}, signposts = {}, nearby = {"/healthz"}, reports = {}, photos = {}}\n'
    )
    return seeded, anchor


# --- servers ----------------------------------------------------------------------------------


def api_processes(server: common.Uvicorn) -> list[int]:
    """The processes serving requests: uvicorn's workers, or with one worker the process
    itself (uvicorn then runs no supervisor)."""
    master = server.process.pid
    workers = [
        pid
        for pid in common.group_pids(master)
        if pid != master and b"resource_tracker" not in Path(f"/proc/{pid}/cmdline").read_bytes()
    ]
    return workers or [master]


def memory(server: common.Uvicorn) -> dict[int, dict[str, float]]:
    return {pid: common.memory_mb(pid) for pid in api_processes(server)}


def one_round(server: common.Uvicorn, n: int, r: int, args, tmp: Path, anchor: Path) -> dict:
    """The mix, then the anchor, on the N-process server."""
    pids = api_processes(server)
    before = {pid: common.process_cpu_seconds(pid) for pid in pids}
    load = os.getloadavg()[0]
    mix = measure(server, args.seconds, args, tmp, f"n{n}r{r}")
    mix["per_process"] = [common.process_cpu_seconds(pid) - before[pid] for pid in pids]
    bare = run_wrk(server.url, args.anchor_seconds, args, anchor, f"a{n}r{r}")
    return {"mix": mix, "anchor": bare, "load": [load, os.getloadavg()[0]]}


# --- figures ----------------------------------------------------------------------------------


def rate(figures: dict) -> float:
    return sum(len(v) for v in figures["latency"].values()) / figures["duration_s"]


def spread(values: list[float]) -> str:
    return f"{statistics.median(values):,.0f} ({min(values):,.0f}-{max(values):,.0f})"


def quantiles(figures: dict) -> str:
    every = [v for values in figures["latency"].values() for v in values]
    p = common.percentile
    return f"p50 {p(every, 0.5):.1f} ms, p99 {p(every, 0.99):.1f} ms"


def report(args, results: dict[int, list[dict]], mem: dict, seeded: dict, places: int) -> int:
    """Print the figures; the number of failed mix requests."""
    counts = seeded["counts"]
    print(
        f"cityops mixed load vs API processes on PostgreSQL: uvicorn --workers N (one "
        f"listening socket), wrk 1 thread, {args.connections} connections, {args.rounds} rounds"
        f" x {args.seconds:.0f} s mix + {args.anchor_seconds:.0f} s /healthz per N, "
        f"interleaved {','.join(map(str, args.processes))}; {os.cpu_count()} cores; "
        f"{args.pool_max} PostgreSQL connections at most per process"
    )
    print(
        f"data: {places:,} places, {counts['citizens']:,} citizens, {counts['cases']:,} cases, "
        f"{counts['inbox']:,} inbox messages, {counts['signposts']:,} signposts"
    )
    base = statistics.median(rate(run["mix"]) for run in results[args.processes[0]])
    failed = 0
    for n in args.processes:
        runs = results[n]
        mix = combine([run["mix"] for run in runs])
        bare = combine([run["anchor"] for run in runs])
        rates = [rate(run["mix"]) for run in runs]
        bare_rates = [rate(run["anchor"]) for run in runs]
        loads = [v for run in runs for v in run["load"]]
        n_failed, detail = errors_of(mix)
        failed += n_failed
        print(f"\nN={n}: load average {min(loads):.2f}-{max(loads):.2f}")
        print(
            f"  mix      {spread(rates)} req/s, x{statistics.median(rates) / base:.2f} of "
            f"N={args.processes[0]}; {quantiles(mix)}; errors {n_failed} of "
            f"{sum(mix['status'].values()):,}"
        )
        for key, count in sorted(detail.items(), key=str):
            print(f"    {key}: {count}  {mix['sample'].get(key, '')[:200]}")
        print(
            f"  /healthz {spread(bare_rates)} req/s; {quantiles(bare)}; mix / healthz "
            f"{statistics.median(rates) / statistics.median(bare_rates):.3f}"
        )
        cpu, took = mix["cpu"], mix["duration_s"]
        ours = cpu["server"] + cpu["postgres"] + cpu["wrk"]
        per_process = (run["mix"]["per_process"] for run in runs)
        shares = [sum(values) for values in zip(*per_process, strict=True)]
        print(
            f"  CPU in cores over the mix runs: machine {cpu['machine'] * os.cpu_count():.2f}, "
            f"API processes {cpu['server'] / took:.2f} (each: "
            f"{', '.join(f'{s / took:.2f}' for s in shares)}), postgres "
            f"{cpu['postgres'] / took:.2f}, wrk {cpu['wrk'] / took:.2f}, anything else "
            f"{cpu['machine'] * os.cpu_count() - ours / took:.2f}"
        )
        print(
            f"  CPU per mix request: API {cpu['server'] / len_of(mix) * 1000:.2f} ms, "
            f"postgres {cpu['postgres'] / len_of(mix) * 1000:.2f} ms, "
            f"wrk {cpu['wrk'] / len_of(mix) * 1000:.2f} ms"
        )
        for pid, (ready, after) in mem[n].items():
            print(
                f"  process {pid}: ready RSS {ready['rss']:.0f} MB, PSS {ready['pss']:.0f}, "
                f"USS {ready['uss']:.0f}; after the rounds RSS {after['rss']:.0f}, PSS "
                f"{after['pss']:.0f}, USS {after['uss']:.0f}; peak RSS {after['peak']:.0f} MB"
            )
    routes(args, results)
    return failed


def routes(args, results: dict[int, list[dict]]) -> None:
    """p50/p99 of each route of the mix per N: which routes the waiting falls on."""
    mixes = {n: combine([run["mix"] for run in results[n]]) for n in args.processes}
    p = common.percentile
    print(f"\n{'mix route, p50 / p99 ms':<36}" + "".join(f"{f'N={n}':>18}" for n in mixes))
    for route, (label, _) in ROUTES.items():
        cells = []
        for mix in mixes.values():
            values = mix["latency"].get(route, [])
            cells.append(f"{p(values, 0.5):>8.1f} /{p(values, 0.99):>7.1f}")
        print(f"{label:<36}" + "".join(f"{cell:>18}" for cell in cells))


def len_of(figures: dict) -> int:
    return max(sum(len(v) for v in figures["latency"].values()), 1)


# --- the run ----------------------------------------------------------------------------------


def run(args, env: dict[str, str], tmp: Path) -> int:
    step("schema, cityops demo")
    asyncio.run(reset_schema(args.database_url))
    common.run_cli(env, "migrate")
    common.run_cli(env, "demo")
    step(f"seeding {args.citizens} citizens, {args.cases} cases")
    seeded, anchor = write_scripts(args, tmp)
    step(f"copying {args.places:,} places")
    places = asyncio.run(add_places(args.database_url, args.places))
    servers: dict[int, common.Uvicorn] = {}
    try:
        for n in args.processes:
            step(f"starting {n} API process(es)")
            servers[n] = common.Uvicorn(["api.asgi:app"], env, workers=n, log=tmp / f"api{n}.log")
        ready = {}
        for n, server in servers.items():
            server.wait_ready("/readyz", timeout=args.ready_timeout, ok_in_a_row=20)
            step(f"N={n} ready")
            ready[n] = memory(server)
        for n, server in servers.items():
            run_wrk(server.url, args.warmup, args, tmp, f"w{n}")
        results: dict[int, list[dict]] = {n: [] for n in servers}
        for r in range(args.rounds):
            for n, server in servers.items():
                step(f"round {r + 1} of {args.rounds}: N={n}")
                results[n].append(one_round(server, n, r, args, tmp, anchor))
        after = {n: memory(server) for n, server in servers.items()}
    finally:
        for server in servers.values():
            server.stop()
    # A worker uvicorn restarted in between has no pair: none is expected.
    mem = {n: {p: (ready[n][p], after[n][p]) for p in ready[n] if p in after[n]} for n in servers}
    return report(args, results, mem, seeded, places)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=15, help="mix seconds per N and round")
    parser.add_argument("--anchor-seconds", type=float, default=5, help="/healthz, likewise")
    parser.add_argument("--warmup", type=float, default=5, help="mix seconds per N, unmeasured")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--processes", default="1,2,4", help="API process counts, in order")
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--places", type=int, default=1_000_000)
    parser.add_argument("--database-url", default=DEFAULT_URL)
    parser.add_argument("--citizens", type=int, default=1000)
    parser.add_argument("--cases", type=int, default=1500)
    parser.add_argument("--inspectors", type=int, default=24)
    parser.add_argument("--pool-max", type=int, default=5, help="connections per process")
    parser.add_argument("--ready-timeout", type=float, default=900, help="index builds, s")
    args = parser.parse_args()
    args.processes = [int(n) for n in args.processes.split(",")]
    if not shutil.which("wrk"):
        raise SystemExit("wrk is needed: apt-get install -y wrk")
    tmp = Path(tempfile.mkdtemp(prefix="cityops-bench-scale-"))
    env = common.clean_environment(
        **SETTINGS,
        CITYOPS_DATABASE_URL=args.database_url,
        CITYOPS_VAR_DIR=str(tmp),
        CITYOPS_DB_POOL_MAX=str(args.pool_max),
    )
    for key in [k for k in os.environ if k.startswith("CITYOPS_")]:
        del os.environ[key]
    os.environ.update(env)
    print(f"load average before: {os.getloadavg()}", flush=True)
    try:
        failed = run(args, env, tmp)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    print(f"load average after: {os.getloadavg()}")
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
