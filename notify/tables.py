from piccolo.columns import Integer, Text, Timestamptz, Varchar
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.table import Table


class NotificationJob(Table, tablename="notification_job"):
    """The outbox: written in the same transaction as the change that causes it, delivered
    later by a worker. ``dedupe_key`` makes "once per level" reminders a unique constraint."""

    recipient_kind = Varchar(length=8)  # citizen, staff
    recipient_id = Integer(index=True)
    template = Varchar(length=40)
    params = Text(default="{}")
    case_id = Integer(null=True, default=None, index=True)
    urgent = Integer(default=0)
    dedupe_key = Varchar(length=120, null=True, default=None, unique=True)
    status = Varchar(length=12, default="pending", index=True)
    attempts = Integer(default=0)
    available_at = Timestamptz(default=TimestamptzNow(), index=True)
    created_at = Timestamptz(default=TimestamptzNow())
