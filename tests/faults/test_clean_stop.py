"""`cityops serve` and `cityops worker` stop cleanly on SIGTERM (issue 17, "A clean stop").

A deployment stops a replica with SIGTERM. Each round starts the real command, gets work in
flight, sends SIGTERM and checks that the process exits with status 0 within 10 s, that the
work in flight was finished with its normal outcome, and that nothing crashed on the way
out (one CI run died of SIGSEGV at interpreter exit: a uvloop thread of a loopback fake
still running; see fakes/server.py).

- serve: a photo upload whose body the client holds back half-sent. SIGTERM comes while the
  request is in the app; the rest of the body follows once the server has stopped
  listening; the upload must still answer 201.
- worker: a push held by the FCM fake. SIGTERM comes while the worker waits for FCM's
  answer; the worker must record that delivery as sent and start no other.

CITYOPS_TEST_CLEAN_STOP_ROUNDS sets the rounds of each (default 10; the issue asks for 50
in a row, which takes a few minutes: run it so before touching the shutdown path). They run
on SQLite files of their own, in the SQLite pass of the suite only.
"""

from __future__ import annotations

import asyncio
import os
import random
import re
import signal
import socket
import sqlite3
import statistics
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from fakes.fcm import FcmState, create_fcm_fake
from fakes.push_vendors import OFFSETS
from fakes.server import BackgroundServer
from tests.faults.support import RUN_ONCE, app_process, migrate, seed_city_and_citizens, wait_for
from tests.helpers import jpeg_bytes
from tests.servers import app_env, cli_process, free_port, seed

pytestmark = RUN_ONCE

ROUNDS = int(os.environ.get("CITYOPS_TEST_CLEAN_STOP_ROUNDS", "10"))
STOP_WITHIN = 10.0
CRASH_SIGNS = ("Traceback", "Segmentation fault", "Fatal Python error", "core dumped")
PUSH_HOLD = 1.5  # seconds the FCM fake holds each answer
IN_PROGRESS = re.compile(r"^cityops_requests_in_progress\{[^}]*\} (\S+)$", re.MULTILINE)

SEED_PUSHES = """
import asyncio
from core import db
from core.actors import Actor
from core.settings import get_settings

async def main():
    await db.open_pool(get_settings())
    try:
        from accounts.devices import register_device
        from notify.service import enqueue
        actor = Actor(kind="staff", id=1, role="handler")
        async with db.transaction():
            await register_device(actor=actor, platform="android", token="and" + "0" * 77,
                                  app_version="1", locale="zh-CN")
            for n in range({count}):
                await enqueue(recipient_kind="staff", recipient_id=1, template="case.accepted",
                              params={{"caseId": f"c_{{n}}", "number": f"N{{n}}"}})
    finally:
        await db.close_pool()
    print("seeded")

asyncio.run(main())
"""


@dataclass
class Round:
    returncode: int | None
    seconds: float
    log: str
    outcome: str  # what became of the work in flight

    def problems(self, expected_outcome: str) -> list[str]:
        found = []
        if self.returncode != 0:
            found.append(f"exit status {self.returncode}")
        if self.seconds >= STOP_WITHIN:
            found.append(f"stopped after {self.seconds:.1f} s")
        if self.outcome != expected_outcome:
            found.append(f"work in flight: {self.outcome}")
        found += [f"log says {sign!r}" for sign in CRASH_SIGNS if sign in self.log]
        return found


def _report(command: str, rounds: list[Round], expected_outcome: str, started: float) -> None:
    failures = {
        number: problems
        for number, result in enumerate(rounds, 1)
        if (problems := result.problems(expected_outcome))
    }
    stops = [result.seconds for result in rounds]
    print(
        f"\nclean stop [{command}]: {len(rounds)} rounds in {time.monotonic() - started:.0f} s, "
        f"SIGTERM to exit median {statistics.median(stops):.2f} s, max {max(stops):.2f} s"
    )
    first = next(iter(failures), None)
    assert not failures, f"{failures}\nlog of round {first}:\n{rounds[first - 1].log[-3000:]}"


def _accepts(port: int) -> bool:
    try:
        socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
        return True
    except OSError:
        return False


def _wait_exit(process: subprocess.Popen, since: float) -> tuple[int | None, float]:
    """The exit status and the seconds from ``since``; killed (None) if it does not stop."""
    try:
        returncode = process.wait(timeout=STOP_WITHIN + 20)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()
        returncode = None
    return returncode, time.monotonic() - since


# --- cityops serve ----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def serve_site(tmp_path_factory):
    root = tmp_path_factory.mktemp("clean-stop-serve")
    # The periodic tasks run in the API process here, so their stop is part of each round.
    env = app_env(root, 0, "serve.db", CITYOPS_WORKER_IN_PROCESS="true")
    migrate(env)
    return root, env, seed_city_and_citizens(env, citizens=1)[0]


class HeldUpload:
    """A photo upload sent as a phone on a slow network sends it: the headers and half of
    the body, then nothing until ``release`` is set, then the rest."""

    def __init__(self, url: str, headers: dict[str, str], photo: bytes) -> None:
        request = httpx.Request(
            "POST", url, headers=headers, files={"file": ("photo.jpg", photo, "image/jpeg")}
        )
        self.url = url
        self.body = request.read()
        # Its multipart Content-Type and Content-Length; the client sets Host.
        self.headers = {k: v for k, v in request.headers.items() if k.lower() != "host"}
        self.release = asyncio.Event()

    async def _chunks(self):
        half = len(self.body) // 2
        yield self.body[:half]
        await self.release.wait()
        for start in range(half, len(self.body), 4096):
            await asyncio.sleep(0.01)
            yield self.body[start : start + 4096]

    async def send(self) -> httpx.Response:
        async with httpx.AsyncClient(timeout=STOP_WITHIN + 20) as client:
            return await client.post(self.url, headers=self.headers, content=self._chunks())


async def _requests_in_progress(url: str) -> float:
    try:
        async with httpx.AsyncClient(timeout=5) as client:
            text = (await client.get(f"{url}/metrics")).text
    except httpx.TransportError:
        return 0.0
    found = IN_PROGRESS.search(text)
    return float(found.group(1)) if found else 0.0


async def _serve_round(env: dict[str, str], headers: dict[str, str], log: Path, n: int) -> Round:
    port = free_port()
    command = ("api.cli", "serve", "--host", "127.0.0.1", "--port", str(port))
    with app_process(env, port, log, command=command) as app:
        upload = HeldUpload(f"{app.url}/api/citizen/media", headers, jpeg_bytes(seed=n))
        sending = asyncio.create_task(upload.send())
        # The /metrics request counts itself: 2 means the upload is in the app.
        in_app = await wait_for(lambda: _in_app(app.url, sending), within=30)
        assert in_app, f"the upload did not reach the app: {sending}"
        stop_sent = time.monotonic()
        app.process.send_signal(signal.SIGTERM)
        # The server has begun its stop (no new connections) with the upload in flight.
        stopping = await wait_for(lambda: not _accepts(port), within=STOP_WITHIN)
        upload.release.set()
        try:
            response = await sending
            outcome = f"{response.status_code} {'id' in response.json()}"
        except (httpx.HTTPError, ValueError) as exc:
            outcome = repr(exc)
        returncode, seconds = await asyncio.to_thread(_wait_exit, app.process, stop_sent)
        if not stopping:
            outcome = f"still listening after SIGTERM; {outcome}"
        return Round(returncode, seconds, app.log_text(), outcome)


async def _in_app(url: str, sending: asyncio.Task) -> bool:
    if sending.done():
        return True  # it failed early: the round reports it
    return await _requests_in_progress(url) >= 2


async def test_serve_stops_on_sigterm_and_finishes_the_request_in_flight(serve_site):
    root, env, headers = serve_site
    started, rounds = time.monotonic(), []
    for n in range(ROUNDS):
        rounds.append(await _serve_round(env, headers, root / f"serve-{n}.log", n))
        if rounds[-1].problems("201 True"):
            break  # the first failure says enough
    _report("serve", rounds, "201 True", started)


# --- cityops serve --with-fakes -----------------------------------------------------------------


def _bindable(port: int) -> bool:
    with socket.socket() as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def _free_run_of_ports(length: int) -> int:
    """Below the kernel's ephemeral range (32768-60999 by default): a port there may be the
    local end of any of the suite's outgoing connections, which no listener can bind, and the
    fakes process then failed to start now and then."""
    for _ in range(200):
        base = random.randrange(20000, 32000 - length)
        if all(_bindable(base + i) and not _accepts(base + i) for i in range(length)):
            return base
    raise RuntimeError("no free run of ports")


def _children(pid: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
                found.append(int(entry.name))
    return found


def test_serve_with_fakes_stops_its_fakes_process(tmp_path):
    env = app_env(tmp_path, 0, "fakes.db")
    # The fakes listen from --fakes-port up to the last Android vendor's offset.
    fakes_port = _free_run_of_ports(max(OFFSETS.values()) + 1)
    port = free_port()
    command = ("api.cli", "serve", "--host", "127.0.0.1", "--port", str(port))
    command += ("--with-fakes", "--fakes-port", str(fakes_port))
    with app_process(env, port, tmp_path / "serve.log", command=command) as app:
        deadline = time.monotonic() + 60
        while not all(_accepts(fakes_port + i) for i in range(3)):
            assert time.monotonic() < deadline, f"the fakes did not start: {app.log_text()[-2000:]}"
            time.sleep(0.1)
        fakes = _children(app.process.pid)
        assert len(fakes) == 1, fakes
        seconds = app.terminate(timeout=STOP_WITHIN + 20)
        log = app.log_text()
    assert app.process.returncode == 0, log
    assert seconds is not None and seconds < STOP_WITHIN, (seconds, log)
    assert not Path(f"/proc/{fakes[0]}").exists(), "the fakes process outlived the server"
    assert not any(_accepts(fakes_port + i) for i in range(3))
    assert not [sign for sign in CRASH_SIGNS if sign in log], log


# --- cityops worker ---------------------------------------------------------------------------


@pytest.fixture(scope="module")
def fcm_fake():
    state = FcmState(project_id="clean-stop")
    with BackgroundServer(create_fcm_fake(state)) as server:
        yield server, state


@pytest.fixture(scope="module")
def worker_site(tmp_path_factory, fcm_fake):
    server, _ = fcm_fake
    root = tmp_path_factory.mktemp("clean-stop-worker")
    env = app_env(
        root,
        0,
        "worker.db",
        CITYOPS_NOTIFY_CHANNELS="fcm",
        CITYOPS_FCM_BASE_URL=server.url,
        CITYOPS_FCM_TOKEN_URL=f"{server.url}/token",
        CITYOPS_FCM_PROJECT_ID="clean-stop",
        # One push per claim, so that the stop meets exactly one in flight.
        CITYOPS_NOTIFY_BATCH_SIZE="1",
        CITYOPS_NOTIFY_INTERVAL_SECONDS="0.2",
    )
    migrate(env)
    seed(env, SEED_PUSHES.format(count=ROUNDS + 1))
    return root, env


def _fcm_statuses(database: Path) -> dict[str, int]:
    with sqlite3.connect(database) as connection:
        rows = connection.execute(
            "SELECT status, COUNT(*) FROM notification_delivery WHERE channel = 'fcm' "
            "GROUP BY status"
        ).fetchall()
    return dict(rows)


def _start_worker(env: dict[str, str], log: Path) -> subprocess.Popen:
    with log.open("wb") as sink:
        return cli_process(env, sink, "worker")


async def _worker_round(env: dict[str, str], state: FcmState, log: Path, n: int) -> Round:
    arrived, received = state.arrived, len(state.received)
    process = _start_worker(env, log)
    try:
        in_flight = await wait_for(
            lambda: state.arrived > arrived or process.poll() is not None, within=60
        )
        stop_sent = time.monotonic()
        process.send_signal(signal.SIGTERM)
        returncode, seconds = await asyncio.to_thread(_wait_exit, process, stop_sent)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    statuses = _fcm_statuses(Path(env["CITYOPS_DATABASE_URL"].removeprefix("sqlite:///")))
    outcome = (
        f"started {state.arrived - arrived}, answered {len(state.received) - received}, "
        f"sent {statuses.get('sent', 0) - n}, sending {statuses.get('sending', 0)}"
    )
    if not in_flight:
        outcome = f"no push in flight within 60 s; {outcome}"
    log_text = await asyncio.to_thread(log.read_text, errors="replace")
    return Round(returncode, seconds, log_text, outcome)


async def test_worker_stops_on_sigterm_and_finishes_the_push_in_flight(worker_site, fcm_fake):
    root, env = worker_site
    _, state = fcm_fake
    state.delay = PUSH_HOLD
    expected = "started 1, answered 1, sent 1, sending 0"
    started, rounds = time.monotonic(), []
    for n in range(ROUNDS):
        rounds.append(await _worker_round(env, state, root / f"worker-{n}.log", n))
        if rounds[-1].problems(expected):
            break
    _report("worker", rounds, expected, started)
