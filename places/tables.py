"""Service points (公厕, 公园, 停车场, ...) and their kinds.

Places are never deleted, only marked ``deleted``: the nearby index of every process learns
about changes by reading rows whose ``revision`` is newer than the one it has, and a vanished
row could not tell it to drop the place.
"""

from piccolo.columns import BigInt, Boolean, DoublePrecision, Integer, Text, Timestamptz, Varchar
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.table import Table


class PlaceKind(Table, tablename="place_kinds"):
    # Plural: Piccolo names the index on place.kind "place_kind".

    code = Varchar(length=32, unique=True)
    name_zh = Varchar(length=50)
    name_en = Varchar(length=80, default="")
    # JSON list of the attribute names a place of this kind may carry (see places.kinds).
    attributes = Text(default="[]")
    sort_order = Integer(default=100)
    active = Boolean(default=True)
    created_at = Timestamptz(default=TimestamptzNow())


class Place(Table, tablename="place"):
    kind = Varchar(length=32, index=True)
    name = Varchar(length=200)
    address = Varchar(length=300, default="")
    lat = DoublePrecision()  # WGS-84
    lon = DoublePrecision()
    phone = Varchar(length=40, default="")
    # Opening hours in places.hours syntax ("24/7", "Mo-Fr 07:00-21:00; 2026-10-01 off");
    # empty when unknown.
    hours = Varchar(length=500, default="")
    attributes = Text(default="{}")  # JSON object, keys per kind
    status = Varchar(length=16, default="open")  # open | closed | maintenance
    photos = Text(default="[]")  # JSON list of media ids
    source = Varchar(length=100, default="")
    # The API client (a parking system) whose key may report this car park's free spaces;
    # no other key may.
    feed_client_id = Integer(null=True, default=None)
    # The "places" version stamp at the place's last change: processes refresh by revision.
    revision = BigInt(default=0, index=True)
    deleted = Boolean(default=False)
    created_at = Timestamptz(default=TimestamptzNow())
    updated_at = Timestamptz(default=TimestamptzNow())
