"""The evaluation's lookups of one kind of event in a window (hand-backs, verifications,
checks): an index on (action, created_at) of case_event."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine import engine_finder

from cases.tables import EVENT_INDEXES

ID = "2026-12-05T00:40:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "case_event (action, created_at) index"


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="cases", description=DESCRIPTION)

    async def run():
        for statement in EVENT_INDEXES:
            await engine_finder().run_ddl(statement)

    manager.add_raw(run)
    return manager
