"""Expression indexes on the four 16-bit quarters of a photo's perceptual hash
(media.similar): the duplicate-photo check finds its candidates through them."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine import engine_finder

ID = "2026-11-29T05:50:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "phash quarter indexes"

STATEMENTS = tuple(
    f"CREATE INDEX IF NOT EXISTS media_phash_q{k} ON media (substr(phash, {4 * k + 1}, 4))"
    for k in range(4)
)


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="media", description=DESCRIPTION)

    async def create_indexes():
        engine = engine_finder()
        for statement in STATEMENTS:
            await engine.run_ddl(statement)

    async def drop_indexes():
        engine = engine_finder()
        for k in range(4):
            await engine.run_ddl(f"DROP INDEX IF EXISTS media_phash_q{k}")

    manager.add_raw(create_indexes)
    manager.add_raw_backwards(drop_indexes)
    return manager
