"""QR signposts at intersections and park gates, their scans and damage reports."""

from piccolo.columns import (
    Date,
    DoublePrecision,
    ForeignKey,
    Integer,
    Text,
    Timestamptz,
    Varchar,
)
from piccolo.columns.base import OnDelete
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.table import Table


class Signpost(Table, tablename="signpost"):
    code = Varchar(length=16, unique=True)  # serial + truncated HMAC, see qr.codes
    name = Varchar(length=200)
    kind = Varchar(length=32, default="intersection")
    lat = DoublePrecision()  # WGS-84
    lon = DoublePrecision()
    # Grids live in org; a plain id and code, filled from org.grids.locate when not given.
    grid_id = Integer(null=True, default=None)
    grid_code = Varchar(length=32, default="")
    status = Varchar(length=16, default="active")  # active | damaged | removed
    installed_on = Date(null=True, default=None)
    created_at = Timestamptz(default=TimestamptzNow())
    updated_at = Timestamptz(default=TimestamptzNow())

    # Every write moves the "signposts" version stamp (qr.cache); on PostgreSQL a statement
    # trigger made by the migration, on SQLite (no statement triggers) one per row.
    raw_upgrades = tuple(
        f"CREATE TRIGGER IF NOT EXISTS signpost_stamp_{event.lower()} AFTER {event} ON signpost "  # noqa: S608
        "BEGIN INSERT INTO version_stamp (name, version) "
        "VALUES ('signposts', abs(random() % 1073741824) + 1) "
        "ON CONFLICT (name) DO UPDATE SET version = version + 1; END"
        for event in ("INSERT", "UPDATE", "DELETE")
    )


class SignpostScan(Table, tablename="signpost_scan"):
    """One scan: when, which sign, app or web. Nothing about the person is kept."""

    signpost = ForeignKey(references=Signpost, on_delete=OnDelete.cascade, index=True)
    channel = Varchar(length=8)  # app | web
    scanned_at = Timestamptz(default=TimestamptzNow(), index=True)


class SignpostDamage(Table, tablename="signpost_damage"):
    signpost = ForeignKey(references=Signpost, on_delete=OnDelete.cascade, index=True)
    note = Text(default="")
    channel = Varchar(length=8)
    reported_at = Timestamptz(default=TimestamptzNow(), index=True)
