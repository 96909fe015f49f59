"""A PostgreSQL cluster of the test's own (initdb into a temp dir, pg_ctl on a free port), so
a fault test can stop and restart "the database" without touching the machine's shared
server that other tests and CI use.

PostgreSQL refuses to run as root: as root the binaries run as the ``postgres`` OS user
(``runuser``) on a directory that user owns; otherwise they run as the current user."""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import subprocess
import tempfile
from pathlib import Path

from tests.servers import free_port

PG_USER = "postgres"


def find_bindir() -> Path | None:
    """The newest installed server binaries (Debian layout), or pg_ctl on PATH."""
    candidates = sorted(
        glob.glob("/usr/lib/postgresql/*/bin"), key=lambda p: int(Path(p).parent.name)
    )
    for path in reversed(candidates):
        if (Path(path) / "initdb").exists() and (Path(path) / "pg_ctl").exists():
            return Path(path)
    on_path = shutil.which("pg_ctl")
    if on_path and shutil.which("initdb"):
        return Path(on_path).parent
    return None


def _run_as() -> list[str] | None:
    """The command prefix that runs a server binary as a non-root user; None if impossible."""
    if os.geteuid() != 0:
        return []
    try:
        pwd.getpwnam(PG_USER)
    except KeyError:
        return None
    runuser = shutil.which("runuser")
    return [runuser, "-u", PG_USER, "--"] if runuser else None


def availability() -> tuple[bool, str]:
    if find_bindir() is None:
        return False, "initdb/pg_ctl not found (apt-get install postgresql)"
    if _run_as() is None:
        return False, "running as root needs runuser and a 'postgres' OS user"
    return True, ""


class PrivatePostgres:
    """One throwaway cluster with trust authentication on 127.0.0.1 only."""

    def __init__(self) -> None:
        bindir = find_bindir()
        prefix = _run_as()
        assert bindir is not None and prefix is not None, availability()[1]
        self.bindir = bindir
        self.prefix = prefix
        self.root = Path(tempfile.mkdtemp(prefix="cityops-pg-"))
        self.data = self.root / "data"
        self.log = self.root / "server.log"
        self.port = free_port()
        if os.geteuid() == 0:
            user = pwd.getpwnam(PG_USER)
            os.chown(self.root, user.pw_uid, user.pw_gid)
        os.chmod(self.root, 0o755)

    def url(self, database: str = "postgres") -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/{database}"

    def _run(self, *args: str, timeout: float = 120) -> str:
        done = subprocess.run(
            [*self.prefix, str(self.bindir / args[0]), *args[1:]],
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )
        assert done.returncode == 0, f"{args[0]} failed: {done.stdout}\n{done.stderr}\n" + (
            self.log.read_text()[-2000:] if self.log.exists() else ""
        )
        return done.stdout

    def init(self) -> PrivatePostgres:
        self._run(
            "initdb", "-D", str(self.data), "-U", PG_USER, "-A", "trust", "-E", "UTF8", "--no-sync"
        )
        return self

    def _options(self) -> str:
        # Our own socket directory and no durability work: the test kills this cluster.
        return (
            f"-p {self.port} -c listen_addresses=127.0.0.1 -k {self.root} "
            "-c fsync=off -c synchronous_commit=off -c full_page_writes=off"
        )

    def start(self) -> None:
        self._run(
            "pg_ctl",
            "-D",
            str(self.data),
            "-l",
            str(self.log),
            "-o",
            self._options(),
            "-w",
            "start",
        )

    def stop(self) -> None:
        self._run("pg_ctl", "-D", str(self.data), "-m", "fast", "-w", "stop")

    def restart(self) -> None:
        self._run(
            "pg_ctl",
            "-D",
            str(self.data),
            "-l",
            str(self.log),
            "-o",
            self._options(),
            "-m",
            "fast",
            "-w",
            "restart",
        )

    def standby(self) -> PrivatePostgres:
        """A streaming replica of this cluster (pg_basebackup -R), started on a port of its
        own; the caller destroys it."""
        replica = PrivatePostgres()
        replica._run(
            "pg_basebackup", "-h", "127.0.0.1", "-p", str(self.port), "-U", PG_USER,
            "-D", str(replica.data), "-R", "-X", "stream", "--no-sync",
        )  # fmt: skip
        replica.start()
        return replica

    def sql(self, statement: str, database: str = "postgres") -> str:
        """Run one statement with psql; its unaligned output."""
        return self._run(
            "psql", "-h", "127.0.0.1", "-p", str(self.port), "-U", PG_USER, "-d", database,
            "-XAtqc", statement,
        ).strip()  # fmt: skip

    def create_database(self, name: str) -> str:
        self._run("psql", "-h", "127.0.0.1", "-p", str(self.port), "-U", PG_USER,
                  "-d", "postgres", "-qc", f'CREATE DATABASE "{name}"')  # fmt: skip
        return self.url(name)

    def destroy(self) -> None:
        if (self.data / "postmaster.pid").exists():
            subprocess.run(
                [*self.prefix, str(self.bindir / "pg_ctl"), "-D", str(self.data)]
                + ["-m", "immediate", "-w", "stop"],
                capture_output=True,
                timeout=60,
                check=False,
            )
        shutil.rmtree(self.root, ignore_errors=True)
