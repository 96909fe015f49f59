"""Inspector app benchmark, on PostgreSQL.

1. Track upload throughput: GPS fixes per second through ``POST /api/inspector/patrols/{id}/
   track`` in 1,000-fix batches (with an Idempotency-Key, as the app sends them), one client
   and several clients (one inspector and patrol each).
2. One-tap closure latency: ``POST /api/inspector/cases/{id}/close`` with an after-photo id,
   p50 / p99 over many resolved cases, one request at a time.

Anchors, measured in the same run and interleaved with the real requests so machine noise
hits both alike:
- a bare Litestar app (same uvicorn, same msgspec Structs) that decodes the same JSON body and
  answers without touching a database: the floor of HTTP + JSON on this machine;
- for the closure, also ``GET /api/inspector/me`` on the real app: an authenticated one-row
  read, the cheapest database-backed request.

The real app runs under uvicorn in a subprocess on a free loopback port against a scratch
PostgreSQL database, created here and dropped at the end (or ``--database-url``, which is
wiped). Every phase is bounded by ``--seconds``.

    .venv/bin/python bench/inspector.py [--batches 40] [--clients 4] [--closes 300]
        [--seconds 60] [--pg postgresql://postgres@127.0.0.1:5432/postgres]
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import json
import math
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
BATCH = 1000
JSON = {"Content-Type": "application/json"}
SW_GRID = "370202001001001"
LAT, LON = 36.0575, 120.3712


# --- the anchor: a bare Litestar app taking the same bodies ------------------------------------


def anchor_app():
    from litestar import Litestar, post

    from api.inspector.cases import CloseIn
    from api.inspector.patrols import TrackIn, TrackOut

    @post("/track", status_code=200)
    async def track(data: TrackIn) -> TrackOut:
        return TrackOut(accepted=len(data.fixes), duplicates=0, total=len(data.fixes))

    @post("/close", status_code=200)
    async def close(data: CloseIn) -> dict[str, int]:
        return {"photos": len(data.media_ids)}

    return Litestar(
        route_handlers=[track, close],
        signature_namespace={"TrackIn": TrackIn, "TrackOut": TrackOut, "CloseIn": CloseIn},
    )


def _serve_anchor(port: int) -> None:
    import uvicorn

    uvicorn.run(anchor_app(), host="127.0.0.1", port=port, log_level="warning", access_log=False)


# --- setup ------------------------------------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


async def _scratch_database(admin_url: str, name: str, *, drop: bool) -> str:
    import asyncpg

    connection = await asyncpg.connect(admin_url)
    try:
        await connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        if not drop:
            await connection.execute(f'CREATE DATABASE "{name}"')
    finally:
        await connection.close()
    return admin_url.rsplit("/", 1)[0] + f"/{name}"


def _environment(url: str, workdir: str) -> dict[str, str]:
    return {
        "CITYOPS_ENV": "development",
        "CITYOPS_VAR_DIR": workdir,
        "CITYOPS_DATABASE_URL": url,
        "CITYOPS_JWT_SECRET": JWT_SECRET,
        "CITYOPS_LOG_LEVEL": "WARNING",
        "CITYOPS_WORKER_IN_PROCESS": "false",
        "CITYOPS_DB_POOL_MAX": "20",
    }


async def _setup(clients: int, closes: int) -> dict:
    """A fresh schema, the demo city, inspectors and a handler, resolved cases in the
    inspector's grid and an unused after-photo per case (rows only: closing reads no file)."""
    from accounts.passwords import hash_new_password
    from accounts.service import create_staff
    from accounts.tables import Staff
    from accounts.tokens import issue_access_token
    from core import clock, db
    from core.ids import public_id
    from core.schema import migrate
    from core.settings import get_settings
    from org import grids, units
    from org.demo import load_org_demo

    await db.open_pool(get_settings())
    await db.raw("DROP SCHEMA IF EXISTS public CASCADE")
    await db.raw("CREATE SCHEMA public")
    await migrate()
    now = clock.now()
    async with db.transaction():
        inspectors = [
            await create_staff(
                username=f"inspector{i}",
                password_hash=await hash_new_password("bench-password-1"),
                role="inspector",
            )
            for i in range(clients)
        ]
        await load_org_demo(inspector_staff_ids=[inspectors[0].id])
        hw = await units.get_unit_by_code(code="370202-HW")
        handler = await create_staff(
            username="handler",
            password_hash=await hash_new_password("bench-password-1"),
            role="handler",
        )
        await Staff.update({Staff.org_unit_id: hw.id}).where(Staff.id == handler.id)
        grid = await grids.get_grid(code=SW_GRID)
        for other in inspectors[1:]:
            await grids.assign_inspector(grid_code=SW_GRID, staff_id=other.id)
        inspector = inspectors[0]
        cases, photos = [], []
        for index in range(closes):
            case_pid, media_pid = public_id("k"), public_id("m")
            rows = await db.raw(
                "INSERT INTO case_file (public_id, number, category_code, description, lat, lon, "
                "address, grid_id, unit_id, state, priority, source, reporter_kind, reporter_id, "
                "anonymous, flags, rework_count, reopen_count, sla_level, overdue, "
                "rating_comment, reported_at, accepted_at, dispatched_at, resolved_at, "
                "updated_at) VALUES ({}, {}, 'E0102', '', {}, {}, '', {}, {}, 'resolved', 3, "
                "'inspector', 'staff', {}, false, '[]', 0, 0, 0, false, '', {}, {}, {}, {}, {}) "
                "RETURNING id",
                case_pid,
                f"B{index:08d}",
                LAT,
                LON,
                grid.id,
                hw.id,
                inspector.id,
                now,
                now,
                now,
                now,
                now,
            )
            await db.raw(
                'INSERT INTO case_event ("case", action, from_state, to_state, actor_kind, '
                "actor_id, note, media_ids, data, created_at) VALUES ({}, 'resolve', "
                "'dispatched', 'resolved', 'staff', {}, '', '[]', {}, {})",
                rows[0]["id"],
                handler.id,
                "{}",
                now,
            )
            await db.raw(
                "INSERT INTO media (public_id, owner_kind, owner_id, sha256, phash, format, width, "
                "height, size_bytes, display_key, thumb_key, exif_taken_at, exif_lat, exif_lon, "
                "uploaded_at) VALUES ({}, 'staff', {}, {}, '0000000000000000', 'JPEG', 1600, "
                "1200, 250000, 'x/display.jpg', 'x/thumb.jpg', {}, {}, {}, {})",
                media_pid,
                inspector.id,
                f"{index:064x}",
                now,
                LAT,
                LON,
                now,
            )
            cases.append(case_pid)
            photos.append(media_pid)
    tokens = [
        issue_access_token(subject=s.public_id, role="inspector", audience="staff")[0]
        for s in inspectors
    ]
    await db.close_pool()
    return {"tokens": tokens, "cases": cases, "photos": photos}


def _start(command: list[str], env: dict[str, str], port: int) -> subprocess.Popen:
    import httpx

    process = subprocess.Popen(
        command,
        cwd=ROOT,
        env={**os.environ, **env},  # noqa: S603
        stdout=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 30
    while True:
        try:
            httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1)
            return process  # any answer (even 404 from the anchor) means it is up
        except httpx.TransportError:
            pass
        if process.poll() is not None or time.monotonic() > deadline:
            process.kill()
            raise SystemExit(f"server on port {port} did not start")
        time.sleep(0.1)


# --- the measurements -------------------------------------------------------------------------


def _batch(start: dt.datetime, index: int) -> bytes:
    """1,000 fixes one second apart: a walk at 1.2 m/s round a 300 m circle (a patrol
    loop) with a few metres of GPS noise, in the app's JSON, encoded once up front so the
    client's own JSON encoding is not part of either side's figure."""
    fixes = []
    for i in range(BATCH):
        k = index * BATCH + i
        angle = k * 1.2 / 300
        noise_lat, noise_lon = math.sin(k * 12.9898) * 3, math.cos(k * 78.233) * 3
        fixes.append(
            {
                "at": (start + dt.timedelta(seconds=k)).isoformat(),
                "lat": LAT + (300 * math.sin(angle) + noise_lat) / 111_320,
                "lon": LON + (300 * math.cos(angle) + noise_lon) / 90_000,
                "accuracy": 6.5,
            }
        )
    return json.dumps({"fixes": fixes}).encode()


async def _track_phase(
    app: str, anchor: str, tokens: list[str], batches: int, budget: float
) -> dict[str, float]:
    """Interleaved rounds: every client sends one batch to the app, then the same batches
    go to the anchor. fixes/s = fixes / wall time of the rounds, per side."""
    import httpx

    start = dt.datetime.now(dt.UTC) - dt.timedelta(days=5)
    clients = len(tokens)
    async with (
        httpx.AsyncClient(base_url=app, timeout=60) as api,
        httpx.AsyncClient(base_url=anchor, timeout=60) as bare,
    ):
        patrols = []
        for token in tokens:
            response = await api.post(
                "/api/inspector/patrols", json={}, headers={"Authorization": f"Bearer {token}"}
            )
            assert response.status_code == 201, response.text
            patrols.append(response.json()["id"])
        bodies = [[_batch(start, c * batches + b) for b in range(batches)] for c in range(clients)]
        spent = {"app": 0.0, "anchor": 0.0}
        sent = 0
        finish = time.monotonic() + budget
        for b in range(batches):

            async def to_app(c: int, b: int = b) -> None:
                response = await api.post(
                    f"/api/inspector/patrols/{patrols[c]}/track",
                    content=bodies[c][b],
                    headers={
                        "Authorization": f"Bearer {tokens[c]}",
                        **JSON,
                        "Idempotency-Key": f"track-{c}-{b}",
                    },
                )
                assert response.status_code == 200 and response.json()["accepted"] == BATCH, (
                    response.text
                )

            async def to_anchor(c: int, b: int = b) -> None:
                response = await bare.post("/track", content=bodies[c][b], headers=JSON)
                assert response.status_code == 200, response.text

            for side, call in (("app", to_app), ("anchor", to_anchor)):
                began = time.perf_counter()
                await asyncio.gather(*[call(c) for c in range(clients)])
                spent[side] += time.perf_counter() - began
            sent += clients * BATCH
            if b >= 1 and time.monotonic() > finish:
                break
        # Ending computes the summary over every fix (jump filter, 30 m buffer, coverage).
        began = time.perf_counter()
        response = await api.post(
            f"/api/inspector/patrols/{patrols[0]}/end",
            json={},
            headers={"Authorization": f"Bearer {tokens[0]}"},
        )
        end_s = time.perf_counter() - began
        assert response.status_code == 200, response.text
        for c in range(1, clients):
            await api.post(
                f"/api/inspector/patrols/{patrols[c]}/end",
                json={},
                headers={"Authorization": f"Bearer {tokens[c]}"},
            )
    return {
        "fixes": sent,
        "app": sent / spent["app"],
        "anchor": sent / spent["anchor"],
        "end_ms": end_s * 1000,
        "per_patrol": sent // clients,
    }


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q * (len(ordered) - 1))))]


async def _close_phase(
    app: str, anchor: str, token: str, cases: list[str], photos: list[str], budget: float
) -> dict[str, list[float]]:
    import httpx

    headers = {"Authorization": f"Bearer {token}"}
    timings: dict[str, list[float]] = {"close": [], "bare": [], "me": []}
    finish = time.monotonic() + budget
    async with (
        httpx.AsyncClient(base_url=app, timeout=60) as api,
        httpx.AsyncClient(base_url=anchor, timeout=60) as bare,
    ):
        for _ in range(5):  # warm both sides
            await bare.post("/close", json={"mediaIds": [photos[0]], "note": "ok"})
            await api.get("/api/inspector/me", headers=headers)
        for index, (case_id, photo) in enumerate(zip(cases, photos, strict=True)):
            body = {"mediaIds": [photo], "note": "已核查，处置到位"}
            began = time.perf_counter()
            response = await api.post(
                f"/api/inspector/cases/{case_id}/close",
                json=body,
                headers={**headers, "Idempotency-Key": f"close-{index}"},
            )
            timings["close"].append(time.perf_counter() - began)
            assert response.status_code == 200, response.text
            assert response.json()["case"]["state"] == "closed"
            began = time.perf_counter()
            await bare.post("/close", json=body)
            timings["bare"].append(time.perf_counter() - began)
            began = time.perf_counter()
            await api.get("/api/inspector/me", headers=headers)
            timings["me"].append(time.perf_counter() - began)
            if index >= 20 and time.monotonic() > finish:
                break
    return timings


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--batches", type=int, default=40, help="batches per client")
    parser.add_argument("--clients", type=int, default=4)
    parser.add_argument("--closes", type=int, default=300)
    parser.add_argument("--seconds", type=float, default=60, help="time budget per phase")
    parser.add_argument(
        "--pg",
        default=os.environ.get(
            "CITYOPS_BENCH_ADMIN_URL", "postgresql://postgres@127.0.0.1:5432/postgres"
        ),
        help="a PostgreSQL server URL; a scratch database is created there and dropped",
    )
    parser.add_argument(
        "--database-url", default=None, help="use (and wipe) this database instead of a scratch one"
    )
    parser.add_argument("--serve-anchor", type=int, default=None, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve_anchor:
        _serve_anchor(args.serve_anchor)
        return

    scratch = f"cityops_bench_inspector_{os.getpid()}"
    url = args.database_url or asyncio.run(_scratch_database(args.pg, scratch, drop=False))
    workdir = tempfile.mkdtemp(prefix="cityops-bench-")
    env = _environment(url, workdir)
    os.environ.update(env)
    from core.settings import reload_settings

    reload_settings()
    processes = []
    try:
        seeded = asyncio.run(_setup(max(args.clients, 1), args.closes))
        app_port, anchor_port = _free_port(), _free_port()
        processes.append(
            _start(
                [
                    sys.executable,
                    "-m",
                    "uvicorn",
                    "api.asgi:app",
                    "--host",
                    "127.0.0.1",
                    "--port",
                    str(app_port),
                    "--no-access-log",
                    "--log-level",
                    "warning",
                ],
                env,
                app_port,
            )
        )
        processes.append(
            _start(
                [sys.executable, str(Path(__file__).resolve()), "--serve-anchor", str(anchor_port)],
                env,
                anchor_port,
            )
        )
        app, anchor = f"http://127.0.0.1:{app_port}", f"http://127.0.0.1:{anchor_port}"

        where = "given database" if args.database_url else "scratch database"
        print(
            f"inspector app on PostgreSQL ({where}), uvicorn 1 worker, loopback; "
            "anchor: bare Litestar app, same Structs, no database"
        )
        asyncio.run(_track_phase(app, anchor, seeded["tokens"][:1], 2, 10))  # warm-up
        for clients in sorted({1, args.clients}):
            track = asyncio.run(
                _track_phase(app, anchor, seeded["tokens"][:clients], args.batches, args.seconds)
            )
            print(
                f"track upload, {clients} client(s), {BATCH}-fix batches, "
                f"{track['fixes']:,} fixes each side"
            )
            print(f"  app     POST /patrols/{{id}}/track    {track['app']:>10,.0f} fixes/s")
            print(f"  anchor  bare Litestar, same JSON      {track['anchor']:>10,.0f} fixes/s")
            ratio = track["app"] / track["anchor"]
            print(f"  ratio   app / anchor                  {ratio:>10.2f}")
            print(
                f"  end of a {track['per_patrol']:,}-fix patrol (summary)    "
                f"{track['end_ms']:>10.0f} ms"
            )
        timings = asyncio.run(
            _close_phase(
                app, anchor, seeded["tokens"][0], seeded["cases"], seeded["photos"], args.seconds
            )
        )
        n = len(timings["close"])
        print(f"one-tap closure, {n} resolved cases, one request at a time (ms)")
        for name, label in (
            ("close", "app     POST /cases/{id}/close      "),
            ("me", "anchor  GET /me (1-row read, auth)  "),
            ("bare", "anchor  bare Litestar, same JSON    "),
        ):
            values = [v * 1000 for v in timings[name]]
            print(
                f"  {label} p50 {statistics.median(values):7.2f}   "
                f"p99 {_percentile(values, 0.99):7.2f}"
            )
        ratio = statistics.median(timings["close"]) / statistics.median(timings["me"])
        print(f"  ratio   close p50 / GET /me p50     {ratio:7.2f}")
    finally:
        for process in processes:
            process.terminate()
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
        if not args.database_url:
            asyncio.run(_scratch_database(args.pg, scratch, drop=True))


if __name__ == "__main__":
    main()
