"""Stage times from the case history, not from the case's stamps.

A case's ``dispatched_at``, ``resolved_at`` and ``closed_at`` hold the *last* time it got
there: rework (返工) and reopening overwrite them, so "resolved_at - dispatched_at" of a
reopened case is negative or misses the first round. The event history keeps every move.

Each state change (case_event rows whose state changed, and the report that opened the
case) ends an interval that the case spent in the event's ``from_state``; LAG over the case's
events, in id order, gives its start. A stage is the time spent in its states, over every
round:

| stage | time in states | counted for cases that moved |
|---|---|---|
| accept (立案) | reported | reported -> accepted |
| dispatch (派遣) | accepted, returned (handed back, awaiting a unit) | accepted -> dispatched |
| resolve (处置) | dispatched (redispatch included; not suspended) | dispatched -> resolved |
| close (核查) | resolved (each check, reworked or passed) | resolved -> closed |

Time suspended (挂账) or closed before a reopening is in no stage. An interval still open
(the case is in that state now) is not counted until it ends.
"""

from __future__ import annotations

from core.db import is_sqlite

STAGES = ("accept", "dispatch", "resolve", "close")

_STATES = {
    "accept": "'reported'",
    "dispatch": "'accepted', 'returned'",
    "resolve": "'dispatched'",
    "close": "'resolved'",
}
_MOVES = {
    "accept": ("reported", "accepted"),
    "dispatch": ("accepted", "dispatched"),
    "resolve": ("dispatched", "resolved"),
    "close": ("resolved", "closed"),
}


def _epoch(column: str) -> str:
    if is_sqlite():
        return f"(julianday({column}) * 86400.0)"
    return f"EXTRACT(EPOCH FROM {column})"


def stages_cte(cases: str) -> str:
    """``WITH`` clauses ending in ``stages`` (case_id, t_<stage>, did_<stage> per stage) for
    the cases selected by ``SELECT id FROM case_file WHERE <cases>``; ``cases`` may hold
    ``{}`` placeholders, taken once."""
    when = _epoch("e.created_at")
    sums = ",\n    ".join(
        f"SUM(CASE WHEN from_state IN ({_STATES[s]}) THEN secs END) AS t_{s}" for s in STAGES
    )
    moves = ",\n    ".join(
        f"MAX(CASE WHEN from_state = '{_MOVES[s][0]}' AND to_state = '{_MOVES[s][1]}' "
        f"THEN 1 ELSE 0 END) AS did_{s}"
        for s in STAGES
    )
    return f"""WITH steps AS (
  SELECT e."case" AS case_id, e.from_state, e.to_state,
    {when} - LAG({when}) OVER (PARTITION BY e."case" ORDER BY e.id) AS secs
  FROM case_event e
  WHERE e."case" IN (SELECT id FROM case_file WHERE {cases})
    AND (e.from_state IS NULL OR e.from_state <> e.to_state)
), stages AS (
  SELECT case_id,
    {sums},
    {moves}
  FROM steps GROUP BY case_id
)"""  # noqa: S608 - only our own column expressions are formatted in


def stage_columns() -> str:
    """The per-group average seconds of each stage and how many cases it is taken over,
    for a query joining ``stages``."""
    return ",\n  ".join(
        f"AVG(CASE WHEN stages.did_{s} = 1 THEN stages.t_{s} END) AS seconds_to_{s},\n  "
        f"COUNT(CASE WHEN stages.did_{s} = 1 THEN stages.t_{s} END) AS n_{s}"
        for s in STAGES
    )
