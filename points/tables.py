from piccolo.columns import Integer, Timestamptz, Varchar
from piccolo.table import Table

from points.reasons import BACKFILL_SQL


class PointsEntry(Table, tablename="points_entry"):
    """The points ledger: append-only, never updated or deleted. A citizen's balance is the
    sum of their entries; there is no cached balance to drift from it.

    ``slot`` is "{kind}|{reference}" and unique, so every award, debit and refund is written
    at most once however often (and however concurrently) it is attempted."""

    account_id = Integer(index=True)  # the citizen's id
    amount = Integer()  # signed: earn/refund/positive adjust > 0; redeem/expire < 0
    kind = Varchar(length=8)  # earn, redeem, refund, expire, adjust
    reference = Varchar(length=120)  # "case:42:accept", "redemption:r_...", "manual:..."
    slot = Varchar(length=130, unique=True)
    # What the entry is about, for grouping: "case:42", "redemption:r_...".
    subject = Varchar(length=60, default="", index=True)
    # Why: a stable code (points.reasons) and a note of free text (an admin's words, the
    # reward's name); clients get a localized description built from both.
    code = Varchar(length=32, default="")
    reason = Varchar(length=500, default="")  # the note
    # Earned points (and positive adjustments) expire; null: never, or not a lot of points.
    expires_at = Timestamptz(null=True, default=None, index=True)
    # Who wrote it: the system for rules, a staff member for manual adjustments (audit).
    actor_kind = Varchar(length=8, default="system")
    actor_id = Integer(default=0)
    created_at = Timestamptz(index=True)

    # SQLite installs from before reason codes (PostgreSQL: the points migration).
    raw_upgrades = (BACKFILL_SQL,)
