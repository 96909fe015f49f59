"""The city around bench/stats.py's cases, in plain SQL on a freshly migrated database: a
city with districts, streets and grids (cases carry their street and district, as dispatch stamps
them), inspectors on the staff (who file, verify and check), the case history the
evaluation reads (report, accept, dispatch, resolve, rework, close, hand-backs), the
cases' stage seconds from that history (as the upgrade of older cases fills them) and
supervision orders. Ids count from 1 in a fresh schema; the queries look them up anyway."""

from __future__ import annotations

from cases.stage_times import backfill_sql

DISTRICTS = 10  # Qingdao's district centres
STREETS = 141  # and street stations
INSPECTORS = 200

AREAS_SQL = [
    "INSERT INTO org_unit (parent, kind, code, name_zh, name_en, phone, active, created_at, "
    "updated_at) VALUES (NULL, 'city', 'C1', '城市', 'City', '', true, now(), now())",
    "INSERT INTO org_unit (parent, kind, code, name_zh, name_en, phone, active, created_at, "
    "updated_at) SELECT (SELECT id FROM org_unit WHERE code = 'C1'), 'district', 'D' || d, "
    "'区' || d, 'District ' || d, '', true, now(), now() "
    f"FROM generate_series(0, {DISTRICTS - 1}) AS d",
    "INSERT INTO org_unit (parent, kind, code, name_zh, name_en, phone, active, created_at, "
    "updated_at) SELECT (SELECT id FROM org_unit WHERE code = 'D' || (s % "
    f"{DISTRICTS})), 'street', 'S' || s, '街道' || s, 'Street ' || s, '', true, now(), now() "
    f"FROM generate_series(0, {STREETS - 1}) AS s",
]

GRIDS = 5000  # bench/stats.py's grids, 1..GRIDS; each in street (id % STREETS)

# Unit grids as the evaluation names them (code and name; no shapes: nothing here locates).
GRIDS_SQL = (
    "INSERT INTO grid (code, name, level, polygon, min_lat, min_lon, max_lat, max_lon, area, "
    "active, created_at, updated_at) SELECT 'G' || g, '网格' || g, 4, '{}', 0, 0, 0, 0, "
    "(SELECT id FROM org_unit WHERE code = 'S' || (g % "
    f"{STREETS})), true, now(), now() FROM generate_series(1, {GRIDS}) AS g"
)

STAFF_SQL = [
    "INSERT INTO piccolo_user (username, password, first_name, last_name, email, active, "
    "admin, superuser) SELECT 'insp' || i, 'x', '', '', 'insp' || i || '@bench', true, "
    "false, false "
    f"FROM generate_series(1, {INSPECTORS}) AS i",
    'INSERT INTO staff ("user", public_id, role, display_name, locale, created_at) '
    "SELECT id, 'st_' || username, 'inspector', '监督员' || id, 'zh-CN', now() "
    "FROM piccolo_user WHERE username LIKE 'insp%'",
]

# Each case's street (by its grid) and district, as filed.
AREAS_OF_CASES = f"""
UPDATE case_file SET street_id = s.id, district_id = s.parent
FROM org_unit s
WHERE s.kind = 'street' AND s.code = 'S' || (case_file.grid_id % {STREETS})
"""

_EVENT = (
    'INSERT INTO case_event ("case", action, from_state, to_state, actor_kind, actor_id, '
    "note, media_ids, data, created_at, state_since) "
)
_INSPECTOR = f"(SELECT min(id) FROM staff) + case_file.id % {INSPECTORS}"
# A third of the way from the dispatch to the resolution, times the number that follows.
_THIRD = "dispatched_at + (resolved_at - dispatched_at) / 3 *"

EVENTS_SQL = [
    _EVENT + "SELECT id, 'report', NULL, 'reported', COALESCE(reporter_kind, 'machine'), "
    "COALESCE(reporter_id, 0), '', '[]', '{}', reported_at, NULL FROM case_file",
    # Citizens' reports are verified (核实) by an inspector; inspectors' and machines' own
    # are accepted at once by the system. state_since: when the case entered from_state,
    # as cases.workflow records it.
    _EVENT + "SELECT id, 'accept', 'reported', 'accepted', CASE WHEN reporter_kind = "
    f"'citizen' THEN 'staff' ELSE 'system' END, CASE WHEN reporter_kind = 'citizen' THEN "
    f"{_INSPECTOR} ELSE 0 END, '', '[]', "
    "'{}', accepted_at, reported_at FROM case_file WHERE accepted_at IS NOT NULL",
    _EVENT + "SELECT id, 'dispatch', 'accepted', 'dispatched', 'system', 0, '', '[]', '{}', "
    "dispatched_at, NULL FROM case_file WHERE dispatched_at IS NOT NULL",
    # Reworked cases: an earlier resolution the inspector sent back, both between the
    # dispatch and the last resolution (a history the workflow could have written).
    _EVENT + "SELECT id, 'resolve', 'dispatched', 'resolved', 'staff', 0, '', '[]', '{}', "
    f"{_THIRD} 1, NULL FROM case_file "
    "WHERE rework_count > 0 AND resolved_at IS NOT NULL",
    _EVENT + f"SELECT id, 'rework', 'resolved', 'dispatched', 'staff', {_INSPECTOR}, '', "
    f"'[]', '{{}}', {_THIRD} 2, {_THIRD} 1 "
    "FROM case_file "
    "WHERE rework_count > 0 AND resolved_at IS NOT NULL",
    _EVENT + "SELECT id, 'resolve', 'dispatched', 'resolved', 'staff', 0, '', '[]', '{}', "
    "resolved_at, NULL FROM case_file WHERE resolved_at IS NOT NULL",
    _EVENT + f"SELECT id, 'close', 'resolved', 'closed', 'staff', {_INSPECTOR}, '', '[]', "
    "'{}', closed_at, resolved_at FROM case_file WHERE state = 'closed'",
    # One dispatched case in 50 was handed back once by the unit first sent it.
    _EVENT + "SELECT id, 'transfer', 'dispatched', 'returned', 'staff', 0, '', '[]', "
    "'{\"unit_id\": ' || (1 + (id * 31) % 443) || '}', dispatched_at + interval '10 minutes', "
    "NULL "
    "FROM case_file WHERE dispatched_at IS NOT NULL AND id % 50 = 0",
    # and dispatched again ten minutes later.
    _EVENT + "SELECT id, 'dispatch', 'returned', 'dispatched', 'system', 0, '', '[]', '{}', "
    "dispatched_at + interval '20 minutes', NULL "
    "FROM case_file WHERE dispatched_at IS NOT NULL AND id % 50 = 0",
    "UPDATE case_file SET transfer_count = 1 WHERE dispatched_at IS NOT NULL AND id % 50 = 0",
]

SUPERVISION_SQL = """
INSERT INTO supervision_order ("case", from_unit_id, to_unit_id, note, deadline_at, issued_by,
  created_at, closed_at)
SELECT id, (SELECT id FROM org_unit WHERE code = 'C1'), unit_id, '', dispatched_at
  + interval '2 days', 0, dispatched_at + interval '1 hour', closed_at
FROM case_file WHERE dispatched_at IS NOT NULL AND unit_id IS NOT NULL AND id % 100 = 7
"""


async def seed_city(connection) -> None:
    """Before the cases: areas and inspectors. On a plain asyncpg connection: the SQL holds
    JSON braces that Piccolo's ``{}`` placeholders would take for its own."""
    for sql in (*AREAS_SQL, GRIDS_SQL, *STAFF_SQL):
        await connection.execute(sql)


async def seed_history(connection) -> None:
    """After the cases: their areas, history and supervision orders."""
    await connection.execute(AREAS_OF_CASES)
    for sql in (*EVENTS_SQL, *backfill_sql(sqlite=False)):
        await connection.execute(sql)
    await connection.execute(SUPERVISION_SQL)


async def district_centre(connection) -> int:
    """A centre for the first district; returns its id (for a district operator)."""
    return await connection.fetchval(
        "INSERT INTO org_unit (parent, kind, code, name_zh, name_en, phone, active, "
        "created_at, updated_at) SELECT id, 'centre', 'D0-C', '区0指挥中心', 'D0 centre', '', "
        "true, now(), now() FROM org_unit WHERE code = 'D0' RETURNING id"
    )
