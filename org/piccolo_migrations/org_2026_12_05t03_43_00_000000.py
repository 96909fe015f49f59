from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine import engine_finder

ID = "2026-12-05T03:43:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "default points per category class for installs seeded without them"

# org.points_defaults as of this migration: (accept, close) by priority, urgent as 1. Only
# while no category pays anything, so an admin's amounts are never overwritten.
UPGRADE_SQL = (
    "UPDATE category SET "
    "points_on_accept = CASE WHEN urgent OR default_priority <= 1 THEN 10 "
    "WHEN default_priority = 2 THEN 6 WHEN default_priority = 3 THEN 3 ELSE 2 END, "
    "points_on_close = CASE WHEN urgent OR default_priority <= 1 THEN 20 "
    "WHEN default_priority = 2 THEN 12 WHEN default_priority = 3 THEN 6 ELSE 4 END "
    "WHERE minor <> '' AND points_on_accept = 0 AND points_on_close = 0 "
    "AND NOT EXISTS (SELECT 1 FROM category c WHERE c.points_on_accept <> 0 "
    "OR c.points_on_close <> 0)"
)


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="org", description=DESCRIPTION)

    async def default_points():
        await engine_finder().run_ddl(UPGRADE_SQL)

    manager.add_raw(default_points)
    return manager
