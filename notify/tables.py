from piccolo.columns import Boolean, Integer, Text, Timestamptz, Varchar
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.table import Table


class NotificationJob(Table, tablename="notification_job"):
    """The outbox: written in the same transaction as the change that causes it, delivered
    later by a worker. ``dedupe_key`` makes "once per level" reminders a unique constraint.
    A worker turns each job into an inbox message and one delivery per channel and device
    (status pending -> done), in one transaction, so a crash can neither lose nor split it."""

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
    last_error = Text(default="")


class NotificationDelivery(Table, tablename="notification_delivery"):
    """One push to one device (APNs, FCM) or one subscribe message (WeChat). Status:
    pending -> sending (claimed; ``available_at`` is then the end of the lease) -> sent, or
    back to pending with a later ``available_at`` (retry), or dead (given up: visible to
    admins), dead_token (the provider said the token is gone), refused (WeChat 43101)."""

    job_id = Integer(index=True)
    channel = Varchar(length=8)  # apns, fcm, wechat
    target = Varchar(length=512, index=True)  # device token or openid
    device_id = Integer(null=True, default=None)
    recipient_kind = Varchar(length=8)
    recipient_id = Integer()
    template = Varchar(length=40)
    payload = Text(default="{}")
    urgent = Integer(default=0)
    status = Varchar(length=12, default="pending")
    attempts = Integer(default=0)
    available_at = Timestamptz(default=TimestamptzNow())
    created_at = Timestamptz(default=TimestamptzNow())
    sent_at = Timestamptz(null=True, default=None)
    last_error = Text(default="")


class InboxMessage(Table, tablename="inbox_message"):
    """The in-app inbox: every notification, whatever the channels did. Rendered when read,
    in the reader's language."""

    owner_kind = Varchar(length=8)
    owner_id = Integer(index=True)
    job_id = Integer(unique=True)
    template = Varchar(length=40)
    params = Text(default="{}")
    case_id = Integer(null=True, default=None)
    created_at = Timestamptz(default=TimestamptzNow())
    read_at = Timestamptz(null=True, default=None)


class NotificationPreference(Table, tablename="notification_preference"):
    owner_kind = Varchar(length=8)
    owner_id = Integer()
    owner = Varchar(length=24, unique=True)  # "citizen:12", one row per person
    muted = Varchar(length=40, default="")  # comma-separated channels: push, wechat
    quiet_start = Varchar(length=5, null=True, default=None)  # "22:00", city time
    quiet_end = Varchar(length=5, null=True, default=None)
    updated_at = Timestamptz(default=TimestamptzNow())


class WeChatSubscription(Table, tablename="wechat_subscription"):
    """One-time subscribe message grants: each "allow" in wx.requestSubscribeMessage lets us
    send that template once. ``remaining`` goes down as deliveries are planned; WeChat's 43101
    sets it to 0 (spent, or the user turned it off)."""

    citizen_id = Integer()
    template_id = Varchar(length=64)
    key = Varchar(length=90, unique=True)  # "{citizen_id}:{template_id}"
    remaining = Integer(default=0)
    updated_at = Timestamptz(default=TimestamptzNow())


class ProviderToken(Table, tablename="provider_token"):
    """Access tokens of providers shared by every process (WeChat's stable_token)."""

    name = Varchar(length=40, unique=True)
    token = Text(secret=True)
    expires_at = Timestamptz()
    updated_at = Timestamptz(default=TimestamptzNow())


class WeChatUrlLink(Table, tablename="wechat_url_link"):
    """URL Links (wxa/generate_urllink) that open a mini-program page from outside WeChat's
    own QR scanner, one per signpost's "report here" button, kept until shortly before they
    expire (WeChat caps their life at 30 days and their number per day)."""

    key = Varchar(length=64, unique=True)  # "report:{signpost code}"
    url = Varchar(length=256)
    expires_at = Timestamptz()
    created_at = Timestamptz(default=TimestamptzNow())


class WebhookSubscriber(Table, tablename="webhook_subscriber"):
    """Another system receiving case events (a 12345 platform). ``client_id``: the API
    client it belongs to; then it hears of the cases that client filed, as they progress
    (its own requests), whatever else it subscribed to."""

    name = Varchar(length=100)
    url = Varchar(length=500)
    secret = Varchar(length=100)  # signs each delivery: kept to sign, shown once
    event_types = Text(default="[]")  # e.g. ["case.accept", "case.close"]; [] = all
    client_id = Integer(null=True, default=None, index=True)
    active = Boolean(default=True)
    created_at = Timestamptz(default=TimestamptzNow())
