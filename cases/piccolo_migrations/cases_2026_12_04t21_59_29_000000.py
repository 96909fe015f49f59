"""Cases filed before they carried their street and district get them from their grid."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine import engine_finder

ID = "2026-12-04T21:59:29:000000"
VERSION = "1.38.0"
DESCRIPTION = "case areas for existing cases"

BACKFILL = (
    "UPDATE case_file SET "
    "street_id = (SELECT CASE u.kind WHEN 'street' THEN u.id WHEN 'community' THEN u.parent END "
    "FROM grid g JOIN org_unit u ON u.id = g.area WHERE g.id = case_file.grid_id), "
    "district_id = (SELECT CASE u.kind WHEN 'district' THEN u.id WHEN 'street' THEN u.parent "
    "WHEN 'community' THEN p.parent END FROM grid g JOIN org_unit u ON u.id = g.area "
    "LEFT JOIN org_unit p ON p.id = u.parent WHERE g.id = case_file.grid_id) "
    "WHERE grid_id IS NOT NULL AND district_id IS NULL AND street_id IS NULL"
)


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="cases", description=DESCRIPTION)

    async def run():
        engine = engine_finder()
        # On a fresh database this app migrates before org's grid table exists; there are no
        # cases to backfill then, and the statement would not even parse.
        if await engine.run_ddl("SELECT id FROM case_file LIMIT 1"):
            await engine.run_ddl(BACKFILL)

    manager.add_raw(run)
    return manager
