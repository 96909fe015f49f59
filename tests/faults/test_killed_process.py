"""An API process killed (SIGKILL: no shutdown, no cleanup) in the middle of uploads and of
report filing (issue 9, "Faults").

After a restart on the same database and media directory nothing is half-written: every
case has its number, its photo and its creation event, and its state is where its events
lead; no photo points at a missing case or at a missing file. Files without a row can occur
by design (an upload stores its files before its row commits): the periodic orphan sweep
(media/tasks.py) removes them, and only them. A request the kill interrupted, retried with
its Idempotency-Key, files its report exactly once.

The killed processes run on SQLite files of their own; the sweep's own test runs on the
suite's database (SQLite and PostgreSQL)."""

from __future__ import annotations

import asyncio
import hashlib
import re
import sqlite3
import uuid
from pathlib import Path

import asyncpg
import httpx
import pytest

from tests.cases_city import AUTO_CATEGORY, IN_GRID
from tests.faults.support import RUN_ONCE, app_process, migrate, seed_city_and_citizens
from tests.helpers import jpeg_bytes
from tests.servers import app_env, free_port, seed

REPORTS = 30
pytestmark = RUN_ONCE
SWEEP_SCRIPT = """
import asyncio, datetime as dt
from core import db
from core.settings import get_settings

async def main():
    await db.open_pool(get_settings())
    try:
        from media.tasks import sweep_orphan_files
        print(await sweep_orphan_files(grace=dt.timedelta(0)))
    finally:
        await db.close_pool()

asyncio.run(main())
"""


class Site:
    """One app's database (a SQLite file, or a database on a private PostgreSQL cluster)
    and media directory, and how to start its process."""

    def __init__(self, root: Path, citizens: int, database_url: str | None = None) -> None:
        self.root = root
        self.database_url = database_url
        self.db_path = root / "cityops.db"
        extra = {"CITYOPS_DATABASE_URL": database_url} if database_url else {}
        self.env = app_env(
            root,
            0,
            self.db_path.name,
            CITYOPS_WORKER_IN_PROCESS="false",
            CITYOPS_MEDIA_UPLOAD_BURST="100000",
            **extra,
        )
        self.media = root / "media"
        migrate(self.env)
        self.citizens = seed_city_and_citizens(self.env, citizens=citizens)
        self.starts = 0

    def start(self):
        self.starts += 1
        port = free_port()
        env = {**self.env, "CITYOPS_PUBLIC_BASE_URL": f"http://127.0.0.1:{port}"}
        return app_process(env, port, self.root / f"app-{self.starts}.log")

    async def query(self, sql: str, *args) -> list:
        """Rows of ``sql`` with ``?`` placeholders, read outside the app."""
        if self.database_url is None:
            with sqlite3.connect(self.db_path) as connection:
                connection.row_factory = sqlite3.Row
                return connection.execute(sql, args).fetchall()
        numbered = iter(range(1, len(args) + 1))
        connection = await asyncpg.connect(self.database_url)
        try:
            return await connection.fetch(re.sub(r"\?", lambda _: f"${next(numbered)}", sql), *args)
        finally:
            await connection.close()

    def files(self) -> set[str]:
        return {p.relative_to(self.media).as_posix() for p in self.media.rglob("*") if p.is_file()}

    async def referenced(self) -> set[str]:
        rows = await self.query("SELECT display_key, thumb_key FROM media")
        return {key for row in rows for key in (row["display_key"], row["thumb_key"])}

    def sweep(self) -> int:
        return int(seed(self.env, SWEEP_SCRIPT))


@pytest.fixture(params=["sqlite", "postgresql"])
def site(request, tmp_path) -> Site:
    url = None
    if request.param == "postgresql":
        pg = request.getfixturevalue("private_pg")
        url = pg.create_database(f"kill_{uuid.uuid4().hex[:12]}")
    return Site(tmp_path, citizens=REPORTS // 10, database_url=url)


def multipart(photo: bytes) -> tuple[bytes, str]:
    boundary = uuid.uuid4().hex
    head = (
        f"--{boundary}\r\n"
        'Content-Disposition: form-data; name="file"; filename="big.jpg"\r\n'
        "Content-Type: image/jpeg\r\n\r\n"
    ).encode()
    return head + photo + f"\r\n--{boundary}--\r\n".encode(), boundary


async def _slow_body(data: bytes, half_sent: asyncio.Event, resume: asyncio.Event):
    yield data[: len(data) // 2]
    half_sent.set()
    await resume.wait()  # the phone lost signal; the server dies meanwhile
    yield data[len(data) // 2 :]


async def _upload(client: httpx.AsyncClient, headers: dict, photo: bytes) -> int:
    try:
        response = await client.post(
            "/api/citizen/media",
            headers=headers,
            files={"file": ("photo.jpg", photo, "image/jpeg")},
        )
    except httpx.TransportError:
        return 0
    return response.status_code


async def test_killed_mid_upload(site: Site):
    citizen = site.citizens[0]
    big = jpeg_bytes(size=(2400, 1800), seed=101)
    body, boundary = multipart(big)
    photos = [jpeg_bytes(size=(1600, 1200), seed=seed) for seed in range(12)]
    with site.start() as app:
        async with httpx.AsyncClient(base_url=app.url, timeout=30) as client:
            half_sent, resume = asyncio.Event(), asyncio.Event()
            slow = asyncio.create_task(
                client.post(
                    "/api/citizen/media",
                    headers={
                        **citizen,
                        "Content-Type": f"multipart/form-data; boundary={boundary}",
                        "Content-Length": str(len(body)),
                    },
                    content=_slow_body(body, half_sent, resume),
                )
            )
            await asyncio.wait_for(half_sent.wait(), 30)
            # Other phones upload at the same time: the kill lands in their decoding,
            # storing or inserting, wherever they are.
            others = [
                asyncio.create_task(_upload(client, site.citizens[i % len(site.citizens)], photo))
                for i, photo in enumerate(photos)
            ]
            await _first(others, count=3, answered=lambda status: status == 201)
            app.process.kill()
            app.process.wait()
            resume.set()
            with pytest.raises(httpx.TransportError):
                await slow
            statuses = await asyncio.gather(*others)
    print(f"\nuploads around the kill (0: cut off): {statuses}")
    assert 0 in statuses, f"every upload finished before the kill: {statuses}"
    assert set(statuses) <= {0, 201}, statuses

    with site.start() as app:
        await _check_media(site)
        half_photo = hashlib.sha256(big).hexdigest()
        assert not await site.query("SELECT id FROM media WHERE sha256 = ?", half_photo)
        # The interrupted photo uploads fine now.
        async with httpx.AsyncClient(base_url=app.url, timeout=30) as client:
            assert await _upload(client, citizen, big) == 201
        await _check_sweep(site)


async def _first(tasks: list[asyncio.Task], *, count: int, answered) -> None:
    """Return once ``count`` of ``tasks`` ended with an answer (or all of them ended)."""
    pending, seen = set(tasks), 0
    while pending and seen < count:
        done, pending = await asyncio.wait(pending, return_when=asyncio.FIRST_COMPLETED)
        seen += sum(1 for task in done if answered(task.result()))


def _report_body(media_id: str, index: int) -> dict:
    return {
        "category": AUTO_CATEGORY,
        "location": {"lat": IN_GRID[0], "lon": IN_GRID[1]},
        "mediaIds": [media_id],
        "description": f"kill test {index}",
    }


async def _file(client: httpx.AsyncClient, headers: dict, key: str, body: dict):
    try:
        response = await client.post(
            "/api/citizen/reports", headers={**headers, "Idempotency-Key": key}, json=body
        )
    except httpx.TransportError:
        return None
    return response


async def test_killed_while_filing_reports(site: Site):
    owners = [site.citizens[i % len(site.citizens)] for i in range(REPORTS)]
    keys = [str(uuid.uuid4()) for _ in range(REPORTS)]
    with site.start() as app:
        async with httpx.AsyncClient(base_url=app.url, timeout=30) as client:
            media_ids = await asyncio.gather(
                *(_upload_id(client, owner, seed) for seed, owner in enumerate(owners))
            )
            bodies = [_report_body(media_id, i) for i, media_id in enumerate(media_ids)]
            filing = [
                asyncio.create_task(_file(client, owner, key, body))
                for owner, key, body in zip(owners, keys, bodies, strict=True)
            ]
            # Kill as soon as the first report is filed: the others are queued for the
            # write lock, in their transaction, or answering.
            await _first(filing, count=1, answered=lambda response: response is not None)
            app.process.kill()
            app.process.wait()
            first = await asyncio.gather(*filing)
    filed = {i: response.json() for i, response in enumerate(first) if response is not None}
    assert all(first[i].status_code == 201 for i in filed), [r.text for r in first if r]
    print(f"\n{len(filed)} of {REPORTS} reports answered before the kill")
    assert 0 < len(filed) < REPORTS, f"{len(filed)} of {REPORTS} filed before the kill"

    with site.start() as app:
        await _check_cases(site)
        await _check_media(site)
        stored = {row["public_id"]: row["number"] for row in await site.query(
            "SELECT public_id, number FROM case_file")}  # fmt: skip
        for case in filed.values():
            assert stored.get(case["id"]) == case["number"]
        print(f"{len(stored) - len(filed)} more were committed but never answered")
        # The phones retry what the kill interrupted, with the same keys: each report is
        # filed once, whether its first attempt had committed or not.
        async with httpx.AsyncClient(base_url=app.url, timeout=30) as client:
            again = await asyncio.gather(
                *(_file(client, owners[i], keys[i], bodies[i]) for i in range(REPORTS))
            )
        assert [r.status_code for r in again] == [201] * REPORTS, [r.text for r in again]
        for i, case in filed.items():
            assert again[i].json()["id"] == case["id"]
            assert again[i].headers.get("idempotent-replayed") == "true"
        assert len({r.json()["id"] for r in again}) == REPORTS
        assert len(await site.query("SELECT id FROM case_file")) == REPORTS
        await _check_cases(site)
        await _check_media(site)
        await _check_sweep(site)


async def _upload_id(client: httpx.AsyncClient, headers: dict, seed: int) -> str:
    response = await client.post(
        "/api/citizen/media",
        headers=headers,
        files={"file": ("photo.jpg", jpeg_bytes(size=(320, 240), seed=seed), "image/jpeg")},
    )
    assert response.status_code == 201, response.text
    return response.json()["id"]


async def _check_cases(site: Site) -> None:
    """Every case is whole: number, one creation event first, its photo, its state where
    its events lead, and its reporter's notification queued."""
    cases = await site.query("SELECT id, number, state FROM case_file")
    for case in cases:
        events = await site.query(
            'SELECT action, from_state, to_state FROM case_event WHERE "case" = ? ORDER BY id',
            case["id"],
        )
        assert case["number"], dict(case)
        assert events and events[0]["action"] == "report", (dict(case), events)
        assert [e["action"] for e in events].count("report") == 1
        for before, after in zip(events, events[1:], strict=False):
            assert after["from_state"] == before["to_state"], [dict(e) for e in events]
        assert events[-1]["to_state"] == case["state"], (dict(case), [dict(e) for e in events])
        photos = await site.query(
            "SELECT m.attached_to FROM case_media c JOIN media m ON m.public_id = c.media_id "
            'WHERE c."case" = ?',
            case["id"],
        )
        assert [p["attached_to"] for p in photos] == [f"case:{case['id']}"]
        assert await site.query("SELECT id FROM notification_job WHERE case_id = ?", case["id"])
    numbers = [case["number"] for case in cases]
    assert len(numbers) == len(set(numbers))
    # No photo claims a case that does not exist (a claim without its case).
    ids = {f"case:{case['id']}" for case in cases}
    claimed = await site.query("SELECT attached_to FROM media WHERE attached_to IS NOT NULL")
    assert {row["attached_to"] for row in claimed} <= ids


async def _check_media(site: Site) -> None:
    """Every photo row has its files; no write was left half done under a real name."""
    files = site.files()
    missing = (await site.referenced()) - files
    assert not missing, f"media rows without their stored files: {missing}"
    for name in files - (await site.referenced()):
        # An orphan from before its row committed is a whole file, never a torn one.
        if not Path(name).name.startswith(".tmp-"):
            assert (site.media / name).read_bytes()[:2] == b"\xff\xd8", name


async def _check_sweep(site: Site) -> None:
    """The sweep removes exactly what no row points at, and nothing a row needs."""
    orphans = site.files() - (await site.referenced())
    print(f"orphaned files swept: {len(orphans)} ({sorted(orphans)[:4]})")
    assert site.sweep() == len(orphans)
    assert site.files() == (await site.referenced())
