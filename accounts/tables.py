from piccolo.apps.user.tables import BaseUser
from piccolo.columns import Boolean, ForeignKey, Integer, Timestamptz, Varchar
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.table import Table


class Citizen(Table, tablename="citizen"):
    public_id = Varchar(length=32, unique=True)
    phone = Varchar(length=20, null=True, default=None, unique=True)
    wechat_openid = Varchar(length=64, null=True, default=None, unique=True)
    wechat_unionid = Varchar(length=64, null=True, default=None, index=True)
    # Needed to decrypt data the mini-program hands us later; never sent to a client.
    wechat_session_key = Varchar(length=64, null=True, default=None, secret=True)
    nickname = Varchar(length=64, default="")
    locale = Varchar(length=8, default="zh-CN")
    disabled = Boolean(default=False)
    # Set when the citizen closed their account (注销): the row stays, emptied of personal
    # data, because the points ledger and case events still name its id.
    erased_at = Timestamptz(null=True, default=None)
    # The citizen chose not to appear on the reporters' leaderboard (points.leaderboard).
    leaderboard_opt_out = Boolean(default=False)
    created_at = Timestamptz(default=TimestamptzNow())
    last_seen_at = Timestamptz(default=TimestamptzNow())


class Staff(Table, tablename="staff"):
    """A staff member's work profile; the login (username, password hash, active) is
    Piccolo's BaseUser so piccolo-admin can use the same accounts."""

    user = ForeignKey(references=BaseUser, unique=True)
    # What tokens and other systems call the account (the integer id stays inside). Null
    # only for accounts made before it existed, until their next sign-in; unique through
    # raw_indexes, since SQLite cannot add a UNIQUE column to an existing table.
    public_id = Varchar(length=32, null=True, default=None)
    role = Varchar(length=16, index=True)
    org_unit_id = Integer(null=True, default=None, index=True)
    display_name = Varchar(length=64, default="")
    phone = Varchar(length=20, null=True, default=None)
    locale = Varchar(length=8, default="zh-CN")
    created_at = Timestamptz(default=TimestamptzNow())

    # PostgreSQL gets these from a migration, SQLite from core.schema. Usernames are stored
    # lower-cased; the index on lower() keeps a mixed-case twin out whatever writes it.
    raw_indexes = (
        "CREATE UNIQUE INDEX IF NOT EXISTS staff_public_id ON staff (public_id)",
        "CREATE UNIQUE INDEX IF NOT EXISTS piccolo_user_username_lower "
        "ON piccolo_user (lower(username))",
    )


class RefreshToken(Table, tablename="refresh_token"):
    token_hash = Varchar(length=64, unique=True)
    family = Varchar(length=40, index=True)
    audience = Varchar(length=8)
    subject_id = Integer(index=True)
    role = Varchar(length=16)
    created_at = Timestamptz(default=TimestamptzNow())
    expires_at = Timestamptz()
    used_at = Timestamptz(null=True, default=None)
    revoked_at = Timestamptz(null=True, default=None)


class SmsChallenge(Table, tablename="sms_challenge"):
    phone = Varchar(length=20, index=True)
    code_hash = Varchar(length=64)
    ip = Varchar(length=64, index=True)
    created_at = Timestamptz(default=TimestamptzNow(), index=True)
    expires_at = Timestamptz()
    attempts = Integer(default=0)
    consumed_at = Timestamptz(null=True, default=None)
    # Set when the vendor accepted the text. A row without it is a reservation whose send is
    # under way (or whose process died mid-send): it counts towards the caps all the same.
    sent_at = Timestamptz(null=True, default=None)


class Device(Table, tablename="device"):
    """A phone or mini-program that can receive pushes. One token belongs to one owner: a
    phone handed to another user moves with the new sign-in."""

    owner_kind = Varchar(length=8)
    owner_id = Integer(index=True)
    platform = Varchar(length=8)  # ios, android, harmony
    # Android only: whose push service the token belongs to (huawei, honor, xiaomi, oppo,
    # vivo, jpush, fcm); "" on rows older than vendors, which are FCM tokens.
    vendor = Varchar(length=12, default="")
    # platform + token, so an APNs and an FCM token can never collide.
    platform_token = Varchar(length=600, unique=True)
    token = Varchar(length=512)
    app_version = Varchar(length=32, default="")
    locale = Varchar(length=8, default="zh-CN")
    created_at = Timestamptz(default=TimestamptzNow())
    last_seen_at = Timestamptz(default=TimestamptzNow())


class ApiClient(Table, tablename="api_client"):
    """A machine allowed to call /api/intake: an AI camera platform, an IoT gateway, a
    parking system. Only a hash of its key is kept; the key is shown once at creation."""

    name = Varchar(length=64, unique=True)
    kind = Varchar(length=16)  # camera, sensor, parking, system
    key_hash = Varchar(length=64, unique=True)
    key_hint = Varchar(length=12)
    trusted = Boolean(default=False)
    active = Boolean(default=True)
    created_at = Timestamptz(default=TimestamptzNow())
    last_used_at = Timestamptz(null=True, default=None)


class LocationConsent(Table, tablename="location_consent"):
    """A citizen's answer to the app's location notice, one row per answer (append-only):
    which text they saw (its version), yes or no, and when (PIPL asks for proof of consent)."""

    citizen_id = Integer(index=True)
    version = Varchar(length=32)
    granted = Boolean()
    recorded_at = Timestamptz(default=TimestamptzNow())
