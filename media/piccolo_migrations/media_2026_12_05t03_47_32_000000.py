"""Expression indexes on the five 24-bit pieces of a photo's crop hash (media.similar): the
check for turned, mirrored and cropped copies finds its candidates through them. Apart from
the migration adding the column: Piccolo runs a migration's raw steps before its columns."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine import engine_finder

ID = "2026-12-05T03:47:32:000000"
VERSION = "1.38.0"
DESCRIPTION = "crop hash piece indexes"

# As in media.similar.CROP_INDEX_STATEMENTS at the time of this migration.
STATEMENTS = tuple(
    f"CREATE INDEX IF NOT EXISTS media_crop_p{k} ON media (substr(crop_hash, {6 * k + 1}, 6))"
    for k in range(5)
)


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="media", description=DESCRIPTION)

    async def create_indexes():
        engine = engine_finder()
        for statement in STATEMENTS:
            await engine.run_ddl(statement)

    async def drop_indexes():
        engine = engine_finder()
        for k in range(5):
            await engine.run_ddl(f"DROP INDEX IF EXISTS media_crop_p{k}")

    manager.add_raw(create_indexes)
    manager.add_raw_backwards(drop_indexes)
    return manager
