"""Fill case_file.state_entered_at and the seconds per stage of the cases filed before them,
from their history; a fresh database has none to fill. A migration of its own: Piccolo
runs a migration's raw steps before its new columns."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine import engine_finder

from cases.stage_times import backfill_sql

ID = "2026-12-05T01:36:36:000000"
VERSION = "1.38.0"
DESCRIPTION = "backfill case_file stage seconds"


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="cases", description=DESCRIPTION)

    async def run():
        for statement in backfill_sql(sqlite=False):
            await engine_finder().run_ddl(statement)

    manager.add_raw(run)
    return manager
