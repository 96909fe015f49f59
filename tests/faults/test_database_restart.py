"""PostgreSQL restarts under load (issue 9, "Faults").

Phones keep filing reports while the database goes away for a few seconds and comes back.
During the outage every answer is a 503 problem with a Retry-After (never a 500, never a
hang), the same API process serves 201s again soon after the database is back (the pool
reconnects; nobody restarts the app), the in-process notification worker catches up, and
every report a phone was told was filed is in the database with its events.

The test brings its own PostgreSQL cluster (tests/faults/private_postgres.py): restarting
the machine's shared server would break every other test using it. As it does not use
CITYOPS_TEST_DATABASE_URL it runs once, in the suite's SQLite pass; the PostgreSQL pass
skips it rather than run the same thing again."""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass

import asyncpg
import httpx
import pytest

from tests.faults.private_postgres import PrivatePostgres
from tests.faults.support import (
    RUN_ONCE,
    ReportStream,
    app_process,
    migrate,
    seed_city_and_citizens,
    wait_for,
)
from tests.helpers import assert_problem
from tests.servers import app_env, free_port

OUTAGE_SECONDS = 3.0
# Generous for a loaded 2-core CI machine; a working pool reconnects within a second or two.
RECOVERY_TIMEOUT = 30.0
# A small pool: a connection lost for good in each outage would soon leave none.
POOL_MAX = 4

pytestmark = RUN_ONCE


@pytest.fixture
def app_on_private_pg(private_pg, tmp_path):
    url = private_pg.create_database("cityops")
    port = free_port()
    env = app_env(
        tmp_path,
        port,
        "unused.db",
        CITYOPS_DATABASE_URL=url,
        # The notification worker and the periodic tasks live through the outage too.
        CITYOPS_WORKER_IN_PROCESS="true",
        CITYOPS_NOTIFY_INTERVAL_SECONDS="0.2",
        CITYOPS_DB_POOL_MIN="2",
        CITYOPS_DB_POOL_MAX=str(POOL_MAX),
        # Its 30 citizens upload as fast as the outage lets them: not what is measured here.
        CITYOPS_MEDIA_UPLOAD_BURST="100000",
    )
    migrate(env)
    citizens = seed_city_and_citizens(env, citizens=30)
    with app_process(env, port, tmp_path / "app.log") as app:
        yield app, url, citizens


@dataclass
class Outage:
    how: str
    down_at: float
    back_at: float
    first_success: float | None = None
    readyz: httpx.Response | None = None
    healthz: httpx.Response | None = None


async def _outage(pg: PrivatePostgres, how: str, stream: ReportStream, probe) -> Outage:
    down_at = time.monotonic()
    readyz = healthz = None
    if how == "stop, wait, start":
        await asyncio.to_thread(pg.stop)
        # While the database is down: readiness is honest, liveness is not affected.
        readyz, healthz = await probe.get("/readyz"), await probe.get("/healthz")
        await asyncio.sleep(OUTAGE_SECONDS)
        await asyncio.to_thread(pg.start)
    else:
        await asyncio.to_thread(pg.restart)
    outage = Outage(how, down_at, time.monotonic(), readyz=readyz, healthz=healthz)
    await wait_for(lambda: stream.successes_since(outage.back_at) >= 1, RECOVERY_TIMEOUT)
    outage.first_success = min(
        (o.at for o in stream.reports(201) if o.at > outage.back_at), default=None
    )
    # Steady again, not just one lucky request, before the next fault.
    await wait_for(lambda: stream.successes_since(outage.back_at) >= 10, RECOVERY_TIMEOUT)
    return outage


async def test_reports_survive_postgres_restarts(private_pg, app_on_private_pg):
    app, db_url, citizens = app_on_private_pg
    stream = ReportStream(app.url, citizens, concurrency=4)
    load = asyncio.create_task(stream.run())
    outages = []
    async with httpx.AsyncClient(base_url=app.url, timeout=10) as probe:
        try:
            assert await wait_for(lambda: stream.successes_since(0) >= 10, 60)
            for how in ("stop, wait, start", "pg_ctl restart -m fast"):
                outages.append(await _outage(private_pg, how, stream, probe))
            ready_after = await probe.get("/readyz")
        finally:
            stream.stop.set()
            await asyncio.wait_for(load, 60)

    for outage in outages:
        recovery = (
            f"{outage.first_success - outage.back_at:.2f} s" if outage.first_success else "never"
        )
        print(
            f"\n{outage.how}: during {dict(stream.tally(outage.down_at, outage.back_at))}, "
            f"first 201 {recovery} after PostgreSQL was back"
        )
    print(f"all: {dict(stream.tally(0, float('inf')))}")

    first = outages[0]
    assert_problem(first.readyz, 503, "service.unavailable")
    assert first.healthz.status_code == 200
    assert ready_after.status_code == 200
    for outage in outages:
        assert outage.first_success is not None, f"no report filed after {outage.how}"
        # Every answer until the service was back was a 201 or a 503 problem with
        # Retry-After: no 500, no refusal, no request left hanging until its timeout.
        window = [o for o in stream.outcomes if outage.down_at <= o.at < outage.first_success]
        assert {o.status for o in window} <= {201, 503}, window
        unavailable = [o for o in window if o.status == 503]
        assert unavailable, f"no request saw the outage ({outage.how})"
        assert {o.code for o in unavailable} == {"service.unavailable"}
        assert all(o.retry_after and int(o.retry_after) > 0 for o in unavailable)
    assert {o.status for o in stream.outcomes} <= {201, 503}, stream.tally(0, float("inf"))

    assert app.process.poll() is None, "the API process died"
    await _check_database(db_url, stream)
    # Nothing was logged as an unhandled error, and no pooled connection was lost: a
    # leaked one would make the pool's close, and so the shutdown, wait forever.
    assert "ERROR" not in app.log_text(), app.log_text()[-3000:]
    assert app.terminate(timeout=20) is not None, app.log_text()[-3000:]


async def _check_database(db_url: str, stream: ReportStream) -> None:
    connection = await asyncpg.connect(db_url)
    try:
        rows = await connection.fetch(
            "SELECT c.public_id, c.number, c.state, "
            "(SELECT count(*) FROM case_event e WHERE e.\"case\" = c.id AND e.action = 'report') "
            "AS reported, "
            '(SELECT count(*) FROM case_media m WHERE m."case" = c.id) AS photos '
            "FROM case_file c"
        )
        by_id = {row["public_id"]: row for row in rows}
        missing = sorted(set(stream.created) - set(by_id))
        assert not missing, f"reports answered 201 but not stored: {missing}"
        # Retries after a 503 reused their Idempotency-Key: each report was filed once,
        # also when its first attempt had committed but its answer was lost.
        assert len(by_id) == len(stream.created)
        for case_id, number in stream.created.items():
            row = by_id[case_id]
            assert row["number"] == number
            assert row["reported"] == 1 and row["photos"] == 1, dict(row)
        # The in-process worker lived through the outage: every queued notification is
        # delivered to the inbox in the end.
        assert await wait_for(
            lambda: _pending_jobs(connection), within=RECOVERY_TIMEOUT, every=0.5
        ), "notifications stuck in the outbox after the restart"
    finally:
        await connection.close()


async def _pending_jobs(connection) -> bool:
    left = await connection.fetchval(
        "SELECT count(*) FROM notification_job WHERE status = 'pending'"
    )
    return left == 0
