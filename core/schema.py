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
        added = await _add_new_sqlite_columns()
        for table in all_tables():
            for statement in getattr(table, "raw_indexes", ()):
                await db.raw(statement)
            for statement in getattr(table, "raw_upgrades", ()):
                await db.raw(statement)
        return (
            f"sqlite schema created ({added} columns added)" if added else "sqlite schema created"
        )
    from piccolo.apps.migrations.commands.forwards import run_forwards

    result = await run_forwards(app_name="all", migration_id="all", fake=False)
    if not result.success:
        raise SystemExit(f"migrations failed: {result.message}")
    return "postgresql migrations applied"


async def _add_new_sqlite_columns() -> int:
    """A database made by an older checkout lacks the columns added since; SQLite can add a
    column (not change one), which is all a nullable or defaulted new column needs."""
    added = 0
    for table in all_tables():
        name = table._meta.tablename
        present = {row["name"] for row in await db.raw(f'PRAGMA table_info("{name}")')}
        for column in table._meta.columns:
            if column._meta.db_column_name not in present:
                await table.alter().add_column(column._meta.name, column)
                added += 1
    return added


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
