from piccolo.columns import (
    Boolean,
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

from cases.stage_times import backfill_sql

BACKFILL_AREAS = (
    "UPDATE case_file SET "
    "street_id = (SELECT CASE u.kind WHEN 'street' THEN u.id WHEN 'community' THEN u.parent END "
    "FROM grid g JOIN org_unit u ON u.id = g.area WHERE g.id = case_file.grid_id), "
    "district_id = (SELECT CASE u.kind WHEN 'district' THEN u.id WHEN 'street' THEN u.parent "
    "WHEN 'community' THEN p.parent END FROM grid g JOIN org_unit u ON u.id = g.area "
    "LEFT JOIN org_unit p ON p.id = u.parent WHERE g.id = case_file.grid_id) "
    "WHERE grid_id IS NOT NULL AND district_id IS NULL AND street_id IS NULL"
)


class Case(Table, tablename="case_file"):
    """A reported problem and where it stands. Ids of other packages' rows (grid, unit,
    reporter) are plain integers: a package touches its own tables only."""

    public_id = Varchar(length=24, unique=True)
    number = Varchar(length=20, unique=True)
    category_code = Varchar(length=8, index=True)
    description = Text(default="")
    lat = DoublePrecision(index=True)
    lon = DoublePrecision()
    address = Varchar(length=200, default="")
    grid_id = Integer(null=True, default=None, index=True)
    # The street and district the grid lies in when the case was filed: what command
    # centres' scopes and area statistics filter on (a later grid edit does not move it).
    street_id = Integer(null=True, default=None, index=True)
    district_id = Integer(null=True, default=None, index=True)
    unit_id = Integer(null=True, default=None, index=True)
    # Dispatch to a person (一键到人): the handler of the unit it is assigned to, and when
    # the unit or that person acknowledged it (签收).
    assignee_id = Integer(null=True, default=None, index=True)
    acknowledged_at = Timestamptz(null=True, default=None)
    acknowledged_by = Integer(null=True, default=None)
    state = Varchar(length=16, index=True)
    priority = Integer(default=3)
    source = Varchar(length=16, index=True)
    reporter_kind = Varchar(length=8, null=True, default=None)
    reporter_id = Integer(null=True, default=None, index=True)
    anonymous = Boolean(default=False)
    # Moderated by staff for the public (cases.visibility): when set, the public sees these
    # instead of the reporter's own words. None: not moderated.
    public_description = Text(null=True, default=None)
    public_address = Varchar(length=200, null=True, default=None)
    # "{source id}:{external id}" of machine events, so a repeated event finds its case.
    external_key = Varchar(length=160, null=True, default=None, unique=True)
    merged_into_id = Integer(null=True, default=None)
    flags = Text(default="[]")
    rework_count = Integer(default=0)
    reopen_count = Integer(default=0)
    # Times a unit handed it back as not theirs (转办): counted against the units.
    transfer_count = Integer(default=0)
    # SLA: the deadline and the moment 80 % of the working time is used, fixed at dispatch;
    # sla_level is the last level notified (0 none, 1 yellow reminder, 2 red escalation).
    deadline_at = Timestamptz(null=True, default=None, index=True)
    sla_yellow_at = Timestamptz(null=True, default=None, index=True)
    sla_level = Integer(default=0)
    overdue = Boolean(default=False)
    rating = Integer(null=True, default=None)
    rating_comment = Varchar(length=500, default="")
    reported_at = Timestamptz(index=True)
    occurred_at = Timestamptz(null=True, default=None)
    accepted_at = Timestamptz(null=True, default=None)
    dispatched_at = Timestamptz(null=True, default=None)
    resolved_at = Timestamptz(null=True, default=None)
    closed_at = Timestamptz(null=True, default=None)
    ended_at = Timestamptz(null=True, default=None)
    updated_at = Timestamptz(default=TimestamptzNow())
    # When the case entered its state, and the seconds of its finished visits per stage
    # (cases.stage_times), kept by every move. Set when the case is filed; null only on rows
    # older checkouts wrote (filled by the upgrade; SQLite cannot add a column defaulting
    # to now).
    state_entered_at = Timestamptz(null=True, default=None)
    accept_seconds = DoublePrecision(default=0)
    dispatch_seconds = DoublePrecision(default=0)
    resolve_seconds = DoublePrecision(default=0)
    close_seconds = DoublePrecision(default=0)

    # Data older checkouts wrote without these columns (PostgreSQL: migrations).
    raw_upgrades = (BACKFILL_AREAS, *backfill_sql(sqlite=True))


# An event's state_since from the case and its history: the filing for a report, the
# case's resolution when it came before the event, else the last resolve event before it
# (the case was reworked or reopened and resolved again since).
BACKFILL_STATE_SINCE = """UPDATE case_event SET state_since = CASE case_event.from_state
  WHEN 'reported' THEN (SELECT c.reported_at FROM case_file c WHERE c.id = case_event."case")
  ELSE COALESCE((SELECT c.resolved_at FROM case_file c WHERE c.id = case_event."case"
      AND c.resolved_at <= case_event.created_at),
    (SELECT MAX(r.created_at) FROM case_event r WHERE r."case" = case_event."case"
      AND r.action = 'resolve' AND r.id < case_event.id)) END
WHERE case_event.state_since IS NULL AND case_event.from_state IN ('reported', 'resolved')"""


# What the evaluation looks up by kind and time (hand-backs, verifications, checks in a
# window); PostgreSQL gets it from a migration, SQLite from core.schema.
EVENT_INDEXES = (
    "CREATE INDEX IF NOT EXISTS case_event_action_created ON case_event (action, created_at)",
)


class CaseEvent(Table, tablename="case_event"):
    """Append-only history: every change of a case, who made it and when."""

    case = ForeignKey(references=Case, on_delete=OnDelete.cascade, index=True)
    action = Varchar(length=24)
    from_state = Varchar(length=16, null=True, default=None)
    to_state = Varchar(length=16)
    actor_kind = Varchar(length=8)
    actor_id = Integer(default=0)
    note = Text(default="")
    media_ids = Text(default="[]")
    data = Text(default="{}")
    created_at = Timestamptz(default=TimestamptzNow(), index=True)
    occurred_at = Timestamptz(null=True, default=None)
    # When the case entered from_state, for the states whose next step has a time limit
    # (reported: verification, resolved: check); the evaluation times the step from it
    # without going back to the case or its history.
    state_since = Timestamptz(null=True, default=None)

    raw_indexes = EVENT_INDEXES
    # Events older checkouts wrote without state_since (PostgreSQL: a migration).
    raw_upgrades = (BACKFILL_STATE_SINCE,)


class MachineEvent(Table, tablename="machine_event"):
    """Each camera detection or sensor alarm a case was filed or counted from: repeats of one
    device's detection join the case (cases.machines), and a sensor's "cleared" finds it."""

    case = ForeignKey(references=Case, on_delete=OnDelete.cascade, index=True)
    client_id = Integer(index=True)
    # "{source name}:{external id}": a repeated event is the same row.
    external_key = Varchar(length=160, unique=True)
    device_id = Varchar(length=64, null=True, default=None, index=True)
    category_code = Varchar(length=8)
    lat = DoublePrecision()
    lon = DoublePrecision()
    confidence = DoublePrecision(null=True, default=None)
    reading_value = DoublePrecision(null=True, default=None)
    reading_unit = Varchar(length=16, null=True, default=None)
    reading_threshold = DoublePrecision(null=True, default=None)
    snapshot_id = Varchar(length=40, null=True, default=None)
    detected_at = Timestamptz(null=True, default=None)
    received_at = Timestamptz(default=TimestamptzNow(), index=True)
    cleared_at = Timestamptz(null=True, default=None)


class CaseMedia(Table, tablename="case_media"):
    case = ForeignKey(references=Case, on_delete=OnDelete.cascade, index=True)
    media_id = Varchar(length=40, unique=True)  # the media package's public id
    role = Varchar(length=12)  # before, after, evidence
    created_at = Timestamptz(default=TimestamptzNow())


class CaseFollower(Table, tablename="case_follower"):
    case = ForeignKey(references=Case, on_delete=OnDelete.cascade, index=True)
    citizen_id = Integer(index=True)
    slot = Varchar(length=40, unique=True)  # "{case_id}:{citizen_id}"
    created_at = Timestamptz(default=TimestamptzNow())


class HotlineCall(Table, tablename="hotline_call"):
    """A case a call-taker (12345 接线员) filed for a caller: who called. The number is the
    caller's, shown in full only to the call-taker who took the call (cases.hotline)."""

    case = ForeignKey(references=Case, on_delete=OnDelete.cascade, unique=True)
    caller_name = Varchar(length=40, default="")
    caller_phone = Varchar(length=20, null=True, default=None)  # E.164
    # Who took it: a call-taker (staff), or the city system that sent it (machine: an
    # Open311 client, whose request carries its caller's fields).
    taker_kind = Varchar(length=8, default="staff")
    taker_id = Integer(index=True)
    # What else the sender gave of the caller and the request (Open311: email, device_id,
    # account_id, media_url), as JSON: kept, never fetched or shown outside staff.
    details = Text(default="{}")
    created_at = Timestamptz(default=TimestamptzNow())


class CaseRequest(Table, tablename="case_request"):
    """A handler's request that an operator must approve: more time (延期) or handing the
    case back (回退)."""

    case = ForeignKey(references=Case, on_delete=OnDelete.cascade, index=True)
    kind = Varchar(length=12)  # extension, return
    status = Varchar(length=12, default="pending", index=True)
    reason = Text(default="")
    hours = Integer(null=True, default=None)
    requested_by = Integer()
    decided_by = Integer(null=True, default=None)
    created_at = Timestamptz(default=TimestamptzNow())
    decided_at = Timestamptz(null=True, default=None)


class CaseAssist(Table, tablename="case_assist"):
    """An assisting unit of a co-handled case (协办). It reports its part; the lead unit (the
    case's unit) resolves once every assisting unit has."""

    case = ForeignKey(references=Case, on_delete=OnDelete.cascade, index=True)
    unit_id = Integer(index=True)
    slot = Varchar(length=40, unique=True)  # "{case_id}:{unit_id}"
    note = Text(default="")
    reported_by = Integer(null=True, default=None)
    reported_at = Timestamptz(null=True, default=None)
    created_at = Timestamptz(default=TimestamptzNow())


class SupervisionOrder(Table, tablename="supervision_order"):
    """督办: a higher command centre orders a lower unit (a centre below it, or the handling
    unit) to see a case through by a deadline. Open until the case ends."""

    case = ForeignKey(references=Case, on_delete=OnDelete.cascade, index=True)
    from_unit_id = Integer(index=True)  # the issuing centre
    to_unit_id = Integer(index=True)
    note = Text(default="")
    deadline_at = Timestamptz()
    issued_by = Integer()
    created_at = Timestamptz(default=TimestamptzNow(), index=True)
    closed_at = Timestamptz(null=True, default=None, index=True)


class Alert(Table, tablename="alert"):
    """Something waiting where nobody would otherwise be told: in a command centre's queue,
    most urgent first, until an operator acknowledges it or what caused it is over."""

    kind = Varchar(length=32, index=True)
    severity = Integer(index=True)  # 1 most urgent
    case = ForeignKey(references=Case, null=True, default=None, on_delete=OnDelete.cascade)
    centre_id = Integer(null=True, default=None, index=True)  # whose queue; null: the city's
    # The case's areas (or the alert's), so a centre's scope filters alerts as it does cases.
    street_id = Integer(null=True, default=None, index=True)
    district_id = Integer(null=True, default=None, index=True)
    detail = Text(default="{}")
    # "{kind}:{case}:{centre}" while the alert is open: one open alert per cause and queue.
    slot = Varchar(length=80, null=True, default=None, unique=True)
    created_at = Timestamptz(default=TimestamptzNow(), index=True)
    acknowledged_at = Timestamptz(null=True, default=None)
    acknowledged_by = Integer(null=True, default=None)
    resolved_at = Timestamptz(null=True, default=None, index=True)


class CaseDayCounter(Table, tablename="case_day_counter"):
    """Per-day sequence of human case numbers (20261128-00042), one upsert per case."""

    day = Varchar(length=8, unique=True)
    last = Integer(default=0)


class WatchArea(Table, tablename="watch_area"):
    """A citizen's watch area (cases.watch): they are told of new public cases inside it,
    at once or in a daily digest. The polygon is a GeoJSON geometry in WGS-84, [lon, lat];
    the bbox columns find the areas around a case cheaply."""

    citizen_id = Integer(index=True)
    name = Varchar(length=40, default="")
    kind = Varchar(length=8)  # polygon, circle, grid
    spec = Text(default="{}")  # what was picked: the circle's centre and radius, the grid
    polygon = Text()
    min_lat = DoublePrecision(index=True)
    min_lon = DoublePrecision()
    max_lat = DoublePrecision()
    max_lon = DoublePrecision()
    area_km2 = DoublePrecision()
    digest = Boolean(default=False)
    created_at = Timestamptz(default=TimestamptzNow())


class WatchHit(Table, tablename="watch_hit"):
    """A new public case inside some watch area of a citizen: one per citizen and case,
    however many of their areas hold it. Digest hits wait for the daily digest."""

    citizen_id = Integer(index=True)
    case = ForeignKey(references=Case, on_delete=OnDelete.cascade, index=True)
    area_name = Varchar(length=40, default="")
    slot = Varchar(length=40, unique=True)  # "{citizen_id}:{case_id}"
    digest = Boolean(default=False)
    digested_at = Timestamptz(null=True, default=None)
    created_at = Timestamptz(default=TimestamptzNow(), index=True)


class CaseSurvey(Table, tablename="case_survey"):
    """The satisfaction survey (回访) of a closed case (cases.survey): sent to its reporter
    once, answered once. Scores are 1-5."""

    case = ForeignKey(references=Case, on_delete=OnDelete.cascade, unique=True)
    citizen_id = Integer(index=True)
    sent_at = Timestamptz(default=TimestamptzNow(), index=True)
    answered_at = Timestamptz(null=True, default=None, index=True)
    fixed = Boolean(null=True, default=None)
    speed = Integer(null=True, default=None)
    attitude = Integer(null=True, default=None)
    result = Integer(null=True, default=None)
    comment = Varchar(length=500, default="")
