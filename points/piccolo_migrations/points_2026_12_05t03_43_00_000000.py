from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine import engine_finder

ID = "2026-12-05T03:43:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "reason codes of the entries written before them"

# A migration of its own: Piccolo runs raw steps before the column additions of the same
# migration. The statement only touches rows without a code (see points.reasons).
BACKFILL_SQL = (
    "UPDATE points_entry SET code = CASE "
    "WHEN kind = 'earn' AND reference LIKE 'case:%:accept' THEN 'case_accepted' "
    "WHEN kind = 'earn' AND reference LIKE 'case:%:close' THEN 'case_fixed' "
    "WHEN kind = 'earn' AND reference LIKE 'case:%:rate' THEN 'case_rated' "
    "WHEN kind = 'adjust' AND reference LIKE 'case:%:reversal' THEN 'case_reversed' "
    "WHEN kind = 'adjust' AND reference LIKE 'manual:%' THEN 'admin_adjustment' "
    "WHEN kind = 'redeem' THEN 'redeemed' "
    "WHEN kind = 'refund' THEN 'redemption_cancelled' "
    "WHEN kind = 'expire' THEN 'expired' "
    "ELSE 'legacy' END, "
    "reason = CASE WHEN kind = 'earn' AND reason LIKE '%(daily cap reached)' THEN 'daily_cap' "
    "WHEN kind = 'earn' OR kind IN ('refund', 'expire') THEN '' "
    "WHEN kind = 'adjust' AND reference LIKE 'case:%:reversal' THEN '' "
    "ELSE reason END "
    "WHERE code = ''"
)


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="points", description=DESCRIPTION)

    async def backfill_codes():
        await engine_finder().run_ddl(BACKFILL_SQL)

    manager.add_raw(backfill_codes)
    return manager
