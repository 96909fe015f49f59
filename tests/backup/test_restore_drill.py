"""The restore drill (PostgreSQL): a populated database is dumped with `pg_dump -Fc`,
restored with `pg_restore` into a fresh database, and a real `cityops serve` started on the
copy serves it: the same reports, balances and photos, sessions that still refresh, new
writes that do not collide with restored ids, and the invariants that must survive a
backup: ledger sums, unbroken case event chains, outbox states and their links.

The copy goes to CITYOPS_TEST_RESTORE_DATABASE_URL if set (its public schema is replaced),
else to a database named after the test database with ``_restore``, created and dropped
here on the same server."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from urllib.parse import urlsplit, urlunsplit

import asyncpg
import httpx
import pytest

from core.db import transaction
from core.settings import get_settings
from notify.fanout import fan_out
from notify.service import enqueue
from tests.api.citizen.test_reports import _act, _report
from tests.cases_city import AUTO_CATEGORY, IN_GRID, build_city
from tests.conftest import ON_POSTGRES
from tests.helpers import require_system, upload_photo
from tests.rewards.support import public_citizen_id
from tests.servers import ROOT, running_apps

pytestmark = pytest.mark.skipif(not ON_POSTGRES, reason="the restore drill is PostgreSQL's")

_LEDGER = (
    "SELECT account_id, SUM(amount) AS total, COUNT(*) AS n FROM points_entry GROUP BY 1 ORDER BY 1"
)
_EVENTS = 'SELECT "case" AS case_id, from_state, to_state FROM case_event ORDER BY "case", id'
_OUTBOX = (
    "SELECT 'job' AS kind, status, COUNT(*) AS n FROM notification_job GROUP BY status "
    "UNION ALL SELECT 'delivery', status, COUNT(*) FROM notification_delivery GROUP BY status "
    "ORDER BY 1, 2"
)
# Deliveries and inbox messages whose job is missing: a restore must keep the links.
_ORPHANS = (
    "SELECT (SELECT COUNT(*) FROM notification_delivery d WHERE NOT EXISTS "
    "(SELECT 1 FROM notification_job j WHERE j.id = d.job_id)) + (SELECT COUNT(*) FROM "
    "inbox_message m WHERE NOT EXISTS "
    "(SELECT 1 FROM notification_job j WHERE j.id = m.job_id)) AS n"
)


def _with_database(url: str, name: str) -> str:
    parts = urlsplit(url)
    return urlunsplit(parts._replace(path=f"/{name}"))


async def _invariants(url: str) -> dict:
    conn = await asyncpg.connect(url)
    try:
        ledger = [tuple(r) for r in await conn.fetch(_LEDGER)]
        events = await conn.fetch(_EVENTS)
        states = {r["id"]: r["state"] for r in await conn.fetch("SELECT id, state FROM case_file")}
        outbox = [tuple(r) for r in await conn.fetch(_OUTBOX)]
        orphans = await conn.fetchval(_ORPHANS)
    finally:
        await conn.close()
    chains: dict[int, list[tuple]] = {}
    for row in events:
        chains.setdefault(row["case_id"], []).append((row["from_state"], row["to_state"]))
    broken = []
    for case_id, state in states.items():
        chain = chains.get(case_id, [])
        links_hold = all(nxt[0] == prev[1] for prev, nxt in zip(chain, chain[1:], strict=False))
        if not chain or chain[0][0] is not None or not links_hold or chain[-1][1] != state:
            broken.append((case_id, state, chain))
    return {
        "ledger": ledger,
        "cases": sorted(states.items()),
        "events": len(events),
        "broken_chains": broken,
        "outbox": outbox,
        "orphans": orphans,
    }


async def _populate(api) -> dict:
    city = await build_city(api)
    citizen = await api.citizen()
    device = {"platform": "ios", "token": "b" * 64}
    assert (
        await api.post("/api/citizen/devices", json=device, headers=citizen.headers)
    ).status_code in (200, 201)
    cases = [(await _report(api, citizen, category=AUTO_CATEGORY)).json()["id"] for _ in range(2)]
    waiting = (await _report(api, citizen, category="E0102")).json()["id"]
    await _act(api, city, waiting, "reject", reason="不属于城市管理范围")
    admin = await api.staff("admin")
    adjust = {"citizenId": public_citizen_id(citizen), "amount": 15, "reason": "演练"}
    assert (
        await api.post("/api/admin/points/adjust", json=adjust, headers=admin.headers)
    ).status_code in (200, 201)
    async with transaction():  # inbox messages and push deliveries, some still pending
        await fan_out(channels={"apns"}, settings=get_settings(), batch=100)
        await enqueue(
            recipient_kind="staff",
            recipient_id=city.inspector.subject_id,
            template="case.accepted",
            params={},
        )
    photo = await upload_photo(api.client, citizen, seed=3)
    return {"citizen": citizen, "cases": cases + [waiting], "photo": photo}


def _run(*args: str, env: dict[str, str] | None = None) -> None:
    done = subprocess.run(
        list(args), cwd=ROOT, env=env, capture_output=True, text=True, timeout=300, check=False
    )
    assert done.returncode == 0, f"{args[0]}: {done.stderr[-2000:]}"


async def test_a_dump_restores_into_a_database_the_service_runs_on(api, tmp_path):
    for tool in ("pg_dump", "pg_restore", "psql"):
        require_system(tool, shutil.which(tool) is not None, "apt-get install -y postgresql-client")
    source = get_settings().database_url.replace("postgres://", "postgresql://", 1)
    world = await _populate(api)
    before = await _invariants(source)
    assert before["broken_chains"] == [] and before["orphans"] == 0
    assert before["ledger"] and before["outbox"] and before["events"] >= 4

    target = os.environ.get("CITYOPS_TEST_RESTORE_DATABASE_URL", "")
    created = None
    if not target:
        created = f"{urlsplit(source).path.lstrip('/')}_restore"
        _run("psql", source, "-v", "ON_ERROR_STOP=1", "-qc", f'DROP DATABASE IF EXISTS "{created}"')
        _run("psql", source, "-v", "ON_ERROR_STOP=1", "-qc", f'CREATE DATABASE "{created}"')
        target = _with_database(source, created)
    else:
        _run(
            "psql",
            target,
            "-v",
            "ON_ERROR_STOP=1",
            "-qc",
            "DROP SCHEMA IF EXISTS public CASCADE; CREATE SCHEMA public",
        )
    try:
        dump = tmp_path / "cityops.dump"
        _run("pg_dump", "--format=custom", "--no-owner", f"--file={dump}", source)
        _run("pg_restore", "--no-owner", "--exit-on-error", f"--dbname={target}", str(dump))
        after = await _invariants(target)
        assert after == before

        env = {**os.environ, "CITYOPS_DATABASE_URL": target, "CITYOPS_WORKER_IN_PROCESS": "false"}
        # The schema history came along: migrating the copy has nothing to do.
        _run(sys.executable, "-m", "api.cli", "migrate", env=env)
        with running_apps(env) as (url,):
            async with httpx.AsyncClient(base_url=url, timeout=30) as restored:
                assert (await restored.get("/readyz")).status_code == 200
                # The citizen's session outlives the restore (refresh tokens are rows).
                refreshed = await restored.post(
                    "/api/auth/refresh", json={"refreshToken": world["citizen"].refresh}
                )
                assert refreshed.status_code == 201, refreshed.text
                headers = {"Authorization": f"Bearer {refreshed.json()['accessToken']}"}
                mine = (await restored.get("/api/citizen/reports", headers=headers)).json()
                assert sorted(i["id"] for i in mine["items"]) == sorted(world["cases"])
                balance = (await restored.get("/api/citizen/points", headers=headers)).json()
                citizen_id = await _citizen_id(target, public_citizen_id(world["citizen"]))
                assert balance["balance"] == dict((r[0], r[1]) for r in after["ledger"])[citizen_id]
                photo = await restored.get(
                    f"/api/citizen/media/{world['photo']}/thumb", headers=headers
                )
                assert photo.status_code == 200 and photo.content[:2] == b"\xff\xd8"
                # Restored sequences: a new report gets new ids and a new number.
                body = {
                    "category": AUTO_CATEGORY,
                    "location": {"lat": IN_GRID[0], "lon": IN_GRID[1]},
                    "mediaIds": [world["photo"]],
                    "description": "恢复后的第一条上报",
                }
                filed = await restored.post("/api/citizen/reports", json=body, headers=headers)
                assert filed.status_code == 201, filed.text
        final = await _invariants(target)
        assert final["broken_chains"] == [] and final["orphans"] == 0
        assert len(final["cases"]) == len(before["cases"]) + 1
    finally:
        if created:
            _run("psql", source, "-qc", f'DROP DATABASE IF EXISTS "{created}" WITH (FORCE)')


async def _citizen_id(url: str, public_id: str) -> int:
    conn = await asyncpg.connect(url)
    try:
        return await conn.fetchval("SELECT id FROM citizen WHERE public_id = $1", public_id)
    finally:
        await conn.close()
