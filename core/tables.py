from piccolo.columns import BigInt, Integer, Text, Timestamptz, Varchar
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


class RateBucket(Table, tablename="rate_bucket"):
    """One rate limit or counter (core.ratelimit). Times are integer microseconds since the
    epoch so that the one-statement decision does its arithmetic alike on both engines."""

    bucket = Varchar(length=200, unique=True)
    # A token bucket's theoretical arrival time, or a counter's window start.
    at_us = BigInt()
    hits = Integer(default=0)


class VersionStamp(Table, tablename="version_stamp"):
    """Caches held in process memory (grids, the nearby index) compare their version with
    this row to learn that another process changed the data."""

    name = Varchar(length=100, unique=True)
    version = Integer(default=0)


class PeriodicLease(Table, tablename="periodic_lease"):
    """The next period of one exclusive periodic task (core.periodic). A worker runs a period
    only by moving ``due_us`` past it in one conditional update, so however many workers
    there are, each period runs once. Wall-clock microseconds: the lease coordinates
    processes, it is not business time (tests move ``core.clock``, not this)."""

    name = Varchar(length=100, unique=True)
    due_us = BigInt(default=0)
    holder = Varchar(length=100, default="")
    runs = BigInt(default=0)
