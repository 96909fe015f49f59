"""Database engines: SQLite (embedded default) or PostgreSQL, chosen by CITYOPS_DATABASE_URL.

The request (or task) owns the transaction: controllers wrap one service call in
``transaction()``. On SQLite it is ``BEGIN IMMEDIATE`` because a deferred transaction that
later tries to write fails with "database is locked" instead of waiting its turn.
"""

from __future__ import annotations

import logging
import os
import sqlite3
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from piccolo.engine.base import Engine
from piccolo.engine.postgres import PostgresEngine, PostgresTransaction
from piccolo.engine.sqlite import SQLiteEngine, TransactionType

from core.settings import Settings, get_settings

log = logging.getLogger("cityops.db")


def sqlite_path(url: str) -> str:
    # sqlite:///relative/file.db and sqlite:////absolute/file.db
    return url.split("sqlite://", 1)[1][1:]


def build_engine(settings: Settings) -> Engine:
    url = settings.database_url
    if url.startswith("sqlite:"):
        path = sqlite_path(url)
        Path(path).parent.mkdir(parents=True, exist_ok=True)
        return SQLiteEngine(path=path, timeout=settings.sqlite_busy_timeout_ms / 1000)
    if url.startswith(("postgres://", "postgresql://")):
        return _PostgresEngine(config={"dsn": url, "command_timeout": 60})
    raise SystemExit(f"invalid configuration: unsupported CITYOPS_DATABASE_URL scheme in {url!r}")


class _Transaction(PostgresTransaction):
    """Piccolo's transaction, made safe against a connection that dies under it (the
    database restarts, fails over, or drops us). Piccolo 1.38 neither gives the connection
    back when BEGIN, COMMIT or ROLLBACK fails nor forgets the transaction: every such failure
    shrank the pool by one until requests waited forever, and a periodic task kept running
    its next ticks inside the dead transaction. Here the connection always goes back (asyncpg
    replaces a closed one on the next acquire) and the task always forgets the transaction."""

    async def __aenter__(self) -> PostgresTransaction:
        if self._parent is not None:
            return self._parent
        for attempt in (1, 2):
            self.connection = await self.get_connection()
            try:
                self.transaction = self.connection.transaction()
                await self.begin()
                break
            except BaseException as exc:
                # A pooled connection the server dropped while it sat idle fails at BEGIN;
                # nothing has happened yet, so one more try on a fresh connection is safe.
                retry = attempt == 1 and isinstance(exc, Exception) and is_unavailable(exc)
                if retry and self.engine.pool:
                    self.connection.terminate()
                await self._give_back()
                if not retry:
                    raise
        self.context = self.engine.current_transaction.set(self)
        return self

    async def __aexit__(self, exception_type, exception, traceback) -> bool:
        if self._parent:
            return exception is None
        try:
            if exception is not None:
                if not self._rolled_back:
                    await self.rollback()
            elif not self._committed and not self._rolled_back:
                await self.commit()
        finally:
            self.engine.current_transaction.reset(self.context)
            await self._give_back()
        return exception is None

    async def _give_back(self) -> None:
        try:
            if self.engine.pool:
                # On a broken connection the pool terminates it and frees its slot.
                await self.engine.pool.release(self.connection)
            else:
                await self.connection.close()
        except Exception as exc:
            log.debug("discarded a broken database connection: %r", exc)
            if not self.engine.pool:
                self.connection.terminate()


class _ReplicaTransaction(_Transaction):
    """A transaction of the primary engine (so every query of the block finds it) on a
    connection of the replica's pool (core.replica)."""

    def __init__(self, engine: PostgresEngine, pool) -> None:
        super().__init__(engine=engine, allow_nested=False)
        self._pool = pool

    async def get_connection(self):
        from core.replica import ACQUIRE_TIMEOUT

        return await self._pool.acquire(timeout=ACQUIRE_TIMEOUT)

    async def _give_back(self) -> None:
        try:
            await self._pool.release(self.connection)
        except Exception as exc:
            log.debug("discarded a broken replica connection: %r", exc)
            self.connection.terminate()


def replica_transaction(pool) -> PostgresTransaction:
    return _ReplicaTransaction(engine(), pool)


class _PostgresEngine(PostgresEngine):
    def transaction(self, allow_nested: bool = True) -> PostgresTransaction:
        return _Transaction(engine=self, allow_nested=allow_nested)


_engine: Engine | None = None


def engine() -> Engine:
    global _engine
    if _engine is None:
        _engine = build_engine(get_settings())
    return _engine


def is_sqlite() -> bool:
    return isinstance(engine(), SQLiteEngine)


def _begin():
    db = engine()
    if isinstance(db, SQLiteEngine):
        return db.transaction(transaction_type=TransactionType.immediate)
    return db.transaction()


@asynccontextmanager
async def transaction() -> AsyncIterator[None]:
    """Commit on success, roll back on error, except for domain errors that record what
    happened (a wrong password counts towards lockout even though the request fails)."""
    from core.errors import DomainError

    kept: DomainError | None = None
    async with _begin():
        try:
            yield
        except DomainError as exc:
            if not exc.keeps_changes:
                raise
            kept = exc
    if kept is not None:
        raise kept


@asynccontextmanager
async def reporting() -> AsyncIterator[None]:
    """For a report's few aggregate queries over many rows: on PostgreSQL one transaction
        with JIT compilation off. The planner's row estimates for grouped aggregates with
        correlated lookups run into the millions, which turns on inlining and optimisation that
        cost a second to save milliseconds (measured by bench/stats.py); and room to sort and
        hash a month of rows in memory rather than on disk. Inside a request's transaction the
        settings hold until it ends: meant for read-only requests. Outside one, on the replica when
    one is configured and fit (core.replica). SQLite: nothing."""
    from core.replica import replica_reads

    if is_sqlite():
        yield
        return
    async with replica_reads():
        await raw("SET LOCAL jit = off")
        await raw("SET LOCAL work_mem = '32MB'")
        yield


def in_transaction() -> bool:
    return engine().current_transaction.get() is not None


async def lock(name: str) -> None:
    """Serialise writers of one logical resource (a phone number, a points account) for the
    rest of the transaction. SQLite's BEGIN IMMEDIATE already serialises all writers."""
    if not is_sqlite():
        await raw("SELECT pg_advisory_xact_lock(hashtextextended({}, 0))", name)


async def raw(sql: str, *args: Any) -> list[dict[str, Any]]:
    """Run SQL with ``{}`` placeholders on the current transaction's connection if any."""
    from piccolo.querystring import QueryString

    db = engine()
    return await db.run_querystring(QueryString(sql, *args)) or []


async def raw_autocommit(sql: str, *args: Any) -> list[dict[str, Any]]:
    """Run SQL in its own short transaction even inside a request's transaction, so a hot
    row (a day's case counter) is locked for one statement, not for the whole request. A
    rollback of the request then leaves a gap, as a database sequence would. SQLite already
    serialises writers, so there it simply joins the current transaction."""
    db = engine()
    if not isinstance(db, PostgresEngine):
        return await raw(sql, *args)
    from piccolo.querystring import QueryString

    query, query_args = QueryString(sql, *args).compile_string(engine_type="postgres")
    if db.pool is None:
        return await raw(sql, *args)
    try:
        # Every request already holds one pooled connection: never wait long for a second,
        # or a full pool would deadlock; join the request's transaction instead.
        connection = await db.pool.acquire(timeout=0.2)
    except TimeoutError:
        return await raw(sql, *args)
    try:
        return [dict(row) for row in await connection.fetch(query, *query_args)]
    finally:
        await db.pool.release(connection)


async def keep_session(connection: Any) -> None:
    """The pool's reset of a released connection. asyncpg's default sends
    ``pg_advisory_unlock_all(); CLOSE ALL; UNLISTEN *; RESET ALL`` each time a connection goes
    back: a round trip per request (bench/pool_reset.py). Nothing here leaves session state
    behind: settings are ``SET LOCAL`` and locks ``pg_advisory_xact_lock`` (both end with the
    transaction), there is no LISTEN and no cursor outliving its transaction
    (tests/core/test_pool_reset.py keeps it so). An open transaction is still rolled back
    (asyncpg does that before calling this)."""


async def open_pool(settings: Settings) -> None:
    from piccolo.engine.finder import engine_finder

    # A table's first query finds Piccolo's engine by importing piccolo.conf.apps (and with
    # it black) and piccolo_conf: 100-200 ms on the event loop, which stalled every request
    # a new process was answering then (bench/nearby_restart.py). Done before serving.
    engine_finder()
    db = engine()
    if isinstance(db, PostgresEngine):
        await db.start_connection_pool(
            min_size=settings.db_pool_min, max_size=settings.db_pool_max, reset=keep_session
        )
    else:
        configure_sqlite(db.path, settings.sqlite_busy_timeout_ms)


async def close_pool() -> None:
    from core import replica

    await replica.close()
    db = engine()
    if isinstance(db, PostgresEngine) and db.pool:
        await db.close_connection_pool()


def configure_sqlite(path: str, busy_timeout_ms: int) -> None:
    # WAL is a property of the database file, so setting it once is enough for every process.
    with sqlite3.connect(path, timeout=busy_timeout_ms / 1000) as connection:
        connection.execute("PRAGMA journal_mode=WAL")
        connection.execute("PRAGMA synchronous=NORMAL")


def is_unique_violation(exc: BaseException) -> bool:
    if isinstance(exc, sqlite3.IntegrityError):
        return "UNIQUE" in str(exc)
    try:
        import asyncpg
    except ImportError:  # pragma: no cover
        return False
    return isinstance(exc, asyncpg.UniqueViolationError)


def is_unstorable_text(exc: BaseException) -> bool:
    """Text PostgreSQL cannot store (a NUL character, sent as %00 or \\u0000): bad input
    that only the database notices, not a server error."""
    import asyncpg

    return isinstance(
        exc, (asyncpg.CharacterNotInRepertoireError, asyncpg.UntranslatableCharacterError)
    )


def is_unavailable(exc: BaseException) -> bool:
    """The database cannot be reached right now: the client should retry, we should not 500."""
    import asyncpg

    if isinstance(
        exc,
        (
            ConnectionError,
            OSError,
            asyncpg.CannotConnectNowError,
            asyncpg.ConnectionDoesNotExistError,
            asyncpg.TooManyConnectionsError,
            asyncpg.AdminShutdownError,
            asyncpg.CrashShutdownError,
            asyncpg.InterfaceError,
            # "cannot switch to state ...; another operation is in progress": a pooled
            # connection that received the server's shutdown notice while idle.
            asyncpg.InternalClientError,
        ),
    ):
        return True
    return isinstance(exc, sqlite3.OperationalError) and "locked" in str(exc)


def database_label() -> str:
    db = engine()
    if isinstance(db, SQLiteEngine):
        return f"sqlite:{os.path.abspath(db.path)}"
    return "postgresql"
