"""Create or upgrade the schema. PostgreSQL follows the Piccolo migrations; SQLite is built
from the tables directly because Piccolo cannot ALTER most SQLite columns."""

from __future__ import annotations

from piccolo.conf.apps import Finder
from piccolo.table import Table, create_db_tables, sort_table_classes

from core import db


def all_tables() -> list[type[Table]]:
    return sort_table_classes(Finder().get_table_classes())


async def migrate() -> str:
    if db.is_sqlite():
        from core.settings import get_settings

        db.configure_sqlite(db.engine().path, get_settings().sqlite_busy_timeout_ms)
        await create_db_tables(*all_tables(), if_not_exists=True)
        return "sqlite schema created"
    from piccolo.apps.migrations.commands.forwards import run_forwards

    result = await run_forwards(app_name="all", migration_id="all", fake=False)
    if not result.success:
        raise SystemExit(f"migrations failed: {result.message}")
    return "postgresql migrations applied"


async def truncate_all() -> None:
    """Empty every table (tests)."""
    tables = [t._meta.tablename for t in all_tables()]
    if db.is_sqlite():
        async with db.transaction():
            for name in reversed(tables):
                await db.raw(f'DELETE FROM "{name}"')  # noqa: S608 - names come from our tables
    else:
        quoted = ", ".join(f'"{name}"' for name in tables)
        await db.raw(f"TRUNCATE {quoted} RESTART IDENTITY CASCADE")
