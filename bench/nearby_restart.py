"""A process restarting under load: does any request wait for the nearby index?

The app (one uvicorn worker, SQLite with --places places, bench/nearby.py's data) is
loaded by wrk (one thread, 16 connections, nearby searches at random points, each request's
latency and status taken by the Lua script's own clock). Two kinds of round, interleaved
A,B,A,B for --rounds:

    steady    the process is up and ready for the whole round (the anchor)
    restart   one second in, the process is stopped (SIGTERM) and a new one started on the
              same port; it builds its index in the background (places.index), answering
              503 places.index_warming until it is ready, then 200; the round lasts until
              AFTER_READY seconds past ready, so the new process's first answers count too

Printed per kind of round (medians and spread over the rounds): answers by status, p99 and
the maximum latency of answered requests, how many took over 100 ms (also per 10,000
answers: rounds differ in length), and for restarts how long the new process took to be
ready and where the slow answers were (slow_by_phase: to the old process, while warming,
in the first second after ready, later). Each round's raw answers (status, latency and send
time in microseconds of CLOCK_MONOTONIC) stay in the printed work directory. Connection
errors while no process listens (between the stop and the new process's bind) are counted
apart: a balancer sends those to another replica, as it does the 503s (/readyz). The
machine's load average is printed beside.

    .venv/bin/python bench/nearby_restart.py [--places 1000000] [--rounds 3] [--seconds 40]
"""

from __future__ import annotations

import argparse
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
AFTER_READY = 10  # seconds of a restart round after the new process is ready

from bench.common import UVICORN_ARGS, run_cli  # noqa: E402
from bench.nearby import env_for, load_sqlite, query_points  # noqa: E402

LUA = r"""
local ffi = require("ffi")
ffi.cdef([[typedef struct { long tv_sec; long tv_nsec; } nr_ts;
int clock_gettime(int clk_id, nr_ts *tp);]])
local ts = ffi.new("nr_ts")
local function now_us()
  ffi.C.clock_gettime(1, ts)
  return tonumber(ts.tv_sec) * 1000000 + tonumber(ts.tv_nsec) / 1000
end
local points, seq, sent, threads = {}, 0, {}, {}
lat = {}
st = {}
at = {}
n = 0
function setup(thread) threads[#threads + 1] = thread end
function init(args)
  for line in io.lines(os.getenv("BENCH_POINTS")) do points[#points + 1] = line end
end
function request()
  seq = seq + 1
  local id = "r" .. seq
  sent[id] = now_us()
  return wrk.format("GET", "/api/citizen/places/nearby?" .. points[math.random(#points)],
    {["X-Request-ID"] = id})
end
function response(status, headers, body)
  local id = headers["X-Request-ID"] or headers["x-request-id"]
  if id and sent[id] then
    n = n + 1
    lat[n] = now_us() - sent[id]
    st[n] = status
    at[n] = sent[id]
    sent[id] = nil
  end
end
function done(summary, latency, requests)
  local t = threads[1]
  local out = io.open(os.getenv("BENCH_OUT"), "w")
  local count, l, s, a = t:get("n"), t:get("lat"), t:get("st"), t:get("at")
  out:write(string.format("%d\n", summary.errors.connect + summary.errors.read
    + summary.errors.write + summary.errors.timeout))
  for i = 1, count do out:write(string.format("%d %d %d\n", s[i], l[i], a[i])) end
  out:close()
end
"""


class App:
    def __init__(self, env: dict[str, str], port: int, log: Path) -> None:
        self.port = port
        with log.open("ab") as output:
            self.process = subprocess.Popen(  # noqa: S603 - our app, fixed arguments
                [sys.executable, "-m", "uvicorn", "api.asgi:app", *UVICORN_ARGS]
                + ["--workers", "1", "--port", str(port)],
                cwd=ROOT,
                env=env,
                stdout=output,
                stderr=subprocess.STDOUT,
            )

    def wait(self, path: str, timeout: float = 600) -> float:
        import httpx

        started = time.monotonic()
        while time.monotonic() - started < timeout:
            if self.process.poll() is not None:
                raise SystemExit("the app exited")
            try:
                if httpx.get(f"http://127.0.0.1:{self.port}{path}", timeout=2).status_code == 200:
                    return time.monotonic() - started
            except httpx.TransportError:
                pass
            time.sleep(0.05)
        raise SystemExit(f"{path} not 200 within {timeout} s")

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


def round_(kind: str, app: App, env, port, seconds, points: Path, tmp: Path) -> tuple[dict, App]:
    out = tmp / f"{kind}-{time.monotonic_ns()}.out"  # kept: the raw answers of each round
    wrk_env = {**os.environ, "BENCH_POINTS": str(points), "BENCH_OUT": str(out)}
    # wrk runs until stopped (SIGINT: it still reports): a restart round lasts until AFTER_READY
    # seconds past ready, however long the build takes, so the first answers of the new
    # process are measured too.
    begun = time.monotonic()
    wrk = subprocess.Popen(  # noqa: S603 - fixed arguments
        ["wrk", "-t1", "-c16", "-d3600s", "-s", str(tmp / "restart.lua")]
        + [f"http://127.0.0.1:{port}"],
        env=wrk_env,
        stdout=subprocess.DEVNULL,
    )
    ready_after = stopped = ready = None
    end = begun + seconds
    if kind == "restart":
        time.sleep(1)
        stopped = time.monotonic()
        app.stop()
        started = time.monotonic()
        app = App(env, port, tmp / "app.log")
        app.wait("/readyz", timeout=600)
        ready = time.monotonic()
        ready_after = ready - started
        end = max(end, ready + AFTER_READY)
    time.sleep(max(0.0, end - time.monotonic()))
    wrk.send_signal(signal.SIGINT)
    wrk.wait(timeout=60)
    lines = out.read_text().split("\n")
    socket_errors = int(lines[0])
    answers = [tuple(map(int, line.split())) for line in lines[1:] if line]
    phases = None if ready is None else slow_by_phase(answers, stopped, ready)
    ms = sorted(latency / 1000 for _, latency, _ in answers)
    statuses: dict[int, int] = {}
    for status, _, _ in answers:
        statuses[status] = statuses.get(status, 0) + 1
    return {
        "statuses": statuses,
        "socket_errors": socket_errors,
        "p99": ms[int(len(ms) * 0.99)] if ms else float("nan"),
        "max": ms[-1] if ms else float("nan"),
        "over_100": sum(1 for v in ms if v > 100),
        # Rounds differ in length (a restart's lasts until after ready): compare rates.
        "over_100_per_10k": round(sum(1 for v in ms if v > 100) * 10_000 / max(1, len(ms)), 1),
        "ready_after": ready_after,
        "slow_by_phase": phases,
    }, app


def slow_by_phase(answers: list[tuple[int, int, int]], stopped: float, ready: float) -> dict:
    """Where the restart's slow answers are: each phase's count of answers over 100 ms (by
    status) and its maximum, phases by when the request was sent (wrk's clock and ours are
    both CLOCK_MONOTONIC): to the old process, while the new one warms, in the first
    second after /readyz said 200 (polled every 50 ms), and later."""
    phases: dict[str, dict] = {}
    for status, latency, sent in answers:
        at = sent / 1e6
        if at < stopped:
            phase = "old"
        elif at < ready:
            phase = "warming"
        elif at < ready + 1:
            phase = "ready_1s"
        else:
            phase = "later"
        entry = phases.setdefault(phase, {"n": 0, "max_ms": 0.0})
        entry["n"] += 1
        entry["max_ms"] = round(max(entry["max_ms"], latency / 1000), 1)
        if latency > 100_000:
            key = f"over_100_{status}"
            entry[key] = entry.get(key, 0) + 1
    return phases


def spread(values: list[float]) -> str:
    return f"{statistics.median(values):.1f} ({min(values):.1f}-{max(values):.1f})"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--places", type=int, default=1_000_000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--seconds", type=int, default=40)
    args = parser.parse_args()
    print(f"load average before: {os.getloadavg()} (2 cores shared with other engineers)")
    tmp = Path(tempfile.mkdtemp(prefix="bench-restart-"))
    print(f"work directory: {tmp}")
    (tmp / "restart.lua").write_text(LUA)
    db_path = tmp / "places.db"
    env = env_for(tmp, db_path)
    run_cli({**env, "PYTHONPATH": str(ROOT)}, "migrate")
    print(f"loaded {args.places} places in {load_sqlite(db_path, args.places):.0f} s")
    points = tmp / "points.txt"
    points.write_text(
        "\n".join(f"lat={lat}&lon={lon}&kinds={kind}" for lat, lon, kind in query_points(2000))
    )
    from bench.common import free_port

    port = free_port()
    app = App(env, port, tmp / "app.log")
    print(f"first start: ready after {app.wait('/readyz'):.1f} s")
    found: dict[str, list[dict]] = {"steady": [], "restart": []}
    try:
        for _ in range(args.rounds):
            for kind in found:
                result, app = round_(kind, app, env, port, args.seconds, points, tmp)
                found[kind].append(result)
                print(f"  {kind}: {result}", flush=True)
    finally:
        app.stop()
    for kind, runs in found.items():
        print(
            f"{kind:8} p99 {spread([r['p99'] for r in runs])} ms, max "
            f"{spread([r['max'] for r in runs])} ms, over 100 ms "
            f"{spread([r['over_100'] for r in runs])} "
            f"(per 10,000 answers {spread([r['over_100_per_10k'] for r in runs])}), socket errors "
            f"{spread([r['socket_errors'] for r in runs])}"
            + (
                f", ready after {spread([r['ready_after'] for r in runs])} s"
                if kind == "restart"
                else ""
            )
        )
    print(f"load average after: {os.getloadavg()}")


if __name__ == "__main__":
    main()
