"""Notification outbox benchmark, on PostgreSQL.

Notifications per second from the outbox to the loopback fake providers, with 1 and with 2
`cityops worker` processes claiming with FOR UPDATE SKIP LOCKED, printed side by side. Each
notification goes to a staff member with an iPhone and an Android phone: one inbox message,
one APNs push over HTTP/2 and one FCM v1 send (through firebase-admin) each. Each fake runs
in its own process. The workers are started first and idle; the clock starts when all jobs
are committed in one transaction and stops when every delivery is recorded as sent.

The database is wiped (public schema dropped and migrated afresh): point it at a scratch
database.

    .venv/bin/python bench/notify.py [--database-url URL] [--notifications 3000] [--runs 2]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

JWT_SECRET = "bench-jwt-secret-0123456789-0123456789-0123456789"
WECHAT_SECRET = "bench-wechat-secret"
OWNERS = 1000


def _free_port_block(size: int = 3) -> int:
    for _ in range(50):
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            base = probe.getsockname()[1]
        if base + size >= 65535:
            continue
        try:
            held = []
            for offset in range(size):
                s = socket.socket()
                s.bind(("127.0.0.1", base + offset))
                held.append(s)
            for s in held:
                s.close()
            return base
        except OSError:
            for s in held:
                s.close()
    raise SystemExit("no free ports")


def _wait_port(port: int, timeout: float = 20) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return
        except OSError:
            time.sleep(0.05)
    raise SystemExit(f"port {port} never opened")


async def _prepare(owners: int) -> None:
    from accounts.devices import register_device
    from core import db
    from core.actors import Actor
    from core.schema import migrate
    from core.settings import get_settings

    await db.open_pool(get_settings())
    await db.raw("DROP SCHEMA IF EXISTS public CASCADE")
    await db.raw("CREATE SCHEMA public")
    await migrate()
    async with db.transaction():
        for owner in range(1, owners + 1):
            actor = Actor(kind="staff", id=owner, role="handler")
            await register_device(
                actor=actor,
                platform="ios",
                token=f"ios{owner:061d}",
                app_version="1",
                locale="zh-CN",
            )
            await register_device(
                actor=actor,
                platform="android",
                token=f"and{owner:077d}",
                app_version="1",
                locale="en",
            )


async def _one_run(env: dict[str, str], workers: int, notifications: int, owners: int) -> dict:
    from core import db
    from notify.service import enqueue

    await db.raw("TRUNCATE notification_job, notification_delivery, inbox_message RESTART IDENTITY")
    procs = [
        subprocess.Popen(  # noqa: S603, ASYNC220 - started once, before the measure
            [sys.executable, "-m", "api.cli", "worker"],
            cwd=ROOT,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        for _ in range(workers)
    ]
    try:
        await asyncio.sleep(4)  # imports, pool, firebase app: not part of the measure
        async with db.transaction():
            for n in range(notifications):
                owner = n % owners + 1
                await enqueue(
                    recipient_kind="staff",
                    recipient_id=owner,
                    template="task.new",
                    params={"caseId": f"c_{n}", "number": f"N{n:06d}"},
                )
        started = time.perf_counter()
        expected = 2 * notifications
        errors: set[str] = set()
        while True:
            rows = await db.raw(
                "SELECT DISTINCT last_error FROM notification_delivery "
                "WHERE last_error <> '' LIMIT 5"
            )
            errors |= {r["last_error"] for r in rows}
            rows = await db.raw(
                "SELECT COUNT(*) AS n FROM notification_delivery WHERE status = 'sent'"
            )
            if rows[0]["n"] >= expected:
                break
            if time.perf_counter() - started > 600:
                raise SystemExit("timed out")
            await asyncio.sleep(0.02)
        elapsed = time.perf_counter() - started
        other = await db.raw(
            "SELECT status, COUNT(*) AS n FROM notification_delivery "
            "WHERE status <> 'sent' GROUP BY status"
        )
        dupes = await db.raw("SELECT COUNT(*) AS n FROM notification_delivery WHERE attempts > 1")
    finally:
        for proc in procs:
            proc.kill()
            proc.wait()
    return {
        "seconds": elapsed,
        "per_second": notifications / elapsed,
        "pushes_per_second": expected / elapsed,
        "not_sent": other,
        "retried": dupes[0]["n"],
        "errors": sorted(errors),
    }


async def main_async(args) -> None:
    from core import db

    await _prepare(OWNERS)
    results: dict[int, list[dict]] = {1: [], 2: []}
    for _ in range(args.runs):
        for workers in (1, 2):  # interleaved, so machine noise hits both alike
            results[workers].append(
                await _one_run(args.worker_env, workers, args.notifications, OWNERS)
            )
    await db.close_pool()
    print(
        f"\nnotify outbox -> fakes (APNs h2c + FCM v1), PostgreSQL, "
        f"{args.notifications} notifications x 2 pushes, batch {args.batch}, best of "
        f"{args.runs}"
    )
    print(f"{'workers':>8} {'notifications/s':>16} {'pushes/s':>10} {'seconds':>8}")
    best = {}
    for workers in (1, 2):
        run = max(results[workers], key=lambda r: r["per_second"])
        best[workers] = run
        print(
            f"{workers:>8} {run['per_second']:>16.0f} {run['pushes_per_second']:>10.0f} "
            f"{run['seconds']:>8.2f}"
        )
        if run["not_sent"] or run["retried"]:
            print(
                f"         unexpected: {run['not_sent']} retried={run['retried']} "
                f"errors={run['errors']}"
            )
    print(f"2 workers / 1 worker: {best[2]['per_second'] / best[1]['per_second']:.2f}x")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument(
        "--database-url",
        default=os.environ.get(
            "CITYOPS_BENCH_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/cityops_h4"
        ),
    )
    parser.add_argument("--notifications", type=int, default=3000)
    parser.add_argument("--runs", type=int, default=2)
    parser.add_argument("--batch", type=int, default=200)
    args = parser.parse_args()

    workdir = tempfile.mkdtemp(prefix="cityops-bench-notify-")
    port = _free_port_block()
    # One process per fake, so that the fakes are not what is measured.
    fakes = [
        subprocess.Popen(  # noqa: S603
            [
                sys.executable,
                "-m",
                "fakes",
                "--port",
                str(port),
                "--serve",
                name,
                "--wechat-secret",
                WECHAT_SECRET,
                "--fcm-project",
                "cityops-bench",
            ],
            cwd=ROOT,
            stdout=subprocess.DEVNULL,
        )
        for name in ("wechat", "apns", "fcm")
    ]
    env = {
        **os.environ,
        "CITYOPS_ENV": "test",
        "CITYOPS_DATABASE_URL": args.database_url,
        "CITYOPS_VAR_DIR": workdir,
        "CITYOPS_JWT_SECRET": JWT_SECRET,
        "CITYOPS_WECHAT_SECRET": WECHAT_SECRET,
        "CITYOPS_WECHAT_BASE_URL": f"http://127.0.0.1:{port}",
        "CITYOPS_APNS_BASE_URL": f"http://127.0.0.1:{port + 1}",
        "CITYOPS_FCM_BASE_URL": f"http://127.0.0.1:{port + 2}",
        "CITYOPS_FCM_TOKEN_URL": f"http://127.0.0.1:{port + 2}/token",
        "CITYOPS_FCM_PROJECT_ID": "cityops-bench",
        "CITYOPS_NOTIFY_BATCH_SIZE": str(args.batch),
        "CITYOPS_NOTIFY_INTERVAL_SECONDS": "0.05",
        "CITYOPS_LOG_LEVEL": "WARNING",
    }
    os.environ.update({k: v for k, v in env.items() if k.startswith("CITYOPS_")})
    args.worker_env = env
    try:
        for offset in range(3):
            _wait_port(port + offset)
        asyncio.run(main_async(args))
    finally:
        for fake in fakes:
            fake.kill()
            fake.wait()


if __name__ == "__main__":
    main()
