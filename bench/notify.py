"""Notification outbox benchmark, on PostgreSQL, with every push provider on.

Notifications per second from the outbox to the loopback fake providers, with 1 and with 2
`cityops worker` processes claiming with FOR UPDATE SKIP LOCKED: the 1-worker run is the
anchor the 2-worker run is compared with. Each notification goes to a staff member with nine
devices, one per provider: an iPhone (APNs over HTTP/2), an Android phone on FCM (through
firebase-admin), one each on Huawei Push Kit, Honor, Xiaomi, OPPO, vivo and JPush, and a
HarmonyOS NEXT phone (Push Kit v3): one inbox message and nine pushes. Each fake runs in its
own process. The workers are started first and idle; the clock starts when all jobs are
committed in one transaction and stops when every delivery is recorded as sent. Runs are
interleaved (1, 2, 1, 2, ...) so machine noise hits both alike; the medians and the spread
(min-max) are printed with the load average before and after.

The database is wiped (public schema dropped and migrated afresh): point it at a scratch
database.

    .venv/bin/python bench/notify.py [--database-url URL] [--notifications 3000] [--runs 3]
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

from fakes.push_vendors import OFFSETS, vendor_env  # noqa: E402

JWT_SECRET = "bench-jwt-secret-0123456789-0123456789-0123456789"
WECHAT_SECRET = "bench-wechat-secret"
OWNERS = 1000
# (platform, vendor) of each owner's devices: one per provider.
DEVICES = [
    ("ios", None),
    ("android", "fcm"),
    ("android", "huawei"),
    ("android", "honor"),
    ("android", "xiaomi"),
    ("android", "oppo"),
    ("android", "vivo"),
    ("android", "jpush"),
    ("harmony", None),
]
FAKES = ["wechat", "apns", "fcm", "huawei", "honor", "xiaomi", "oppo", "vivo", "jpush"]


def _free_port_block(size: int = 16) -> int:
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
            for index, (platform, vendor) in enumerate(DEVICES):
                await register_device(
                    actor=actor,
                    platform=platform,
                    vendor=vendor,
                    token=f"t{index}-{owner:060d}",
                    app_version="1",
                    locale="zh-CN" if index % 2 else "en",
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
        expected = len(DEVICES) * notifications
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
        channels = await db.raw(
            "SELECT channel, COUNT(*) AS n FROM notification_delivery "
            "WHERE status = 'sent' GROUP BY channel ORDER BY channel"
        )
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
        "channels": {r["channel"]: r["n"] for r in channels},
    }


async def main_async(args) -> None:
    from core import db

    await _prepare(OWNERS)
    load_before = os.getloadavg()
    results: dict[int, list[dict]] = {1: [], 2: []}
    for _ in range(args.runs):
        for workers in (1, 2):  # interleaved, so machine noise hits both alike
            results[workers].append(
                await _one_run(args.worker_env, workers, args.notifications, OWNERS)
            )
    await db.close_pool()
    load_after = os.getloadavg()
    print(
        f"\nnotify outbox -> fakes (APNs h2c, FCM v1, Huawei, HarmonyOS, Honor, Xiaomi, OPPO, "
        f"vivo, JPush), PostgreSQL, {args.notifications} notifications x {len(DEVICES)} pushes, "
        f"batch {args.batch}, {args.runs} interleaved runs each"
    )
    print(f"{'workers':>8} {'notifications/s':>16} {'spread':>13} {'pushes/s':>9} {'seconds':>8}")
    medians = {}
    for workers in (1, 2):
        runs = results[workers]
        rates = [r["per_second"] for r in runs]
        medians[workers] = statistics.median(rates)
        print(
            f"{workers:>8} {medians[workers]:>16.0f} {min(rates):>6.0f}-{max(rates):<6.0f} "
            f"{statistics.median(r['pushes_per_second'] for r in runs):>9.0f} "
            f"{statistics.median(r['seconds'] for r in runs):>8.2f}"
        )
        for run in runs:
            if run["not_sent"] or run["retried"]:
                print(
                    f"         unexpected: {run['not_sent']} retried={run['retried']} "
                    f"errors={run['errors']}"
                )
    print(f"sent per provider (last run): {results[2][-1]['channels']}")
    print(f"2 workers / 1 worker (medians): {medians[2] / medians[1]:.2f}x")
    print(
        "load average (1/5/15 min) before {:.2f} {:.2f} {:.2f}, after {:.2f} {:.2f} {:.2f} "
        "on {} CPUs".format(*load_before, *load_after, os.cpu_count())
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument(
        "--database-url",
        default=os.environ.get(
            "CITYOPS_BENCH_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/cityops_h4"
        ),
    )
    parser.add_argument("--notifications", type=int, default=3000)
    parser.add_argument("--runs", type=int, default=3)
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
        for name in FAKES
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
        **vendor_env(port),
    }
    os.environ.update({k: v for k, v in env.items() if k.startswith("CITYOPS_")})
    args.worker_env = env
    try:
        for offset in (0, 1, 2, *OFFSETS.values()):
            _wait_port(port + offset)
        asyncio.run(main_async(args))
    finally:
        for fake in fakes:
            fake.kill()
            fake.wait()


if __name__ == "__main__":
    main()
