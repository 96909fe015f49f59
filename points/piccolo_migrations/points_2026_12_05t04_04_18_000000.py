"""The index the farming signal counts read (points.tables.PointsSignal.raw_indexes); apart
from the migration creating the table: Piccolo runs a migration's raw steps first."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine import engine_finder

ID = "2026-12-05T04:04:18:000000"
VERSION = "1.38.0"
DESCRIPTION = "points signal index"

# As in points.tables.PointsSignal.raw_indexes at the time of this migration.
STATEMENT = "CREATE INDEX IF NOT EXISTS points_signal_key ON points_signal (kind, key, created_at)"


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="points", description=DESCRIPTION)

    async def create_index():
        await engine_finder().run_ddl(STATEMENT)

    async def drop_index():
        await engine_finder().run_ddl("DROP INDEX IF EXISTS points_signal_key")

    manager.add_raw(create_index)
    manager.add_raw_backwards(drop_index)
    return manager
