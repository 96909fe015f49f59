"""Smoke run of bench/load.py: its mixed citizen and inspector workload for ~3 s against the
suite's PostgreSQL database (real app under uvicorn with 2 workers, then the bare anchor),
through the script itself. Every request must be answered with a 2xx; no time is asserted."""

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.helpers import require_system

ROOT = Path(__file__).resolve().parents[2]
PG_URL = os.environ.get("CITYOPS_TEST_DATABASE_URL", "")

pytestmark = [
    pytest.mark.postgres_only,
    pytest.mark.skipif(
        not PG_URL,
        reason="needs PostgreSQL: set CITYOPS_TEST_DATABASE_URL (the benchmark runs the app "
        "as two uvicorn workers on one database)",
    ),
]


def test_mixed_load_has_no_errors(database):
    require_system("wrk", shutil.which("wrk") is not None, "bench/load.py generates load with it")
    done = subprocess.run(  # noqa: S603 - our own script, fixed arguments
        [
            sys.executable,
            "bench/load.py",
            "--quick",
            "--seconds",
            "3",
            # The suite's schema stays: the script empties the tables and seeds its data.
            "--keep-schema",
            "--database-url",
            PG_URL,
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    output = done.stdout + done.stderr[-3000:]
    assert done.returncode == 0, output
    errors = re.findall(r"^errors, (.+?): (\d+) of ([\d,]+) responses", done.stdout, re.M)
    assert {side for side, _, _ in errors} == {"app warm-up", "anchor warm-up", "app", "anchor"}
    for side, failed, answered in errors:
        assert failed == "0", output
        assert int(answered.replace(",", "")) > 0, f"{side} answered nothing:\n{output}"
