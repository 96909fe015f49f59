"""Organisation and geography tables.

Piccolo has no composite unique constraints, so pairs that must be unique (a grid and an
inspector, a category and a priority, a dispatch rule's category and area) carry one derived
``slot`` column with a unique index: the database, not a read-then-write, keeps them unique.
Parent links use NO ACTION, checked at the end of each statement, so a unit or grid still
referenced cannot be deleted by accident while a whole table can still be emptied at once.
"""

from piccolo.columns import (
    Boolean,
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

from org.points_defaults import UPGRADE_SQL as POINTS_UPGRADE_SQL


class OrgUnit(Table, tablename="org_unit"):
    """City > district > street > community, plus departments, work units and centres."""

    parent = ForeignKey(references="self", null=True, default=None, on_delete=OnDelete.no_action)
    kind = Varchar(length=16, index=True)
    code = Varchar(length=32, unique=True)
    name_zh = Varchar(length=100)
    name_en = Varchar(length=150, default="")
    phone = Varchar(length=32, default="")
    active = Boolean(default=True)
    # The unit's own working hours ("08:30-12:00,14:00-18:00", core.working_hours); "" keeps
    # the city's (CITYOPS_WORKING_HOURS). SLA clocks of cases the unit handles count them.
    working_hours = Varchar(length=100, default="")
    created_at = Timestamptz(default=TimestamptzNow())
    updated_at = Timestamptz(default=TimestamptzNow())


class DutyShift(Table, tablename="duty_shift"):
    """Who of a unit is on duty when (值班): operators of a command centre, handlers of a
    work unit. Alerts and urgent pages go to whoever is on duty; dispatch rules may assign
    a case to the on-duty handler with the fewest open cases."""

    unit = ForeignKey(references=OrgUnit, on_delete=OnDelete.cascade, index=True)
    staff_id = Integer(index=True)  # accounts' staff id
    starts_at = Timestamptz(index=True)
    ends_at = Timestamptz(index=True)
    created_at = Timestamptz(default=TimestamptzNow())


class Grid(Table, tablename="grid"):
    """A unit grid (单元网格) or one of its parents. The polygon is a GeoJSON geometry in
    WGS-84, [lon, lat] order; the bbox columns let a map ask for grids in view cheaply."""

    code = Varchar(length=32, unique=True)
    name = Varchar(length=100)
    parent = ForeignKey(references="self", null=True, default=None, on_delete=OnDelete.no_action)
    level = Integer(default=1)
    polygon = Text()
    min_lat = DoublePrecision()
    min_lon = DoublePrecision()
    max_lat = DoublePrecision()
    max_lon = DoublePrecision()
    # The administrative area (community or street) the grid lies in: dispatch rules for a
    # street or district find the grid through it.
    area = ForeignKey(references=OrgUnit, null=True, default=None, on_delete=OnDelete.no_action)
    # The unit answerable for the grid; cases with no matching dispatch rule go there.
    unit = ForeignKey(references=OrgUnit, null=True, default=None, on_delete=OnDelete.no_action)
    active = Boolean(default=True)
    created_at = Timestamptz(default=TimestamptzNow())
    updated_at = Timestamptz(default=TimestamptzNow())


class GridInspector(Table, tablename="grid_inspector"):
    grid = ForeignKey(references=Grid, on_delete=OnDelete.cascade)
    # Staff live in accounts; a package touches its own tables only, so this is a plain id.
    staff_id = Integer(index=True)
    slot = Varchar(length=40, unique=True)  # "{grid_id}:{staff_id}"
    created_at = Timestamptz(default=TimestamptzNow())


class Category(Table, tablename="category"):
    """A node of the 部件/事件 code tree. ``code`` is type-prefixed because the national
    component and event lists reuse the same numbers: C0101 is the component 上水井盖, E0101
    the event 私搭乱建. Major classes (大类) are rows too: C01, E05 (minor = "").

    Priority: 1 urgent (特急), 2 high (紧急), 3 normal (一般), 4 low (较缓).
    SLA unit: "hours" (clock time, for emergencies), "working_hours" or "working_days".
    """

    code = Varchar(length=8, unique=True)
    kind = Varchar(length=16, index=True)
    major = Varchar(length=2)
    minor = Varchar(length=2, default="")
    name_zh = Varchar(length=64)
    name_en = Varchar(length=128)
    parent = ForeignKey(references="self", null=True, default=None, on_delete=OnDelete.no_action)
    default_priority = Integer(default=3)
    needs_onsite_verification = Boolean(default=True)
    sla_value = Integer(default=0)
    sla_unit = Varchar(length=16, default="working_hours")
    urgent = Boolean(default=False)
    # Minutes the unit has to acknowledge (签收) a dispatched case of this category before it
    # is paged again and escalated; null: CITYOPS_URGENT_ACK_MINUTES for urgent cases, none
    # for the others.
    ack_minutes = Integer(null=True, default=None)
    # GB/T 30428's 立案条件 and 结案条件, shown to operators and inspectors; null: the generic
    # text (org.stages).
    filing_conditions_zh = Text(null=True, default=None)
    filing_conditions_en = Text(null=True, default=None)
    closing_conditions_zh = Text(null=True, default=None)
    closing_conditions_en = Text(null=True, default=None)
    # Limits of the other timed stages, in the SLA's units plus "minutes" (the handling stage
    # is sla_value/sla_unit); null: the default of org.stages.
    accept_limit_value = Integer(null=True, default=None)
    accept_limit_unit = Varchar(length=16, null=True, default=None)
    dispatch_limit_value = Integer(null=True, default=None)
    dispatch_limit_unit = Varchar(length=16, null=True, default=None)
    verify_limit_value = Integer(null=True, default=None)
    verify_limit_unit = Varchar(length=16, null=True, default=None)
    points_on_accept = Integer(default=0)
    points_on_close = Integer(default=0)
    # Followers ("me too") at which an open case of this category is raised one priority
    # step, once (cases.crowd); 0: never.
    follower_threshold = Integer(default=10)
    # An AI camera's detection below this confidence waits for a person (stays reported,
    # even from a trusted source) instead of being accepted by rule.
    min_confidence = DoublePrecision(default=0.8)
    sort_order = Integer(default=0)
    active = Boolean(default=True)
    # Cases of this category concern people or their homes: the public sees their position
    # only coarsened (cases.visibility).
    private_location = Boolean(default=False)
    created_at = Timestamptz(default=TimestamptzNow())
    updated_at = Timestamptz(default=TimestamptzNow())

    # SQLite installs seeded before default points (PostgreSQL: an org migration).
    raw_upgrades = (POINTS_UPGRADE_SQL,)


class SlaPolicy(Table, tablename="sla_policy"):
    """A time limit for (category, priority); a row without category applies to every
    category at that priority (see org.service.sla_limit for the order of precedence)."""

    category = ForeignKey(references=Category, null=True, default=None, on_delete=OnDelete.cascade)
    priority = Integer()
    limit_value = Integer()
    limit_unit = Varchar(length=16)
    slot = Varchar(length=40, unique=True)  # "{category_id or *}:{priority}"
    updated_at = Timestamptz(default=TimestamptzNow())


class CalendarDay(Table, tablename="calendar_day"):
    """An admin's override of the national working calendar for one day: set by hand
    (source "admin") or by a year's import (source "import", org.calendar_import)."""

    day = Date(unique=True)
    is_workday = Boolean()
    name = Varchar(length=100, default="")  # the holiday's name, e.g. 春节
    note = Varchar(length=200, default="")
    source = Varchar(length=16, default="admin")
    updated_at = Timestamptz(default=TimestamptzNow())


class CalendarYear(Table, tablename="calendar_year"):
    """A year whose official arrangement (放假安排) was imported: the year counts as covered
    by calendar data even when the holiday package does not know it (org.calendar)."""

    year = Integer(unique=True)
    days = Integer(default=0)  # rows of the last import that changed something
    imported_by = Integer(null=True, default=None)  # staff id
    imported_at = Timestamptz(default=TimestamptzNow())


class DispatchRule(Table, tablename="dispatch_rule"):
    """(category or major class or any, area) -> unit. ``category_code`` is a full code
    ("E0403"), a major class ("E04") or "" for any category; ``area_kind`` is grid, street,
    district or any (area_id null)."""

    category_code = Varchar(length=8, default="", index=True)
    area_kind = Varchar(length=16, default="any")
    area_id = Integer(null=True, default=None)
    unit = ForeignKey(references=OrgUnit, on_delete=OnDelete.no_action)
    # Overrides the case's priority when set (e.g. 1 for point-to-point emergencies).
    priority = Integer(null=True, default=None)
    # Dispatch to a person (一键到人): the on-duty handler of the unit with the fewest open
    # cases gets the case.
    assign_on_duty = Boolean(default=False)
    active = Boolean(default=True)
    slot = Varchar(length=64, unique=True)  # "{category_code}|{area_kind}|{area_id}"
    created_at = Timestamptz(default=TimestamptzNow())
    updated_at = Timestamptz(default=TimestamptzNow())
