"""Report throughput on PostgreSQL: machine reports (trusted AI-camera events, no photos)
through ``POST /api/intake/events`` against two uvicorn workers. Each report is filed,
accepted and dispatched by rule inside its request, so a request's latency is the
report-to-dispatched latency.

wrk (one thread, --connections, a Lua script: a unique external id per request, the request
id echoed so each latency comes from the script's own clock) drives, interleaved for
--rounds:

    anchor    GET /readyz of the same server (one round trip to PostgreSQL)
    reports   POST /api/intake/events, as fast as they are answered

then the reports paced at --rate per second (the script's schedule: one request every
1/rate s across the connections), for report-to-dispatched p50/p99 below saturation.
Prints medians and spread (min-max) of the rounds, the load average before and after, and
the CPU the API workers and PostgreSQL used per report.

Targets (issue 19): >= 200 reports/s; p99 <= 50 ms at 150 reports/s.

    .venv/bin/python bench/reports.py [--database-url URL] [--rounds 3] [--seconds 10]
        [--rate 150] [--connections 16] [--workers 2]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.common import (  # noqa: E402
    Uvicorn,
    clean_environment,
    cpu_since,
    ensure_database,
    percentile,
    postgres_cpu,
)

LUA = r"""
local ffi = require("ffi")
ffi.cdef([[typedef struct { long tv_sec; long tv_nsec; } rp_ts;
int clock_gettime(int clk_id, rp_ts *tp);]])
local ts = ffi.new("rp_ts")
local function now_us()
  ffi.C.clock_gettime(1, ts)
  return tonumber(ts.tv_sec) * 1000000 + tonumber(ts.tv_nsec) / 1000
end
local threads = {}
function setup(thread) threads[#threads + 1] = thread end
local phase, key, mode, interval, due, seq, sent = "", "", "", 0, 0, 0, {}
lat = {}
n = 0
bad = 0
sample = ""
function init(args)
  phase = os.getenv("BENCH_PHASE")
  key = os.getenv("BENCH_KEY")
  mode = os.getenv("BENCH_MODE")
  local rate = tonumber(os.getenv("BENCH_RATE") or "0")
  if rate > 0 then interval = 1000000 / rate end
end
-- Paced: one request every `interval` across the connections, whatever the answers take.
-- Behind the schedule (the server is slower than the rate), it starts again from now
-- rather than sending a burst to catch up.
function delay()
  if interval == 0 then return 0 end
  local now = now_us()
  if due < now then due = now end
  local wait = (due - now) / 1000
  due = due + interval
  return wait
end
function request()
  seq = seq + 1
  local id = phase .. "-" .. seq
  sent[id] = now_us()
  if mode == "anchor" then
    return wrk.format("GET", "/readyz", {["X-Request-ID"] = id})
  end
  local lat0 = 36.0572 + (seq % 50) * 0.0002
  local lon0 = 120.3738 + (seq % 70) * 0.0003
  local body = string.format('{"externalId":"%s","kind":"camera","category":"E0504",'
    .. '"location":{"lat":%.6f,"lon":%.6f},"level":3,"description":"bench"}', id, lat0, lon0)
  return wrk.format("POST", "/api/intake/events", {["X-Request-ID"] = id,
    ["X-Api-Key"] = key, ["Content-Type"] = "application/json"}, body)
end
function response(status, headers, body)
  local id = headers["X-Request-ID"] or headers["x-request-id"]
  local ok = (mode == "anchor" and status == 200) or (mode ~= "anchor" and status == 201)
  if not ok then
    bad = bad + 1
    if sample == "" then sample = status .. " " .. body end
  end
  if id and sent[id] then
    n = n + 1
    lat[n] = now_us() - sent[id]
    sent[id] = nil
  end
end
function done(summary, latency, requests)
  local t = threads[1]
  local out = io.open(os.getenv("BENCH_OUT"), "w")
  local count = t:get("n")
  local values = t:get("lat")
  out:write(string.format("%d %d\n", count, t:get("bad")))
  out:write(t:get("sample"):gsub("\n", " "):sub(1, 300) .. "\n")
  for i = 1, count do out:write(string.format("%d\n", values[i])) end
  out:close()
end
"""

# A work unit's handlers each hear of every case dispatched to it (task.new): a unit with
# nobody in it would instead raise an alert per case, which no city runs with.
HANDLERS_PER_UNIT = 6
SCRIPT = Path(tempfile.mkdtemp(prefix="bench-reports-")) / "reports.lua"
_phases = iter(range(1, 10**6))


def prepare(url: str, env: dict[str, str]) -> str:
    """A fresh schema with the demo city, handlers in every unit the rules dispatch to and a
    trusted camera key; returns the key."""
    import asyncpg

    async def reset() -> None:
        await ensure_database(url)
        connection = await asyncpg.connect(url)
        try:
            await connection.execute("DROP SCHEMA IF EXISTS public CASCADE; CREATE SCHEMA public")
        finally:
            await connection.close()

    asyncio.run(reset())
    code = (
        "import asyncio\n"
        "from core import db\n"
        "from core.schema import migrate\n"
        "from core.settings import get_settings\n"
        "from accounts.api_keys import create_api_client\n"
        "from accounts.passwords import hash_new_password\n"
        "from accounts.staff_admin import create_staff_account\n"
        "from org.demo import load_org_demo\n"
        "async def main():\n"
        "    await db.open_pool(get_settings())\n"
        "    await migrate()\n"
        "    async with db.transaction():\n"
        "        await load_org_demo()\n"
        "        issued = await create_api_client(\n"
        "            name='bench-camera', kind='camera', trusted=True)\n"
        "    secret = await hash_new_password('bench-handler-pass')\n"
        "    units = await db.raw('SELECT DISTINCT unit FROM dispatch_rule')\n"
        "    async with db.transaction():\n"
        "        for row in units:\n"
        f"            for i in range({HANDLERS_PER_UNIT}):\n"
        "                await create_staff_account(\n"
        "                    username=f'handler-{row[\"unit\"]}-{i}', password_hash=secret,\n"
        "                    role='handler', org_unit_id=row['unit'])\n"
        "    await db.close_pool()\n"
        "    print(issued.key)\n"
        "asyncio.run(main())\n"
    )
    done = subprocess.run(  # noqa: S603 - our own code
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, cwd=ROOT
    )
    if done.returncode:
        raise SystemExit(f"seeding failed:\n{done.stderr[-3000:]}")
    return done.stdout.strip().splitlines()[-1]


def wrk(url: str, mode: str, key: str, seconds: int, connections: int, rate: float = 0) -> dict:
    out = Path(tempfile.mktemp(suffix=".out"))
    env = {
        **os.environ,
        "BENCH_PHASE": f"{int(time.time())}-{next(_phases)}",
        "BENCH_KEY": key,
        "BENCH_MODE": mode,
        "BENCH_RATE": str(rate),
        "BENCH_OUT": str(out),
    }
    done = subprocess.run(  # noqa: S603 - wrk, fixed arguments
        ["wrk", "-t1", f"-c{connections}", f"-d{seconds}s", "-s", str(SCRIPT), url],
        capture_output=True,
        text=True,
        env=env,
        timeout=seconds + 60,
    )
    if done.returncode:
        raise SystemExit(f"wrk failed: {done.stderr}{done.stdout}")
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", done.stdout).group(1))
    head, sample, *values = out.read_text().split("\n")
    out.unlink()
    count, bad = (int(v) for v in head.split())
    if bad:
        raise SystemExit(f"{bad} of {count} {mode} answers were not as expected: {sample}")
    millis = sorted(int(v) / 1000 for v in values if v)
    return {
        "rps": rps,
        "p50": percentile(millis, 0.5),
        "p99": percentile(millis, 0.99),
        "max": millis[-1] if millis else float("nan"),
    }


def spread(values: list[float]) -> str:
    return f"{statistics.median(values):8.1f}  ({min(values):.1f}-{max(values):.1f})"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--database-url",
        default=os.environ.get(
            "CITYOPS_BENCH_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/cityops_bench"
        ),
    )
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--rate", type=float, default=150)
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()
    SCRIPT.write_text(LUA)
    env = clean_environment(
        CITYOPS_DATABASE_URL=args.database_url,
        CITYOPS_VAR_DIR=str(SCRIPT.parent / "var"),
        CITYOPS_WORKER_IN_PROCESS="false",
        CITYOPS_LOG_LEVEL="WARNING",
    )
    key = prepare(args.database_url, env)
    database = args.database_url.rsplit("/", 1)[-1]
    load_before = os.getloadavg()
    server = Uvicorn(["api.asgi:app"], env, workers=args.workers, log=SCRIPT.with_suffix(".log"))
    results: dict[str, list[dict]] = {"anchor": [], "reports": [], "paced": []}
    cpu: dict[str, list[float]] = {"api": [], "postgres": []}
    try:
        server.wait_ready("/readyz", ok_in_a_row=20)
        wrk(server.url, "reports", key, 2, args.connections)  # warm-up: caches, pools
        for _ in range(args.rounds):
            results["anchor"].append(wrk(server.url, "anchor", key, args.seconds, args.connections))
            api_before, pg_before = server.cpu_seconds(), postgres_cpu(database)
            got = wrk(server.url, "reports", key, args.seconds, args.connections)
            results["reports"].append(got)
            done = max(got["rps"] * args.seconds, 1) / 1000
            cpu["api"].append((server.cpu_seconds() - api_before) / done)
            cpu["postgres"].append(cpu_since(pg_before, postgres_cpu(database)) / done)
        for _ in range(args.rounds):
            paced = wrk(server.url, "paced", key, args.seconds, args.connections, args.rate)
            results["paced"].append(paced)
    finally:
        server.stop()
    report(args, results, cpu, load_before)


def report(args, results: dict[str, list[dict]], cpu: dict[str, list[float]], load_before) -> None:
    load_after = os.getloadavg()
    print(
        f"reports on PostgreSQL, {args.workers} uvicorn workers, wrk -t1 -c{args.connections}, "
        f"{args.rounds} interleaved rounds of {args.seconds} s; medians (min-max)"
    )
    print(f"  load average before {load_before[0]:.2f}, after {load_after[0]:.2f}")
    print("                                            req/s               p50 ms   p99 ms")
    for name, label in (
        ("anchor", "anchor  GET /readyz"),
        ("reports", "reports POST /api/intake/events"),
        ("paced", f"reports paced at {args.rate:.0f}/s"),
    ):
        rows = results[name]
        print(
            f"  {label:36s} {spread([r['rps'] for r in rows])}  "
            f"{statistics.median(r['p50'] for r in rows):7.1f}  "
            f"{statistics.median(r['p99'] for r in rows):7.1f}"
        )
    ratios = [
        r["rps"] / a["rps"] for r, a in zip(results["reports"], results["anchor"], strict=True)
    ]
    print(f"  reports / anchor per round: {', '.join(f'{x:.2f}' for x in ratios)}")
    print(f"  CPU per report, API workers: {spread(cpu['api'])} ms")
    print(f"  CPU per report, PostgreSQL:  {spread(cpu['postgres'])} ms")
    print("  targets: >= 200 reports/s; report-to-dispatched p99 <= 50 ms at 150/s")


if __name__ == "__main__":
    main()
