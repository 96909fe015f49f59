"""Helpers for the bench scripts: loopback ports, PostgreSQL scratch databases, uvicorn
processes in a process group of their own (so every worker is stopped with its master), CPU
accounting from /proc, percentiles."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Sequence
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")

# The same server settings for the app and for every anchor it is compared with.
UVICORN_ARGS = (
    "--host",
    "127.0.0.1",
    "--loop",
    "uvloop",
    "--http",
    "httptools",
    "--no-access-log",
    "--log-level",
    "warning",
)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def percentile(values: Sequence[float], share: float) -> float:
    """Nearest-rank percentile; nan for no values."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    rank = max(1, -(-len(ordered) * share // 1))  # ceil, at least the first
    return ordered[min(len(ordered), int(rank)) - 1]


def clean_environment(**settings: str) -> dict[str, str]:
    """This process's environment without any inherited CITYOPS_* setting, plus ``settings``."""
    env = {key: value for key, value in os.environ.items() if not key.startswith("CITYOPS_")}
    env["PYTHONPATH"] = str(ROOT)
    env.update(settings)
    return env


async def ensure_database(url: str) -> None:
    """Create the database of ``url`` if the server does not have it yet."""
    import asyncpg

    base, name = url.rsplit("/", 1)
    name = name.split("?", 1)[0]
    try:
        connection = await asyncpg.connect(url)
    except asyncpg.InvalidCatalogNameError:
        admin = await asyncpg.connect(f"{base}/postgres")
        try:
            await admin.execute(f'CREATE DATABASE "{name}"')
        finally:
            await admin.close()
    else:
        await connection.close()


def run_cli(env: dict[str, str], *args: str) -> str:
    """``cityops <args>`` in a subprocess with ``env``; its output."""
    done = subprocess.run(  # noqa: S603 - our own CLI, fixed arguments
        [sys.executable, "-m", "api.cli", *args],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        raise SystemExit(f"cityops {' '.join(args)} failed:\n{done.stderr[-3000:]}")
    return done.stdout


class Uvicorn:
    """``uvicorn <target> --workers N`` on a free loopback port, in its own process group."""

    def __init__(
        self, target: Sequence[str], env: dict[str, str], *, workers: int, log: Path
    ) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log = log
        # Server output goes to a file: shown when the server fails, not between figures.
        with log.open("ab") as output:
            self.process = subprocess.Popen(  # noqa: S603 - our own app, fixed arguments
                [
                    sys.executable,
                    "-m",
                    "uvicorn",
                    *target,
                    *UVICORN_ARGS,
                    "--workers",
                    str(workers),
                    "--port",
                    str(self.port),
                ],
                cwd=ROOT,
                env=env,
                stdout=output,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )

    def fail(self, message: str) -> SystemExit:
        tail = self.log.read_text(errors="replace")[-3000:]
        return SystemExit(f"server on port {self.port} {message}; its output:\n{tail}")

    def wait_ready(
        self, path: str = "/healthz", timeout: float = 90, *, ok_in_a_row: int = 0
    ) -> None:
        """Until the server answers anything at ``path`` (an anchor may answer 404); with
        ``ok_in_a_row``, until that many fresh connections in a row get a 200 (the app's
        /readyz is 503 while a worker builds its nearby index: each connection may reach
        another worker, so 20 in a row leave a worker not yet asked once in a million)."""
        import httpx

        deadline = time.monotonic() + timeout
        in_a_row = 0
        while True:
            if self.process.poll() is not None:
                raise self.fail("exited")
            try:
                status = httpx.get(f"{self.url}{path}", timeout=2).status_code
                in_a_row = in_a_row + 1 if status == 200 else 0
                if in_a_row >= ok_in_a_row:
                    return
                if in_a_row:
                    continue  # ask again at once, on a new connection
            except httpx.TransportError:
                in_a_row = 0
            if time.monotonic() > deadline:
                raise self.fail("did not start" if not ok_in_a_row else "did not get ready")
            time.sleep(0.2)

    def cpu_seconds(self) -> float:
        return group_cpu_seconds(self.process.pid)

    def stop(self) -> None:
        """SIGTERM to the master and its workers (our own group), SIGKILL if they linger."""
        if self.process.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(timeout=10)
        # Workers outliving their master would still be in the group.
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGKILL)


def _stat_fields(pid: str) -> list[str] | None:
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    # The command name may hold spaces and parentheses: split after its closing one.
    return text[text.rindex(")") + 2 :].split()


def group_pids(pgid: int) -> list[int]:
    """The live processes of one process group."""
    return sorted(
        int(pid)
        for pid in os.listdir("/proc")
        if pid.isdigit() and (fields := _stat_fields(pid)) and int(fields[2]) == pgid
    )


def process_cpu_seconds(pid: int) -> float:
    """User + system CPU of one process so far; 0 once it is gone."""
    fields = _stat_fields(str(pid))
    return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS if fields else 0.0


def group_cpu_seconds(pgid: int) -> float:
    """User + system CPU of the live processes of one process group."""
    return sum(process_cpu_seconds(pid) for pid in group_pids(pgid))


def memory_mb(pid: int) -> dict[str, float]:
    """RSS, PSS (shared pages split among their users), USS (private pages only) and the
    peak RSS (VmHWM) of one process, in MB, from /proc/<pid>/smaps_rollup and status."""
    fields = {}
    for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines()[1:]:
        name, value = line.split(":", 1)
        fields[name] = int(value.split()[0])
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            fields["VmHWM"] = int(line.split()[1])
    uss = fields["Private_Clean"] + fields["Private_Dirty"]
    return {
        "rss": fields["Rss"] / 1024,
        "pss": fields["Pss"] / 1024,
        "uss": uss / 1024,
        "peak": fields["VmHWM"] / 1024,
    }


def postgres_cpu(database: str) -> dict[int, float]:
    """CPU seconds so far of each PostgreSQL backend serving ``database`` on this machine,
    found by its process title: "postgres: [cluster: ]user database host(port) state"."""
    out = {}
    for pid in os.listdir("/proc"):
        if not pid.isdigit():
            continue
        try:
            title = Path(f"/proc/{pid}/cmdline").read_bytes().decode(errors="replace")
        except OSError:
            continue
        words = title.replace("\0", " ").split()
        if words[:1] == ["postgres:"] and database in words[2:4] and (f := _stat_fields(pid)):
            out[int(pid)] = (int(f[11]) + int(f[12])) / CLOCK_TICKS
    return out


def cpu_since(before: dict[int, float], after: dict[int, float]) -> float:
    """CPU used between two ``postgres_cpu`` snapshots by the processes alive at the end."""
    return sum(seconds - before.get(pid, 0.0) for pid, seconds in after.items())


def machine_busy() -> tuple[float, float]:
    """(busy, total) CPU seconds of the whole machine since boot, from /proc/stat."""
    values = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    idle = values[3] + values[4]  # idle + iowait
    return (sum(values[:8]) - idle) / CLOCK_TICKS, sum(values[:8]) / CLOCK_TICKS
