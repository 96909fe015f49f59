from piccolo.columns import Integer, Text, Timestamptz, Varchar
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


class PointsHold(Table, tablename="points_hold"):
    """An award written down but not paid: the report's photos need a person's look first
    (cases.evidence) or the account is under review for farming. ``reference`` is the award's
    ("case:42:accept"), unique; released, it is paid under the same reference, so a hold
    and its release cannot both pay however they interleave."""

    account_id = Integer(index=True)
    subject = Varchar(length=60, index=True)  # "case:42"
    reference = Varchar(length=120, unique=True)
    stage = Varchar(length=12)  # accept, close, rate
    amount = Integer()  # what the rule would have paid
    reason = Varchar(length=20)  # evidence | review
    state = Varchar(length=10, default="held", index=True)  # held, released, forfeited
    created_at = Timestamptz()
    decided_at = Timestamptz(null=True, default=None)
    decided_by_kind = Varchar(length=8, default="")
    decided_by_id = Integer(default=0)


class PointsSignal(Table, tablename="points_signal"):
    """A trace that links accounts: a device token or an IP range (``key``, hashed or as a
    network) seen with ``account_id``. Many accounts on one key flag them all for review."""

    kind = Varchar(length=12)  # device, ip_range
    key = Varchar(length=64)
    account_id = Integer()
    created_at = Timestamptz(index=True)

    # The count per key reads this index only (PostgreSQL from a migration, SQLite from
    # core.schema).
    raw_indexes = (
        "CREATE INDEX IF NOT EXISTS points_signal_key ON points_signal (kind, key, created_at)",
    )


class PointsReview(Table, tablename="points_review"):
    """An account flagged for farming (points.review): its awards are held while open; an
    admin clears it (the held awards are paid) or confirms it (they are forfeited)."""

    account_id = Integer(unique=True)
    state = Varchar(length=10, default="open", index=True)  # open, cleared, confirmed
    signals = Text(default="[]")  # JSON: [{"signal": "...", ...}], the reasons, in order
    opened_at = Timestamptz(index=True)
    decided_at = Timestamptz(null=True, default=None)
    decided_by_kind = Varchar(length=8, default="")
    decided_by_id = Integer(default=0)
    note = Varchar(length=500, default="")
