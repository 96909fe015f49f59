"""Fill case_event.state_since for the events written before it (reports verified,
resolutions checked); a fresh database has none to fill. A migration of its own: Piccolo
runs a migration's raw steps before its new columns."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine import engine_finder

from cases.tables import BACKFILL_STATE_SINCE

ID = "2026-12-05T01:13:29:000000"
VERSION = "1.38.0"
DESCRIPTION = "backfill case_event.state_since"


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="cases", description=DESCRIPTION)

    async def run():
        await engine_finder().run_ddl(BACKFILL_STATE_SINCE)

    manager.add_raw(run)
    return manager
