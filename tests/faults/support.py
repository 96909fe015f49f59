"""What the fault tests share: seeding an app database from outside the app process, a
stream of citizen reports that behaves like the phone app (upload, then file with an
Idempotency-Key, retrying the same key after a failure), and the consistency checks."""

from __future__ import annotations

import asyncio
import contextlib
import inspect
import itertools
import json
import os
import signal
import subprocess
import sys
import time
import uuid
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pytest

from tests.cases_city import AUTO_CATEGORY, IN_GRID
from tests.helpers import bearer, jpeg_bytes
from tests.servers import ROOT, _wait_until_healthy, seed

# The fault tests start their own app processes on their own databases (a SQLite file or a
# private PostgreSQL cluster), never CITYOPS_TEST_DATABASE_URL: they would do the same thing
# in both passes of CI, so they run in the first (SQLite) pass only.
RUN_ONCE = pytest.mark.skipif(
    bool(os.environ.get("CITYOPS_TEST_DATABASE_URL")),
    reason="runs its own databases; already run in the SQLite pass of the suite",
)

# Citizens may file 20 reports an hour (api/citizen/reports.py); each seeded citizen is good
# for this many reports, the stream moves on to the next one.
REPORTS_PER_CITIZEN = 20

SEED_SCRIPT = """
import asyncio, json
from core import db
from core.settings import get_settings

async def main():
    await db.open_pool(get_settings())
    try:
        from accounts.service import sign_in_wechat
        from accounts.wechat import WeChatIdentity
        from org.demo import load_org_demo
        async with db.transaction():
            await load_org_demo()
        tokens = []
        for index in range({citizens}):
            async with db.transaction():
                session = await sign_in_wechat(
                    identity=WeChatIdentity(openid=f"fault-{{index}}", session_key="k")
                )
            tokens.append(session.access_token)
    finally:
        await db.close_pool()
    print(json.dumps(tokens))

asyncio.run(main())
"""


def migrate(env: dict[str, str]) -> None:
    done = subprocess.run(
        [sys.executable, "-c", "from api.cli import main; main()", "migrate"],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr


def seed_city_and_citizens(env: dict[str, str], citizens: int) -> list[dict[str, str]]:
    """The demo city (grids, categories, dispatch rules) and ``citizens`` signed-in
    citizens; returns their request headers."""
    tokens = json.loads(seed(env, SEED_SCRIPT.format(citizens=citizens)))
    return [bearer(token) for token in tokens]


@dataclass
class AppProcess:
    url: str
    process: subprocess.Popen
    log: Path

    def log_text(self) -> str:
        return self.log.read_text(errors="replace")

    def terminate(self, timeout: float) -> float | None:
        """SIGTERM, as a deployment stops a replica; seconds until it exited, or None if it
        did not within ``timeout`` (then it is killed)."""
        started = time.monotonic()
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
            return None
        return time.monotonic() - started


@contextlib.contextmanager
def app_process(
    env: dict[str, str], port: int, log: Path, *, command: tuple[str, ...] = ()
) -> Iterator[AppProcess]:
    """One uvicorn process like tests/servers.py starts (or ``command``, arguments of
    ``python -m`` serving on 127.0.0.1:``port``), but its log goes to a file the test
    reads (a pipe nobody reads would block a process that logs a lot) and the test owns
    the process, to stop or kill it."""
    uvicorn = ("uvicorn", "api.asgi:app", "--host", "127.0.0.1", "--port", str(port))
    argv = command or (*uvicorn, "--no-access-log", "--log-level", "warning")
    with log.open("wb") as sink:
        process = subprocess.Popen(
            [sys.executable, "-m", *argv],
            cwd=ROOT,
            env=env,
            stdout=sink,
            stderr=subprocess.STDOUT,
        )
    app = AppProcess(f"http://127.0.0.1:{port}", process, log)
    try:
        _wait_until_healthy(process, app.url)
        yield app
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()


PHOTOS = [jpeg_bytes(size=(320, 240), seed=seed) for seed in range(8)]


@dataclass
class Outcome:
    at: float  # time.monotonic() when the answer came
    what: str  # "upload" or "report"
    status: int  # 0: no answer (transport error or timeout)
    code: str | None = None
    retry_after: str | None = None
    error: str | None = None


@dataclass
class ReportStream:
    """Citizens filing reports from ``concurrency`` phones at once until ``stop`` is set;
    every answer is kept in ``outcomes``, every filed case in ``created``."""

    base_url: str
    citizens: list[dict[str, str]]
    concurrency: int = 4
    timeout: float = 15.0
    outcomes: list[Outcome] = field(default_factory=list)
    created: dict[str, str] = field(default_factory=dict)  # case id -> number
    stop: asyncio.Event = field(default_factory=asyncio.Event)

    def __post_init__(self) -> None:
        self._slots = iter(
            [headers for headers in self.citizens for _ in range(REPORTS_PER_CITIZEN)]
        )
        self._photo = itertools.cycle(PHOTOS)

    def reports(self, status: int) -> list[Outcome]:
        return [o for o in self.outcomes if o.what == "report" and o.status == status]

    def successes_since(self, moment: float) -> int:
        return sum(1 for o in self.reports(201) if o.at > moment)

    def tally(self, start: float, end: float) -> Counter:
        return Counter(
            f"{o.what} {o.status}" + (f" {o.code}" if o.code else "")
            for o in self.outcomes
            if start <= o.at < end
        )

    async def _send(self, client: httpx.AsyncClient, what: str, **kwargs) -> httpx.Response | None:
        try:
            response = await client.post(**kwargs)
        except httpx.TransportError as exc:
            self.outcomes.append(Outcome(time.monotonic(), what, 0, error=repr(exc)))
            return None
        code = None
        if response.headers.get("content-type", "").startswith("application/problem+json"):
            code = response.json().get("code")
        self.outcomes.append(
            Outcome(
                time.monotonic(),
                what,
                response.status_code,
                code,
                response.headers.get("retry-after"),
            )
        )
        return response

    async def _phone(self, client: httpx.AsyncClient) -> None:
        for headers in self._slots:
            media_id = None
            key = str(uuid.uuid4())
            # One report, retried as the app would (same photo, same key) until it is filed;
            # sooner than Retry-After says, so that many requests meet the outage.
            while True:
                if self.stop.is_set() and media_id is None:
                    return
                if media_id is None:
                    response = await self._send(
                        client,
                        "upload",
                        url="/api/citizen/media",
                        headers=headers,
                        files={"file": ("photo.jpg", next(self._photo), "image/jpeg")},
                    )
                    if response is not None and response.status_code == 201:
                        media_id = response.json()["id"]
                    else:
                        await asyncio.sleep(0.2)
                    continue
                body = {
                    "category": AUTO_CATEGORY,
                    "location": {"lat": IN_GRID[0], "lon": IN_GRID[1]},
                    "mediaIds": [media_id],
                    "description": "fault test",
                }
                response = await self._send(
                    client,
                    "report",
                    url="/api/citizen/reports",
                    headers={**headers, "Idempotency-Key": key},
                    json=body,
                )
                if response is not None and response.status_code == 201:
                    case = response.json()
                    self.created[case["id"]] = case["number"]
                    break
                if response is not None and 400 <= response.status_code < 500:
                    return  # a refusal is a bug the test reports from the outcomes
                await asyncio.sleep(0.2)
            if self.stop.is_set():
                return

    async def run(self) -> None:
        limits = httpx.Limits(max_connections=self.concurrency * 2)
        async with httpx.AsyncClient(
            base_url=self.base_url, timeout=self.timeout, limits=limits
        ) as client:
            await asyncio.gather(*(self._phone(client) for _ in range(self.concurrency)))


async def wait_for(predicate, within: float, every: float = 0.1) -> bool:
    """Poll ``predicate`` (plain or async) until it holds or ``within`` seconds pass."""

    async def holds() -> bool:
        result = predicate()
        return bool(await result if inspect.isawaitable(result) else result)

    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        if await holds():
            return True
        await asyncio.sleep(every)
    return await holds()
