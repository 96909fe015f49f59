"""Staff public ids for existing accounts, and case-insensitive usernames. (Raw statements
run before a migration's own column changes, so the column came in the previous one.)"""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine import engine_finder

ID = "2026-12-04T21:00:01:000000"
VERSION = "1.38.0"
DESCRIPTION = "staff public ids, case-insensitive usernames"

FORWARD = (
    # Existing accounts get a public id now (md5 hex is within the id alphabet).
    "UPDATE staff SET public_id = 's_' || substr(md5(random()::text || id::text), 1, 16) "
    "WHERE public_id IS NULL",
    "CREATE UNIQUE INDEX IF NOT EXISTS staff_public_id ON staff (public_id)",
    # Lower-case every username; a mixed-case twin of an existing one keeps its id as a suffix.
    "UPDATE piccolo_user u SET username = lower(u.username) || "
    "CASE WHEN EXISTS (SELECT 1 FROM piccolo_user o WHERE lower(o.username) = lower(u.username) "
    "AND o.id < u.id) THEN '-' || u.id ELSE '' END WHERE u.username <> lower(u.username) "
    "OR EXISTS (SELECT 1 FROM piccolo_user o WHERE lower(o.username) = lower(u.username) "
    "AND o.id < u.id)",
    "CREATE UNIQUE INDEX IF NOT EXISTS piccolo_user_username_lower "
    "ON piccolo_user (lower(username))",
)


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="accounts", description=DESCRIPTION)
    async def run():
        engine = engine_finder()
        for statement in FORWARD:
            await engine.run_ddl(statement)

    async def undo():
        engine = engine_finder()
        await engine.run_ddl("DROP INDEX IF EXISTS piccolo_user_username_lower")
        await engine.run_ddl("DROP INDEX IF EXISTS staff_public_id")

    manager.add_raw(run)
    manager.add_raw_backwards(undo)
    return manager
