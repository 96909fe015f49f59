from piccolo.columns import Integer, Text, Timestamptz, Varchar
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.table import Table


class AuditEntry(Table, tablename="audit_entry"):
    """One admin write: who did what to which object, and the object before and after.
    Append-only; ``before``/``after`` are JSON snapshots (null for a creation / a removal)."""

    actor_kind = Varchar(length=8)
    actor_id = Integer(index=True)
    actor_role = Varchar(length=16)
    action = Varchar(length=48, index=True)  # "grid.update", "api_client.rotate", ...
    target_kind = Varchar(length=32, index=True)
    target_id = Varchar(length=64, index=True)
    before = Text(null=True, default=None)
    after = Text(null=True, default=None)
    request_id = Varchar(length=64, default="")
    created_at = Timestamptz(default=TimestamptzNow(), index=True)
