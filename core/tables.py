from piccolo.columns import Integer, Text, Timestamptz, Varchar
from piccolo.table import Table


class IdempotencyRecord(Table, tablename="idempotency_record"):
    # sha256 of (scope, route, key): one unique column keeps the claim a single INSERT.
    slot = Varchar(length=64, unique=True)
    scope = Varchar(length=64)
    route = Varchar(length=200)
    request_hash = Varchar(length=64)
    status_code = Integer(null=True, default=None)
    response_body = Text(null=True, default=None)
    created_at = Timestamptz(index=True)


class RateCounter(Table, tablename="rate_counter"):
    bucket = Varchar(length=200, unique=True)
    window_start = Timestamptz()
    hits = Integer(default=0)


class VersionStamp(Table, tablename="version_stamp"):
    """Caches held in process memory (grids, the nearby index) compare their version with
    this row to learn that another process changed the data."""

    name = Varchar(length=100, unique=True)
    version = Integer(default=0)
