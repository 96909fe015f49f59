"""Reads that may lag go to a streaming replica (core.replica), and to the primary when the
replica is down or too far behind.

The test brings its own primary and replica (tests/faults/private_postgres.py: initdb, then
pg_basebackup -R of it on another port), never the machine's cluster. To see where a read
went, the replica's replay is paused: a report filed afterwards exists on the primary only,
so statistics that count it were read on the primary and statistics that miss it on the
replica."""

from __future__ import annotations

import asyncio
import datetime as dt

import httpx
import pytest

from tests.cluster.support import admin_headers, create_admin
from tests.faults.support import (
    RUN_ONCE,
    ReportStream,
    app_process,
    migrate,
    seed_city_and_citizens,
    wait_for,
)
from tests.servers import app_env, free_port

pytestmark = RUN_ONCE


@pytest.fixture(scope="module")
def databases(private_pg, tmp_path_factory):
    """The primary with the demo city, two citizens and an admin; its replica."""
    url = private_pg.create_database("cityops")
    replica = private_pg.standby()
    try:
        env = _env(tmp_path_factory.mktemp("seed"), free_port(), url, replica, max_lag=30)
        migrate(env)
        citizens = seed_city_and_citizens(env, citizens=2)
        create_admin(env)
        yield private_pg, replica, url, citizens
    finally:
        replica.destroy()


def _env(tmp_path, port, primary_url, replica, max_lag):
    return app_env(
        tmp_path,
        port,
        "unused.db",
        CITYOPS_DATABASE_URL=primary_url,
        CITYOPS_DATABASE_REPLICA_URL=replica.url("cityops"),
        CITYOPS_DATABASE_REPLICA_MAX_LAG_SECONDS=str(max_lag),
        CITYOPS_MEDIA_UPLOAD_BURST="1000",
    )


async def _counted(client, headers) -> int:
    today = dt.datetime.now(dt.UTC)
    response = await client.get(
        "/api/admin/stats/",
        params={
            "from": (today - dt.timedelta(days=1)).isoformat(),
            "to": (today + dt.timedelta(days=1)).isoformat(),
            "groupBy": "source",
        },
        headers=headers,
    )
    assert response.status_code == 200, response.text
    return sum(row["reported"] for row in response.json()["rows"])


async def _file(url: str, citizens) -> int:
    """File reports as a phone does until one is filed; how many were (the phone may have
    started another before it was told to stop)."""
    stream = ReportStream(url, citizens, concurrency=1)
    task = asyncio.create_task(stream.run())
    assert await wait_for(lambda: len(stream.created) >= 1, 60)
    stream.stop.set()
    await task
    return len(stream.created)


async def _replica_note(client) -> str | None:
    """What /readyz says of the replica: None while reads go there."""
    ready = (await client.get("/readyz")).json()
    notes = [d["detail"] for d in ready.get("degraded", []) if d["code"] == "replica.skipped"]
    return notes[0] if notes else None


def _replayed(primary, replica) -> bool:
    lsn = primary.sql("SELECT pg_current_wal_lsn()")
    return replica.sql(f"SELECT pg_last_wal_replay_lsn() >= '{lsn}'::pg_lsn") == "t"


async def test_statistics_read_the_replica_and_fall_back_to_the_primary(databases, tmp_path):
    primary, replica, url, citizens = databases
    port = free_port()
    env = _env(tmp_path, port, url, replica, max_lag=3600)
    with app_process(env, port, tmp_path / "app.log") as app:
        async with httpx.AsyncClient(base_url=app.url, timeout=30) as client:
            headers = await admin_headers(client)
            filed = await _file(app.url, citizens)
            assert await wait_for(lambda: _replayed(primary, replica), 30)
            assert await _counted(client, headers) == filed

            # Replay paused: a report filed now is on the primary only; the statistics, read
            # on the replica (lag allowed: an hour), do not count it yet.
            replica.sql("SELECT pg_wal_replay_pause()")
            unseen = await _file(app.url, citizens)
            assert await _counted(client, headers) == filed
            assert await _replica_note(client) is None

            replica.sql("SELECT pg_wal_replay_resume()")
            assert await wait_for(lambda: _replayed(primary, replica), 30)
            filed += unseen
            assert await _counted(client, headers) == filed

            # The replica stops: the same reads go to the primary, no error on the way.
            replica.stop()
            filed += await _file(app.url, citizens)
            assert await _counted(client, headers) == filed
            assert await _replica_note(client) is not None
    replica.start()
    assert await wait_for(lambda: _replayed(primary, replica), 60)


async def test_a_replica_too_far_behind_is_skipped(databases, tmp_path):
    primary, replica, url, citizens = databases
    port = free_port()
    env = _env(tmp_path, port, url, replica, max_lag=0.5)
    with app_process(env, port, tmp_path / "app.log") as app:
        async with httpx.AsyncClient(base_url=app.url, timeout=30) as client:
            headers = await admin_headers(client)
            before = await _counted(client, headers)
            replica.sql("SELECT pg_wal_replay_pause()")
            try:
                filed = await _file(app.url, citizens)
                await asyncio.sleep(1.0)  # the replica is now more than 0.5 s behind
                # A fresh process checks the replica at its first read: behind, skipped.
                with app_process(env, free_port(), tmp_path / "app2.log") as fresh:
                    async with httpx.AsyncClient(base_url=fresh.url, timeout=30) as other:
                        assert await _counted(other, headers) == before + filed
                        assert "behind" in (await _replica_note(other) or "")
            finally:
                replica.sql("SELECT pg_wal_replay_resume()")
