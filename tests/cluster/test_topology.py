"""Several nodes (issue 22): two API processes behind nginx, two `cityops worker` processes,
one PostgreSQL (a private cluster: tests/faults/private_postgres.py), under a mixed load of
phones filing reports, signpost scans and staff closing cases.

- An API process is SIGKILLed and restarted: nginx routes around it (scans, idempotent, never
  fail), phones retry their reports with the same Idempotency-Key, and every report that was
  answered 201 exists exactly once.
- A worker is SIGKILLed: every push is delivered (the fake FCM received each), and the only
  duplicates are deliveries the killed worker had claimed (the outbox's documented
  at-least-once), at most one batch.
- Periodic tasks run once per period across the workers (core.leases), and the survivor
  takes over from a killed holder.
- An edit through one node (a signpost or a place deleted, an API key revoked, a category
  retired) is honoured by the other within the documented staleness
  (CITYOPS_CACHE_CHECK_SECONDS, the index check).

The figures (reports per second through the balancer with two API processes, then one) are
printed, not asserted."""

from __future__ import annotations

import asyncio
import collections
import contextlib
import subprocess
import sys
import time
from dataclasses import dataclass, field

import asyncpg
import httpx
import pytest

from tests.cases_city import IN_GRID
from tests.cluster.balancer import balancer, nginx_binary
from tests.cluster.support import admin_headers, create_admin
from tests.faults.support import (
    RUN_ONCE,
    ReportStream,
    app_process,
    migrate,
    seed_city_and_citizens,
    wait_for,
)
from tests.helpers import require_system
from tests.servers import ROOT, app_env, cli_process, free_port

pytestmark = RUN_ONCE

PHASE_SECONDS = 4.0
SLA_PERIOD = 1.0
LEASE_SECONDS = 3


@dataclass
class Load:
    """Phones filing, phones scanning, an admin closing what was filed: until ``stop``."""

    url: str
    citizens: list[dict[str, str]]
    admin: dict[str, str]
    code: str
    stream: ReportStream = field(init=False)
    scans: collections.Counter = field(default_factory=collections.Counter)
    closures: collections.Counter = field(default_factory=collections.Counter)
    stop: asyncio.Event = field(default_factory=asyncio.Event)

    def __post_init__(self) -> None:
        self.stream = ReportStream(self.url, self.citizens, concurrency=6)
        self.stream.stop = self.stop

    async def _scan(self, client: httpx.AsyncClient) -> None:
        while not self.stop.is_set():
            try:
                response = await client.get(f"/api/citizen/signposts/{self.code}")
                self.scans[response.status_code] += 1
            except httpx.TransportError as exc:
                self.scans[type(exc).__name__] += 1
            await asyncio.sleep(0.02)

    async def _act(self, client, case_id: str, action: str) -> None:
        body = {"note": "已修复"} if action == "resolve" else {}
        for _ in range(20):  # a 502 from a node killed mid-request: try again
            try:
                response = await client.post(
                    f"/api/admin/cases/{case_id}/{action}", json=body, headers=self.admin
                )
            except httpx.TransportError:
                await asyncio.sleep(0.2)
                continue
            self.closures[f"{action} {response.status_code}"] += 1
            if response.status_code < 500:
                return
            await asyncio.sleep(0.2)

    async def _close(self, client: httpx.AsyncClient) -> None:
        done: set[str] = set()
        while not self.stop.is_set():
            for case_id in [c for c in list(self.stream.created) if c not in done]:
                done.add(case_id)
                await self._act(client, case_id, "resolve")
                await self._act(client, case_id, "close")
            await asyncio.sleep(0.1)

    async def run(self) -> None:
        async with httpx.AsyncClient(base_url=self.url, timeout=30) as client:
            await asyncio.gather(self.stream.run(), self._scan(client), self._close(client))


@pytest.fixture
def fcm_fake(tmp_path):
    port = free_port()
    log = (tmp_path / "fakes.log").open("wb")
    process = subprocess.Popen(
        [sys.executable, "-m", "fakes", "--port", str(port - 2), "--serve", "fcm"],
        cwd=ROOT,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            with contextlib.suppress(httpx.TransportError):
                if httpx.get(f"{url}/__fake__/received", timeout=2).status_code == 200:
                    break
            assert process.poll() is None and time.monotonic() < deadline, "fakes did not start"
            time.sleep(0.2)
        yield url
    finally:
        process.terminate()
        process.wait(timeout=10)
        log.close()


async def _setup(api_url: str, citizens, admin) -> tuple[str, int]:
    """Each citizen's Android phone, a signpost and a place; the signpost's code and the
    place's id."""
    async with httpx.AsyncClient(base_url=api_url, timeout=30) as client:
        for index, headers in enumerate(citizens):
            response = await client.post(
                "/api/citizen/devices",
                json={"platform": "android", "token": f"cluster-phone-{index:04d}"},
                headers=headers,
            )
            assert response.status_code in (200, 201), response.text
        where = {"lat": IN_GRID[0], "lon": IN_GRID[1]}
        sign = await client.post(
            "/api/admin/signposts", json={"name": "路口", "location": where}, headers=admin
        )
        assert sign.status_code == 201, sign.text
        place = await client.post(
            "/api/admin/places",
            json={"kind": "toilet", "name": "公厕", "location": where},
            headers=admin,
        )
        assert place.status_code == 201, place.text
        return sign.json()["code"], place.json()["id"]


async def _lease(url: str, name: str) -> tuple[int, str]:
    connection = await asyncpg.connect(url)
    try:
        row = await connection.fetchrow(
            "SELECT runs, holder FROM periodic_lease WHERE name = $1", name
        )
        return (row["runs"], row["holder"]) if row else (0, "")
    finally:
        await connection.close()


async def _rows(url: str, sql: str, *args):
    connection = await asyncpg.connect(url)
    try:
        return await connection.fetch(sql, *args)
    finally:
        await connection.close()


async def _phase(load: Load, seconds: float) -> float:
    """Reports filed per second over the next ``seconds``."""
    before, start = len(load.stream.created), time.monotonic()
    await asyncio.sleep(seconds)
    return (len(load.stream.created) - before) / (time.monotonic() - start)


async def test_two_api_processes_two_workers_one_database(private_pg, tmp_path, fcm_fake):
    require_system("nginx", nginx_binary() is not None, "apt-get install nginx-light")
    url = private_pg.create_database("cluster")
    ports = [free_port(), free_port()]
    env = app_env(
        tmp_path,
        ports[0],
        "unused.db",
        CITYOPS_DATABASE_URL=url,
        CITYOPS_TRUSTED_PROXIES="127.0.0.1",
        CITYOPS_NOTIFY_CHANNELS="fcm",
        CITYOPS_FCM_BASE_URL=fcm_fake,
        CITYOPS_FCM_TOKEN_URL=f"{fcm_fake}/token",
        CITYOPS_NOTIFY_INTERVAL_SECONDS="0.2",
        CITYOPS_NOTIFY_LEASE_SECONDS=str(LEASE_SECONDS),
        CITYOPS_SLA_CHECK_SECONDS=str(SLA_PERIOD),
        CITYOPS_PLACES_INDEX_CHECK_SECONDS="1",
        CITYOPS_SIGNPOST_RATE_LIMIT="1000000",
        CITYOPS_MEDIA_UPLOAD_BURST="100000",
    )
    migrate(env)
    citizens = seed_city_and_citizens(env, citizens=40)
    create_admin(env)
    with contextlib.ExitStack() as stack:
        apps = [
            stack.enter_context(app_process(env, port, tmp_path / f"api{i}.log"))
            for i, port in enumerate(ports)
        ]
        async with httpx.AsyncClient(base_url=apps[0].url, timeout=30) as direct:
            admin = await admin_headers(direct)
        code, place_id = await _setup(apps[0].url, citizens, admin)
        workers = [stack.enter_context(_worker(env, tmp_path / f"worker{i}.log")) for i in range(2)]
        front = stack.enter_context(balancer(tmp_path / "nginx", free_port(), ports))
        load = Load(front, citizens, admin, code)
        running = asyncio.create_task(load.run())
        try:
            await _phase(load, 2.0)  # warm: first requests open connections, fill caches
            both = await _phase(load, PHASE_SECONDS)

            # An API process dies mid-load; nginx routes around it; it comes back.
            apps[0].process.kill()
            apps[0].process.wait()
            one = await _phase(load, PHASE_SECONDS)
            apps[0] = stack.enter_context(app_process(env, ports[0], tmp_path / "api0b.log"))
            await _phase(load, 1.0)

            # The worker holding the SLA lease dies; the other takes the next periods.
            assert await wait_for(lambda: _lease(url, "sla"), 30)
            runs, holder = await _lease(url, "sla")
            victim = next(w for w in workers if holder.endswith(f":{w.pid}"))
            victim.kill()
            victim.wait()
            survivor = next(w for w in workers if w is not victim)
            killed_at = time.monotonic()
            assert await wait_for(lambda: _holder_is(url, survivor.pid), 30), (
                "no worker took the SLA checks over"
            )
            await _phase(load, PHASE_SECONDS)
        finally:
            load.stop.set()
            await asyncio.wait_for(running, 120)

        created = load.stream.created
        await _assert_reports_exactly_once(url, created)
        assert set(load.scans) == {200}, load.scans
        assert all(not k.endswith((" 500", " 503")) for k in load.closures), load.closures
        await _assert_pushes(url, fcm_fake)
        await _assert_one_run_per_period(url, killed_at)
        await _assert_edits_cross_nodes(apps, admin, code, place_id)
        print(
            f"\ncluster: {both:.1f} reports/s through nginx with 2 API processes, "
            f"{one:.1f} with 1; {len(created)} reports filed, 0 lost, 0 doubled; "
            f"scans {dict(load.scans)}; staff {dict(load.closures)}"
        )


@contextlib.contextmanager
def _worker(env, log_path):
    with log_path.open("wb") as log:
        process = cli_process(env, log, "worker")
    try:
        yield process
    finally:
        if process.poll() is None:
            process.terminate()
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


async def _holder_is(url: str, pid: int) -> bool:
    _, holder = await _lease(url, "sla")
    return holder.endswith(f":{pid}")


async def _assert_reports_exactly_once(url: str, created: dict[str, str]) -> None:
    rows = await _rows(url, "SELECT public_id FROM case_file")
    ids = collections.Counter(row["public_id"] for row in rows)
    assert set(ids) == set(created), "a report answered 201 is missing, or one was never told"
    assert all(count == 1 for count in ids.values())


async def _assert_pushes(url: str, fcm_fake: str) -> None:
    """Every push delivered; duplicates only from the killed worker's claimed batch."""

    async def settled() -> bool:
        rows = await _rows(
            url, "SELECT count(*) AS n FROM notification_delivery WHERE status NOT IN "
            "('sent', 'failed', 'dead')"
        )  # fmt: skip
        jobs = await _rows(url, "SELECT count(*) AS n FROM notification_job WHERE status <> 'done'")
        return rows[0]["n"] == 0 and jobs[0]["n"] == 0

    assert await wait_for(settled, 60, every=0.5), "the outbox did not drain"
    sent = await _rows(
        url, "SELECT target, status FROM notification_delivery WHERE channel = 'fcm'"
    )
    assert sent and all(row["status"] == "sent" for row in sent), collections.Counter(
        row["status"] for row in sent
    )
    received = collections.Counter(
        m["message"]["token"] for m in httpx.get(f"{fcm_fake}/__fake__/received").json()
    )
    expected = collections.Counter(row["target"] for row in sent)
    assert all(received[token] >= n for token, n in expected.items()), "a push was lost"
    extra = sum(received.values()) - sum(expected.values())
    assert 0 <= extra <= 100, f"{extra} pushes sent twice (one batch at most)"


async def _assert_one_run_per_period(url: str, killed_at: float) -> None:
    rows = await _rows(url, "SELECT name, runs FROM periodic_lease")
    runs = {row["name"]: row["runs"] for row in rows}
    # Hourly tasks ran once although two workers (and a restarted one) asked.
    for name in ("housekeeping", "points-expiry", "media-unattached", "media-orphans"):
        assert runs.get(name) == 1, runs
    assert runs["sla"] >= 2, runs  # it went on after its holder died


async def _assert_edits_cross_nodes(apps, admin, code: str, place_id: int) -> None:
    first, second = apps
    async with (
        httpx.AsyncClient(base_url=first.url, timeout=30) as one,
        httpx.AsyncClient(base_url=second.url, timeout=30) as other,
    ):
        assert (await other.get(f"/api/citizen/signposts/{code}")).status_code == 200
        removed = await one.delete(f"/api/admin/signposts/{code}", headers=admin)
        assert removed.status_code == 204, removed.text

        async def refused() -> bool:
            return (await other.get(f"/api/citizen/signposts/{code}")).status_code == 404

        assert await wait_for(refused, 5), "the other node still serves a deleted signpost"

        deleted = await one.delete(f"/api/admin/places/{place_id}", headers=admin)
        assert deleted.status_code == 204, deleted.text
        where = {"lat": IN_GRID[0], "lon": IN_GRID[1], "kinds": "toilet", "radius": 1000}

        async def gone() -> bool:
            body = (await other.get("/api/citizen/places/nearby", params=where)).json()
            return all(item["id"] != place_id for item in body["items"])

        assert await wait_for(gone, 10), "the other node still lists a deleted place"
        await _key_revoked_through_one_node(one, other, admin)
        await _category_retired_through_one_node(one, other, admin)


async def _key_revoked_through_one_node(one, other, admin) -> None:
    issued = await one.post(
        "/api/admin/api-clients",
        json={"name": "cam-cluster", "kind": "camera", "trusted": True},
        headers=admin,
    )
    assert issued.status_code == 201, issued.text
    key = {"X-Api-Key": issued.json()["apiKey"]}
    events = (f"cam-cluster-{n}" for n in range(1000))

    async def send() -> int:
        event = {
            "externalId": next(events),
            "kind": "camera",
            "category": "E0102",
            "level": 2,
            "location": {"lat": IN_GRID[0], "lon": IN_GRID[1]},
        }
        return (await other.post("/api/intake/events", json=event, headers=key)).status_code

    assert await send() == 201
    client_id = issued.json()["client"]["id"]
    revoked = await one.post(f"/api/admin/api-clients/{client_id}/revoke", headers=admin)
    assert revoked.status_code == 200, revoked.text

    async def refused() -> bool:
        return await send() == 401

    assert await wait_for(refused, 5), "the other node still takes a revoked key"


async def _category_retired_through_one_node(one, other, admin) -> None:
    async def offered() -> bool:
        return '"E0102"' in (await other.get("/api/citizen/categories/")).text

    assert await offered()
    retired = await one.patch("/api/admin/categories/E0102", json={"active": False}, headers=admin)
    assert retired.status_code == 200, retired.text

    async def withdrawn() -> bool:
        return not await offered()

    assert await wait_for(withdrawn, 5), "the other node still offers a retired category"
