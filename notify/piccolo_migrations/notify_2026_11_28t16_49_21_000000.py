"""Partial and composite indexes the outbox worker and the inbox query by (PostgreSQL);
Piccolo columns cannot declare them, so they are raw SQL in their own migration (raw steps
run before a migration's table steps)."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine import engine_finder

ID = "2026-11-28T16:49:21:000000"
VERSION = "1.38.0"
DESCRIPTION = "notify indexes"

STATEMENTS = (
    "CREATE INDEX IF NOT EXISTS notification_job_due ON notification_job (id) "
    "WHERE status = 'pending'",
    "CREATE INDEX IF NOT EXISTS notification_delivery_due ON notification_delivery "
    "(available_at, id) WHERE status IN ('pending', 'sending')",
    "CREATE INDEX IF NOT EXISTS inbox_message_owner ON inbox_message "
    "(owner_kind, owner_id, created_at DESC, id DESC)",
    "CREATE INDEX IF NOT EXISTS inbox_message_unread ON inbox_message "
    "(owner_kind, owner_id) WHERE read_at IS NULL",
)


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="notify", description=DESCRIPTION)

    async def create_indexes():
        engine = engine_finder()
        for statement in STATEMENTS:
            await engine.run_ddl(statement)

    async def drop_indexes():
        engine = engine_finder()
        for name in ("notification_job_due", "notification_delivery_due",
                     "inbox_message_owner", "inbox_message_unread"):
            await engine.run_ddl(f"DROP INDEX IF EXISTS {name}")

    manager.add_raw(create_indexes)
    manager.add_raw_backwards(drop_indexes)
    return manager
