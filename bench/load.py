"""Mixed citizen and inspector load on PostgreSQL, against a bare Litestar anchor.

The real app runs under uvicorn with 2 worker processes (uvloop, httptools) on a seeded
database: the `cityops demo` city (grids, units, dispatch rules, 3,000 places, 300
signposts) plus --citizens citizens with tokens, inspectors on the unit grids, --cases
reports moved through the workflow and their notifications fanned out into the inboxes.
wrk (one thread, --connections connections, bench/load.lua) sends this mix of user actions:

    nearby places 50 %   GET /api/citizen/places/nearby
    signpost scan 20 %   GET /api/citizen/signposts/{code}
    my reports    10 %   GET /api/citizen/reports
    notifications 10 %   GET /api/citizen/notifications
    new report     5 %   POST /api/citizen/media (a photo), then POST /api/citizen/reports
    inspector      5 %   GET /api/inspector/tasks

Each citizen comes from a client address of its own (X-Forwarded-For, trusted from
loopback as behind the city's proxy), so the per-address limits of the public routes
(nearby 120/min, signposts 60/min) and the 20 reports per citizen and hour hold as
configured: nothing is raised.

The same wrk script runs for as long against the anchor, in alternating rounds (--rounds,
default 3 x 20 s per side, so that the varying load of other processes on the machine hits
both alike): a bare Litestar app (same uvicorn settings, 2 workers) whose routes take the
same requests (the multipart upload and the JSON report are parsed) and answer with a body
of the app's, same size, captured during the warm-up (bench/load_anchor.py).

Latencies are the raw time from sending a request to its complete response, taken per
route in load.lua; wrk's own percentiles are not used: wrk 4 "corrects" them for
coordinated omission (stats_correct adds synthetic samples), which inflates them here.

Figures: errors by route and status (non-2xx, socket errors; must be none: the exit status
is 1 otherwise), p50/p99 per route, throughput and its app/anchor ratio, CPU use (the
machine, the servers, PostgreSQL and wrk, which shares the machine's cores) and server CPU
per request on each side.

The database is wiped (public schema dropped, `cityops migrate`), or with --keep-schema
migrated and emptied table by table. Default database: cityops_bench on 127.0.0.1,
created if missing.

    .venv/bin/python bench/load.py [--seconds 60] [--rounds 3] [--connections 16]
        [--database-url URL] [--keep-schema] [--citizens 1000] [--cases 1500] [--quick]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import shutil
import subprocess
import sys
import tempfile
import time
import zlib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench import common  # noqa: E402
from bench.load_anchor import ROUTES, typical_bodies  # noqa: E402
from bench.load_seed import lua_data, make_photo, seed  # noqa: E402

LUA = Path(__file__).with_name("load.lua")
DEFAULT_URL = "postgresql://postgres@127.0.0.1:5432/cityops_bench"
SETTINGS = {
    "CITYOPS_ENV": "development",
    "CITYOPS_JWT_SECRET": "bench-jwt-secret-0123456789-0123456789-0123456789",
    "CITYOPS_QR_SECRET": "bench-qr-secret",
    "CITYOPS_WORKER_IN_PROCESS": "false",
    "CITYOPS_LOG_LEVEL": "WARNING",
    # Tokens are minted once before the run and must outlive it.
    "CITYOPS_ACCESS_TOKEN_TTL_SECONDS": "86400",
    # Only the seeded staff's passwords are hashed with it; nobody signs in during the run.
    "CITYOPS_PASSWORD_ITERATIONS": "1000",
}


# --- wrk --------------------------------------------------------------------------------------


def run_wrk(url: str, seconds: float, args, tmp: Path, phase: str, capture: bool = False) -> dict:
    """One wrk run of the workload; its figures (see load.lua's done()) and wrk's own CPU."""
    out = tmp / f"wrk-{phase}.out"
    env = {
        **os.environ,
        "BENCH_DATA": str(tmp / "data.lua"),
        "BENCH_OUT": str(out),
        "BENCH_PHASE": phase,
        "BENCH_SEED": str(zlib.crc32(phase.encode()) % 100_000),
        "BENCH_CAPTURE": "1" if capture else "0",
    }
    process = subprocess.Popen(  # noqa: S603 - wrk on loopback, fixed arguments
        [
            "wrk",
            "-t1",
            f"-c{args.connections}",
            f"-d{max(1, round(seconds))}s",
            "--timeout",
            "30s",
            "-s",
            str(LUA),
            url,
        ],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    try:
        stdout = process.stdout.read().decode(errors="replace")
        # wait4, not wait: the rusage of wrk alone is the generator's CPU.
        _, status, usage = os.wait4(process.pid, 0)
    except BaseException:
        process.kill()
        process.wait()
        raise
    code = os.waitstatus_to_exitcode(status)
    process.returncode = code  # reaped above: Popen must not wait for it again
    if code != 0 or not out.exists():
        raise SystemExit(f"wrk failed ({code}):\n{stdout}")
    return {**parse_figures(out.read_bytes()), "wrk_cpu": usage.ru_utime + usage.ru_stime}


def parse_figures(blob: bytes) -> dict:
    figures = {"latency": {}, "status": {}, "sample": {}, "capture": {}}
    at = 0
    while at < len(blob):
        key_end = blob.index(b"\t", at)
        size_end = blob.index(b"\t", key_end + 1)
        size = int(blob[key_end + 1 : size_end])
        key = blob[at:key_end].decode()
        value = blob[size_end + 1 : size_end + 1 + size]
        at = size_end + 2 + size
        kind, _, name = key.partition(" ")
        if kind == "summary":
            fields = [int(float(v)) for v in value.split()]
            figures["duration_s"] = fields[0] / 1e6
            figures["requests"] = fields[1]
            figures["socket_errors"] = dict(
                zip(["connect", "read", "write", "status", "timeout"], fields[3:], strict=True)
            )
        elif kind == "latency":
            figures["latency"][name] = [int(v) / 1000 for v in value.split()]
        elif kind == "status":
            route, code = name.split(" ")
            figures["status"][(route, int(code))] = int(value)
        elif kind == "sample":
            route, code = name.split(" ")
            figures["sample"][(route, int(code))] = value.decode(errors="replace")
        elif kind == "capture":
            status, body = value.split(b" ", 1)
            figures["capture"].setdefault(name.split("#")[0], []).append((int(status), body))
    return figures


# --- the run ----------------------------------------------------------------------------------


def step(message: str) -> None:
    """Progress, on stderr: stdout carries the figures only."""
    print(f"[{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def measure(server: common.Uvicorn, seconds: float, args, tmp: Path, phase: str) -> dict:
    busy0, total0 = common.machine_busy()
    database = args.database_url.rsplit("/", 1)[1].split("?")[0]
    app0, pg0 = server.cpu_seconds(), common.postgres_cpu(database)
    figures = run_wrk(server.url, seconds, args, tmp, phase)
    busy1, total1 = common.machine_busy()
    figures["cpu"] = {
        "machine": (busy1 - busy0) / max(total1 - total0, 1e-9),
        "server": server.cpu_seconds() - app0,
        "postgres": common.cpu_since(pg0, common.postgres_cpu(database)),
        "wrk": figures["wrk_cpu"],
    }
    return figures


def combine(runs: list[dict]) -> dict:
    """One set of figures from several wrk runs of the same side."""
    out = {"latency": {}, "status": {}, "sample": {}, "capture": {}}
    out |= {"duration_s": 0.0, "requests": 0, "socket_errors": {}, "cpu": {}}
    for run in runs:
        for route, values in run["latency"].items():
            out["latency"].setdefault(route, []).extend(values)
        for route, bodies in run["capture"].items():
            out["capture"].setdefault(route, []).extend(bodies)
        for key, n in run["status"].items():
            out["status"][key] = out["status"].get(key, 0) + n
        for key, n in run["socket_errors"].items():
            out["socket_errors"][key] = out["socket_errors"].get(key, 0) + n
        for key, seconds in run.get("cpu", {}).items():  # busy shares weighted by duration
            weight = run["duration_s"] if key == "machine" else 1
            out["cpu"][key] = out["cpu"].get(key, 0) + seconds * weight
        out["sample"] = {**run["sample"], **out["sample"]}
        out["duration_s"] += run["duration_s"]
        out["requests"] += run["requests"]
    if "machine" in out["cpu"]:
        out["cpu"]["machine"] /= out["duration_s"]
    return out


def errors_of(figures: dict) -> tuple[int, dict]:
    """Failed requests: non-2xx answers, answers without our request id (route unknown,
    counted once), socket errors and timeouts (wrk's "status" errors are the non-2xx)."""
    bad = {key: n for key, n in figures["status"].items() if not 200 <= key[1] <= 299}
    other = {
        f"wrk {k} errors": v for k, v in figures["socket_errors"].items() if k != "status" and v
    }
    unmatched_ok = sum(n for (route, _), n in figures["status"].items() if route == "?")
    unmatched_ok -= sum(n for (route, _), n in bad.items() if route == "?")
    if unmatched_ok:
        other["answers without our request id"] = unmatched_ok
    return sum(bad.values()) + sum(other.values()), {**bad, **other}


def _row(label: str, share: str, app: list[float], bare: list[float], seconds: tuple) -> str:
    p = common.percentile
    return (
        f"{label:<36}{share:>7} | {len(app) / seconds[0]:>9.1f}{p(app, 0.5):>8.1f}"
        f"{p(app, 0.99):>8.1f} | {len(bare) / seconds[1]:>9.1f}{p(bare, 0.5):>8.1f}"
        f"{p(bare, 0.99):>8.1f}"
    )


def report(runs: dict[str, dict], args, seeded: dict, photo: tuple) -> int:
    """Print the figures; the number of errors."""
    app, bare = runs["app"], runs["anchor"]
    counts = seeded["counts"]
    print(
        f"cityops mixed load on PostgreSQL: uvicorn, {args.workers} workers (uvloop, httptools);"
        f" wrk 1 thread, {args.connections} connections, {app['duration_s']:.0f} s per side"
    )
    print(
        f"data: {counts['citizens']:,} citizens (one client address each), {args.inspectors} "
        f"inspectors, {counts['cases']:,} cases, {counts['inbox']:,} inbox messages, "
        f"{counts['places']:,} places, {counts['signposts']:,} signposts; uploads: "
        f"{photo[0]} JPEG, {photo[1] / 1000:.0f} kB average"
    )
    seconds = (app["duration_s"], bare["duration_s"])
    every = {side: [v for vs in runs[side]["latency"].values() for v in vs] for side in runs}
    columns = f"{'req/s':>9}{'p50 ms':>8}{'p99 ms':>8}"
    print(f"{'':<43} |{'app':^26}|{'anchor (bare Litestar)':^26}")
    print(f"{'route':<36}{'share':>7} | {columns} | {columns}")
    for route, (label, _) in ROUTES.items():
        mine = app["latency"].get(route, [])
        share = f"{len(mine) / max(len(every['app']), 1):.1%}"
        print(_row(label, share, mine, bare["latency"].get(route, []), seconds))
    print(_row("all requests", "", every["app"], every["anchor"], seconds))
    ratio = (len(every["app"]) / seconds[0]) / max(len(every["anchor"]) / seconds[1], 1e-9)
    print(f"throughput ratio app / anchor: {ratio:.3f}")
    failed = 0
    for side, figures in runs.items():
        n, detail = errors_of(figures)
        failed += n
        answered = sum(figures["status"].values())
        print(f"errors, {side}: {n} of {answered:,} responses = {n / max(answered, 1):.3%}")
        for key, count in sorted(detail.items(), key=str):
            if isinstance(key, tuple):
                sample = figures["sample"].get(key, "")[:300].replace("\n", " ")
                print(f"  {key[0]:<10} HTTP {key[1]}: {count}  e.g. {sample}")
            else:
                print(f"  {key}: {count}")
    for side in ("app", "anchor"):
        cpu, took = runs[side]["cpu"], runs[side]["duration_s"]
        print(
            f"CPU, {side} run, in cores: machine {cpu['machine'] * os.cpu_count():.2f} of "
            f"{os.cpu_count()} busy; uvicorn {cpu['server'] / took:.2f}, "
            f"wrk {cpu['wrk'] / took:.2f}, postgres backends of the database "
            f"{cpu['postgres'] / took:.2f}"
        )
    # Others' processes take a varying share of the cores; CPU per request does not depend
    # on that share.
    per = {
        side: {k: v / max(len(every[side]), 1) * 1000 for k, v in runs[side]["cpu"].items()}
        for side in ("app", "anchor")
    }
    app_ms = per["app"]["server"] + per["app"]["postgres"]
    print(
        f"CPU per request: app {per['app']['server']:.2f} ms uvicorn + "
        f"{per['app']['postgres']:.2f} ms postgres, anchor {per['anchor']['server']:.3f} ms; "
        f"ratio anchor / app {per['anchor']['server'] / max(app_ms, 1e-9):.3f}"
    )
    return failed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--seconds", type=float, default=None, help="measured seconds per side (default 60)"
    )
    parser.add_argument("--quick", action="store_true", help="a smoke run: small data, 3 s")
    parser.add_argument(
        "--database-url", default=os.environ.get("CITYOPS_BENCH_DATABASE_URL", DEFAULT_URL)
    )
    parser.add_argument("--keep-schema", action="store_true", help="empty the tables, no drop")
    parser.add_argument("--citizens", type=int, default=None)
    parser.add_argument("--cases", type=int, default=None)
    parser.add_argument("--inspectors", type=int, default=None)
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument(
        "--rounds", type=int, default=None, help="app and anchor alternate (default 3)"
    )
    parser.add_argument("--warmup", type=float, default=None, help="seconds per side")
    parser.add_argument("--photos", type=int, default=None, help="distinct upload photos")
    parser.add_argument("--photo-size", default="1600x1200", help="as a phone app sends them")
    args = parser.parse_args()
    names = ("seconds", "rounds", "citizens", "cases", "inspectors", "warmup", "photos")
    defaults = (3, 1, 60, 40, 4, 2, 3) if args.quick else (60, 3, 1000, 1500, 24, 5, 16)
    for key, value in zip(names, defaults, strict=True):
        if getattr(args, key) is None:
            setattr(args, key, value)
    if not shutil.which("wrk"):
        raise SystemExit("wrk is needed: apt-get install -y wrk")
    url = args.database_url
    asyncio.run(common.ensure_database(url))
    tmp = Path(tempfile.mkdtemp(prefix="cityops-bench-load-"))
    env = common.clean_environment(**SETTINGS, CITYOPS_DATABASE_URL=url, CITYOPS_VAR_DIR=str(tmp))
    for key in [k for k in os.environ if k.startswith("CITYOPS_")]:
        del os.environ[key]
    os.environ.update(env)
    try:
        failed = run(args, env, tmp)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    sys.exit(1 if failed else 0)


def run(args, env: dict[str, str], tmp: Path) -> int:
    """Set up, measure both sides, print; the number of failed requests."""
    from core import db
    from core.schema import truncate_all
    from core.settings import get_settings

    async def reset(drop: bool) -> None:
        await db.open_pool(get_settings())
        try:
            if drop:
                await db.raw("DROP SCHEMA IF EXISTS public CASCADE")
                await db.raw("CREATE SCHEMA public")
            else:
                await truncate_all()
        finally:
            await db.close_pool()

    step("schema")
    if not args.keep_schema:
        asyncio.run(reset(drop=True))
    common.run_cli(env, "migrate")
    if args.keep_schema:
        asyncio.run(reset(drop=False))
    step("cityops demo")
    common.run_cli(env, "demo")
    step(f"seeding {args.citizens} citizens, {args.cases} cases")
    rng = random.Random(7)
    seeded = asyncio.run(seed(args, rng))
    step("photos")
    width, height = (int(v) for v in args.photo_size.split("x"))
    photos = []
    for i in range(args.photos):
        photos.append(tmp / f"photo-{i}.jpg")
        photos[-1].write_bytes(make_photo(i, (width, height)))
    (tmp / "data.lua").write_text(lua_data(seeded, photos, rng))
    photo = (args.photo_size, sum(p.stat().st_size for p in photos) / len(photos))

    step("app: start, warm up")
    app_server = common.Uvicorn(["api.asgi:app"], env, workers=args.workers, log=tmp / "app.log")
    servers = [app_server]
    try:
        app_server.wait_ready("/readyz", ok_in_a_row=20)
        warm = [run_wrk(app_server.url, args.warmup, args, tmp, "w0", capture=True)]
        while len(warm) < 6 and not all(combine(warm)["capture"].get(r) for r in ROUTES):
            # Rare routes in a short run: until each has answered once.
            warm.append(run_wrk(app_server.url, args.warmup, args, tmp, f"w{len(warm)}", True))
        bodies = tmp / "bodies.json"
        bodies.write_text(json.dumps(typical_bodies(combine(warm)["capture"]), ensure_ascii=False))
        step("anchor: start, warm up")
        anchor = common.Uvicorn(
            ["--factory", "bench.load_anchor:create_bare_app"],
            {**env, "BENCH_BARE_BODIES": str(bodies)},
            workers=args.workers,
            log=tmp / "anchor.log",
        )
        servers.append(anchor)
        anchor.wait_ready()
        anchor_warm = run_wrk(anchor.url, args.warmup, args, tmp, "v0")
        # Interleaved rounds: the load of other processes on the machine hits both alike.
        runs: dict[str, list[dict]] = {"app": [], "anchor": []}
        for r in range(args.rounds):
            for side, server in (("app", app_server), ("anchor", anchor)):
                step(f"round {r + 1} of {args.rounds}: {side}, {args.seconds / args.rounds:.0f} s")
                runs[side].append(
                    measure(server, args.seconds / args.rounds, args, tmp, side + str(r))
                )
    finally:
        for server in servers:
            server.stop()
    runs = {
        "app warm-up": combine(warm),
        "anchor warm-up": anchor_warm,
        "app": combine(runs["app"]),
        "anchor": combine(runs["anchor"]),
    }
    return report(runs, args, seeded, photo)


if __name__ == "__main__":
    main()
