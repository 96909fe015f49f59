"""Real app processes for tests that need a browser or several servers: uvicorn on a free
loopback port, waited for generously (a loaded 2-core CI machine imports slowly)."""

from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
START_TIMEOUT = 90.0


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _log_tail(log) -> str:
    if log is None:
        return ""
    log.seek(0)
    return log.read().decode(errors="replace")[-2000:]


def _wait_until_healthy(process: subprocess.Popen, url: str, log=None) -> None:
    deadline = time.monotonic() + START_TIMEOUT
    while True:
        if process.poll() is not None:
            raise RuntimeError(f"server at {url} exited: {_log_tail(log)}")
        try:
            if httpx.get(f"{url}/healthz", timeout=2).status_code == 200:
                _wait_for_places(url, deadline)
                return
        except httpx.TransportError:
            pass
        if time.monotonic() > deadline:
            raise RuntimeError(f"server at {url} did not start")
        time.sleep(0.2)


def _wait_for_places(url: str, deadline: float) -> None:
    """A serving process loads its nearby index in a child process and answers 503
    places.index_warming meanwhile: a test starts once it is loaded. A process that is not
    ready for another reason (its database down, on purpose) is the test's business."""
    while time.monotonic() < deadline:
        try:
            answer = httpx.get(f"{url}/readyz", timeout=5)
        except httpx.TransportError:
            return
        if answer.status_code != 503 or "index_warming" not in answer.text:
            return
        time.sleep(0.1)


def app_env(root: Path, port: int, db_name: str, **extra: str) -> dict[str, str]:
    """The environment of an app process of its own: a fresh SQLite file under ``root`` and
    none of the test process's CITYOPS_* settings (but the strictness of CI)."""
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith("CITYOPS_") or key == "CITYOPS_TEST_STRICT"
    }
    env.update(
        {
            "CITYOPS_ENV": "development",
            "CITYOPS_VAR_DIR": str(root),
            "CITYOPS_DATABASE_URL": f"sqlite:///{root}/{db_name}",
            "CITYOPS_JWT_SECRET": "chromium-test-secret-0123456789-abcdefghij",
            "CITYOPS_QR_SECRET": "chromium-test-qr-secret",
            "CITYOPS_WORKER_IN_PROCESS": "false",
            "CITYOPS_PUBLIC_BASE_URL": f"http://127.0.0.1:{port}",
            "CITYOPS_LOG_LEVEL": "WARNING",
            **extra,
        }
    )
    return env


def seed(env: dict[str, str], script: str) -> str:
    """Run a seeding script with ``env``; its last line of output is the answer."""
    done = subprocess.run(
        [sys.executable, "-c", script],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout.strip().splitlines()[-1]


def cli_process(env: dict[str, str], log, *args: str) -> subprocess.Popen:
    """``python -m api.cli *args`` (the `cityops` command) with ``env``, its output going to
    the open file ``log``."""
    return subprocess.Popen(
        [sys.executable, "-m", "api.cli", *args],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )


@contextlib.contextmanager
def running_apps(
    env: dict[str, str], count: int = 1, port: int | None = None, extra_args: tuple[str, ...] = ()
) -> Iterator[list[str]]:
    """Start ``count`` uvicorn processes of the app with ``env``; yield their base URLs."""
    started = []
    try:
        for index in range(count):
            bound = port if port is not None and index == 0 else free_port()
            # A file, not a pipe: a server logging many errors (a fuzz run finding 500s)
            # filled the pipe nobody read and hung on its next write.
            log = tempfile.TemporaryFile()  # noqa: SIM115 - closed with the process
            process = subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "uvicorn",
                    "api.asgi:app",
                    "--host",
                    "127.0.0.1",
                    "--port",
                    str(bound),
                    "--no-access-log",
                    # As `cityops serve` runs it: the app alone reads X-Forwarded-For.
                    "--no-proxy-headers",
                    "--log-level",
                    "warning",
                    *extra_args,
                ],
                cwd=ROOT,
                env=env,
                stdout=subprocess.DEVNULL,
                stderr=log,
            )
            started.append((process, f"http://127.0.0.1:{bound}", log))
        for process, url, log in started:
            _wait_until_healthy(process, url, log)
        yield [url for _, url, _ in started]
    finally:
        for process, _, _ in started:
            process.terminate()
        for process, _, log in started:
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
            log.close()
