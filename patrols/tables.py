"""Patrol duties, patrol sessions and their GPS fixes.

Staff and grids live in other packages, so their ids are plain integers here. A fix is
unique per (patrol, device time) through the derived ``slot`` column: a phone that resends a
batch after a lost response inserts nothing twice, without a read before the write.
"""

from piccolo.columns import (
    BigInt,
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


class PatrolDuty(Table, tablename="patrol_duty"):
    """An admin's order: patrol this grid in this shift window. Windows are absolute UTC
    instants, so a night shift that crosses midnight is one row."""

    staff_id = Integer(index=True)
    grid_id = Integer(index=True)
    starts_at = Timestamptz(index=True)
    ends_at = Timestamptz(index=True)
    note = Varchar(length=200, default="")
    created_by = Integer(default=0)
    created_at = Timestamptz(default=TimestamptzNow())


class Patrol(Table, tablename="patrol"):
    public_id = Varchar(length=24, unique=True)
    staff_id = Integer(index=True)
    state = Varchar(length=8, index=True)  # active | ended
    # Server times, and the phone's own clock for apps that replay an offline queue.
    started_at = Timestamptz(index=True)
    started_occurred_at = Timestamptz(null=True, default=None)
    ended_at = Timestamptz(null=True, default=None, index=True)
    ended_occurred_at = Timestamptz(null=True, default=None)
    start_lat = DoublePrecision(null=True, default=None)
    start_lon = DoublePrecision(null=True, default=None)
    fix_count = Integer(default=0)
    # Filled when the patrol ends: the summary as JSON, and the area within 30 m of the
    # filtered track (GeoJSON, WGS-84), which period statistics union without the fixes.
    summary = Text(default="")
    covered = Text(default="")
    distance_m = DoublePrecision(default=0.0)
    updated_at = Timestamptz(default=TimestamptzNow())


class PatrolFix(Table, tablename="patrol_fix"):
    patrol = ForeignKey(references=Patrol, on_delete=OnDelete.cascade, index=True)
    t_ms = BigInt()  # device time, milliseconds since the epoch (UTC)
    lat = DoublePrecision()  # WGS-84
    lon = DoublePrecision()
    accuracy = DoublePrecision(null=True, default=None)  # metres, as the phone reports it
    slot = Varchar(length=40, unique=True)  # "{patrol_id}:{t_ms}"
