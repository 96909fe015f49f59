"""The PostgreSQL pool does not reset a released connection with asyncpg's reset query
(``pg_advisory_unlock_all(); CLOSE ALL; UNLISTEN *; RESET ALL``, a round trip per
request): that is only sound while nothing leaves session state on a connection. These
tests keep it so: no session-level SET, LISTEN, session advisory lock or held cursor in the
code, and a transaction that fails still gives back a clean connection."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from core import db
from tests.conftest import ON_POSTGRES

ROOT = Path(__file__).resolve().parents[2]
# Session state a pooled connection would carry to the next request without the reset.
SESSION_STATE = re.compile(
    r"[\"']\s*(?:UN)?LISTEN\b|add_listener\(|pg_advisory_lock|pg_try_advisory_lock\b|"
    r"\bWITH HOLD\b|SET SESSION|set_config\([^)]*false|"
    r"(?:raw|execute|fetch)\(\s*f?[\"']SET (?!LOCAL)",
    re.IGNORECASE,
)


def _sources() -> list[Path]:
    skip = {".venv", "tests", "bench", "piccolo_migrations", "fakes"}
    return [p for p in ROOT.rglob("*.py") if not skip & set(p.relative_to(ROOT).parts)]


def test_nothing_leaves_session_state_on_a_pooled_connection():
    found = [
        f"{path.relative_to(ROOT)}: {match.group(0)}"
        for path in _sources()
        for match in SESSION_STATE.finditer(path.read_text(errors="replace"))
    ]
    assert found == [], "session state on a pooled connection (see core.db.keep_session)"


def test_the_guard_sees_what_it_looks_for():
    for text in ('raw("LISTEN cases")', "pg_advisory_lock(1)", "raw('SET work_mem = 1')"):
        assert SESSION_STATE.search(text)
    for text in ('raw("SET LOCAL jit = off")', '"UPDATE t SET a = 1"', "LISTEN in prose"):
        assert not SESSION_STATE.search(text)


@pytest.mark.skipif(not ON_POSTGRES, reason="the pool is PostgreSQL's")
async def test_the_pool_skips_the_reset_query_and_a_failed_transaction_is_rolled_back(api):
    pool = db.engine().pool
    assert pool._reset is db.keep_session
    with pytest.raises(ZeroDivisionError):
        async with db.transaction():
            await db.raw("SET LOCAL statement_timeout = 1234")
            await db.raw("SELECT pg_advisory_xact_lock(42)")
            1 / 0  # noqa: B018
    for _ in range(pool.get_max_size()):  # every connection of the pool is clean
        async with db.transaction():
            rows = await db.raw("SHOW statement_timeout")
            locks = await db.raw("SELECT count(*) AS n FROM pg_locks WHERE locktype = 'advisory'")
        assert rows[0]["statement_timeout"] == "0" and locks[0]["n"] == 0
