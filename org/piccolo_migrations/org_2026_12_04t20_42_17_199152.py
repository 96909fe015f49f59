from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine import engine_finder

ID = "2026-12-04T20:42:17:199152"
VERSION = "1.38.0"
DESCRIPTION = "mark seeded private-location codes"

# The national codes org/categories_seed.py marks private_location (as of this migration),
# so that a database seeded before the column existed gets them too. A migration of its
# own: Piccolo runs raw steps before the column additions of the same migration.
PRIVATE_CODES = ("E0101", "E0118", "E0502", "E0511", "E0513")


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="org", description=DESCRIPTION)

    async def mark_private_codes():
        codes = ", ".join(f"'{code}'" for code in PRIVATE_CODES)
        await engine_finder().run_ddl(
            f"UPDATE category SET private_location = true WHERE code IN ({codes})"
        )

    manager.add_raw(mark_private_codes)

    return manager
