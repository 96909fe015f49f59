"""Every write to ``signpost`` moves the "signposts" version stamp in the writer's own
transaction: the scan's in-process cache (qr.cache) follows edits from any process and any
writer (admin API, raw-table admin UI, imports). A new stamp starts at a random number, as
the others do, so a process cannot mistake a fresh stamp for the one it cached at."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine import engine_finder

ID = "2026-12-05T03:50:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "signpost writes move the signposts version stamp"

FORWARD = (
    "CREATE OR REPLACE FUNCTION signpost_stamp() RETURNS trigger LANGUAGE plpgsql AS $$ "
    "BEGIN "
    "INSERT INTO version_stamp (name, version) "
    "VALUES ('signposts', floor(random() * 1073741824)::integer + 1) "
    "ON CONFLICT (name) DO UPDATE SET version = version_stamp.version + 1; "
    "RETURN NULL; "
    "END $$",
    "DROP TRIGGER IF EXISTS signpost_stamp ON signpost",
    "CREATE TRIGGER signpost_stamp AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON signpost "
    "FOR EACH STATEMENT EXECUTE FUNCTION signpost_stamp()",
)


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="qr", description=DESCRIPTION)

    async def run():
        engine = engine_finder()
        for statement in FORWARD:
            await engine.run_ddl(statement)

    async def undo():
        engine = engine_finder()
        await engine.run_ddl("DROP TRIGGER IF EXISTS signpost_stamp ON signpost")
        await engine.run_ddl("DROP FUNCTION IF EXISTS signpost_stamp()")

    manager.add_raw(run)
    manager.add_raw_backwards(undo)
    return manager
