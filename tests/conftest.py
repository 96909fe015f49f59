"""Test setup: a real database (SQLite by default, PostgreSQL when CITYOPS_TEST_DATABASE_URL
is set), emptied before every test, and the real HTTP app in-process. External services run
as loopback fakes that speak their protocol."""

from __future__ import annotations

import os
import sys
import tempfile
import threading
from logging.handlers import QueueListener

_TMP = tempfile.mkdtemp(prefix="cityops-test-")
_PG_URL = os.environ.get("CITYOPS_TEST_DATABASE_URL", "")

from fakes.server import BackgroundServer  # noqa: E402
from fakes.wechat import create_wechat_fake  # noqa: E402

WECHAT_SECRET = "test-wechat-secret-0123456789"
_wechat = BackgroundServer(create_wechat_fake(secret=WECHAT_SECRET)).start()

os.environ.update(
    {
        "CITYOPS_ENV": "test",
        "CITYOPS_VAR_DIR": _TMP,
        "CITYOPS_DATABASE_URL": _PG_URL or f"sqlite:///{_TMP}/cityops-test.db",
        "CITYOPS_PASSWORD_ITERATIONS": "1000",
        "CITYOPS_JWT_SECRET": "test-jwt-secret-that-is-long-enough-0123456789",
        "CITYOPS_WECHAT_SECRET": WECHAT_SECRET,
        "CITYOPS_WECHAT_BASE_URL": _wechat.url,
        "CITYOPS_WECHAT_TIMEOUT_SECONDS": "1",
        # Tests empty the tables between tests: caches must look at the stamps every time.
        "CITYOPS_CACHE_CHECK_SECONDS": "0",
        "CITYOPS_LOG_LEVEL": "WARNING",
    }
)

import httpx  # noqa: E402
import pytest  # noqa: E402

from core import clock, db  # noqa: E402
from core.schema import migrate, truncate_all  # noqa: E402
from tests.helpers import Api  # noqa: E402

ON_POSTGRES = bool(_PG_URL)


@pytest.hookimpl(trylast=True)
def pytest_sessionfinish(session):
    """Every thread the tests started is stopped before the interpreter's teardown: a fake's
    uvloop thread still running then can crash the process after all tests passed (SIGSEGV,
    see fakes/server.py). Conftests that start fakes stop them in their own
    pytest_sessionfinish; this one runs last and fails the run if a thread is left."""
    _wechat.stop()
    sms = sys.modules.get("tests.sms_support")  # imported by the tests that text
    if sms is not None:
        for server in sms.FAKES.values():
            server.stop()
    left = [thread.name for thread in threading.enumerate() if _started_by_tests(thread)]
    if left:
        print(f"\nthreads left running after the tests: {left}", file=sys.stderr)
        session.exitstatus = pytest.ExitCode.TESTS_FAILED


def _started_by_tests(thread: threading.Thread) -> bool:
    # Logging's queue listeners (Litestar's default logging config of the fakes' apps)
    # are stopped at exit by the library that started them.
    owner = getattr(getattr(thread, "_target", None), "__self__", None)
    return thread is not threading.main_thread() and not isinstance(owner, QueueListener)


def pytest_report_header(config):
    return f"cityops database: {'postgresql' if ON_POSTGRES else 'sqlite'}"


@pytest.fixture(scope="session")
def wechat_fake() -> BackgroundServer:
    return _wechat


@pytest.fixture(scope="session")
async def schema():
    from core.settings import get_settings

    # The pool lives on the test event loop: the app below runs on that loop too.
    await db.open_pool(get_settings())
    if ON_POSTGRES:
        # Start from nothing so the migrations themselves are tested.
        await db.raw("DROP SCHEMA IF EXISTS public CASCADE")
        await db.raw("CREATE SCHEMA public")
    await migrate()
    yield
    await db.close_pool()


@pytest.fixture(scope="session")
async def client(schema):
    """The real ASGI app in-process. httpx's transport runs it on the test loop; Litestar's
    test client would run the lifespan on another thread's loop, where a PostgreSQL pool
    cannot serve this one, so the pool is opened by the fixture above instead."""
    from api.app import create_asgi_app

    transport = httpx.ASGITransport(app=create_asgi_app(), client=("127.0.0.1", 50000))
    async with httpx.AsyncClient(
        transport=transport, base_url="http://testserver", timeout=30
    ) as test_client:
        yield test_client


@pytest.fixture
async def database(client):
    """An empty database and a reset clock and fakes for one test."""
    from core import ttlcache
    from notify import wechat_links
    from qr import scans

    ttlcache.clear_all()
    scans.discard()  # a scan noted in an earlier test would count against a new sign's id
    wechat_links.forget()
    await truncate_all()
    clock.reset()
    httpx.post(f"{_wechat.url}/__fake__/reset")
    yield
    clock.reset()


@pytest.fixture
def sms_outbox(monkeypatch) -> list[dict]:
    """Codes the SMS sender would have sent, instead of printing them."""
    import api.citizen.auth
    from accounts.sms import SmsSender

    sent: list[dict] = []

    class RecordingSender(SmsSender):
        async def send(self, *, phone: str, kind: str, params: dict[str, str]) -> str:
            sent.append({"phone": phone, "kind": kind, **params})
            return ""

    monkeypatch.setattr(api.citizen.auth, "sms_sender_from_settings", lambda _: RecordingSender())
    return sent


@pytest.fixture
def api(database, client, sms_outbox) -> Api:
    return Api(client, wechat_url=_wechat.url, sms_outbox=sms_outbox)


@pytest.fixture
def settings_env(monkeypatch):
    """``settings_env(CITYOPS_X="1", ...)``: run the test with these settings; the earlier
    ones come back afterwards (the settings are read once and cached)."""
    from core import settings as settings_module

    def apply(**values: str) -> None:
        for key, value in values.items():
            monkeypatch.setenv(key, value)
        settings_module.reload_settings()

    yield apply
    monkeypatch.undo()
    settings_module.reload_settings()
