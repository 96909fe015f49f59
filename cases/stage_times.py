"""Stage times from the case history, not from the case's stamps.

A case's ``dispatched_at``, ``resolved_at`` and ``closed_at`` hold the *last* time it got
there: rework (返工) and reopening overwrite them, so "resolved_at - dispatched_at" of a
reopened case is negative or misses the first round. The event history keeps every move.

A stage is the time a case spent in its states, over every round:

| stage | time in states | settled once the case |
|---|---|---|
| accept (立案) | reported | was accepted |
| dispatch (派遣) | accepted, returned (handed back) | was dispatched and is not back there |
| resolve (处置) | dispatched (redispatch included) | was resolved and is not dispatched |
| close (核查) | resolved (each check, rework or pass) | was closed and is not resolved |

Time suspended (挂账) or closed before a reopening is in no stage. A case counts towards a
stage's average once its time there is settled: a reopened case being handled again counts
for handling when it is resolved again.

The time in a state is the sum of the times the case left it minus the sum of the times it
entered it: for a settled stage every entry has its exit. That sum needs no window or
per-case grouping: the events of the cohort are summed straight into the groups (one join
and one GROUP BY), and the cases counted per group come from the case rows.
Only state changes count (the report that opened the case, and events whose state changed);
notes and other same-state events neither enter nor leave.
"""

from __future__ import annotations

import datetime as dt

from core.db import is_sqlite

STAGES = ("accept", "dispatch", "resolve", "close")

_STATES = {
    "accept": "'reported'",
    "dispatch": "'accepted', 'returned'",
    "resolve": "'dispatched'",
    "close": "'resolved'",
}
# Whether a case's stage is settled, from its row: the stamps say whether a move ever
# happened (they are never cleared, except closed_at on reopening: reopen_count remembers).
_SETTLED = {
    "accept": "accepted_at IS NOT NULL",
    "dispatch": "dispatched_at IS NOT NULL AND state NOT IN ('accepted', 'returned')",
    "resolve": "resolved_at IS NOT NULL AND state <> 'dispatched'",
    "close": "(closed_at IS NOT NULL OR reopen_count > 0) AND state <> 'resolved'",
}


def _seconds_after(column: str, base: dt.datetime) -> str:
    """Seconds from ``base`` to ``column``; small numbers, so sums of many stay exact.
    ``base`` is ours (the window's start), formatted as a number."""
    epoch = f"{base.timestamp():.0f}"
    if is_sqlite():
        return f"(julianday({column}) * 86400.0 - ({epoch} + 210866760000.0))"
    return f"(date_part('epoch', {column}) - {epoch})"


def settled_counts() -> str:
    """Per group, how many cases each stage's average is taken over (``n_<stage>``)."""
    return ",\n  ".join(f"SUM(CASE WHEN {_SETTLED[s]} THEN 1 ELSE 0 END) AS n_{s}" for s in STAGES)


def stage_sums_sql(key: str, cohort: str, base: dt.datetime) -> str:
    """Per group ``key``, the seconds settled cases spent in each stage (``s_<stage>``) over
    the cohort ``case_file`` rows matching ``cohort`` (which may hold ``{}`` placeholders),
    followed by one more placeholder: the window's start. No event of a case precedes its
    report, so the events read start there (the created_at index: a recent window reads
    recent events only)."""
    at = _seconds_after("e.created_at", base)
    sums = ",\n  ".join(
        f"SUM(CASE WHEN {_SETTLED[s]} THEN CASE WHEN e.from_state IN ({_STATES[s]}) "
        f"THEN {at} WHEN e.to_state IN ({_STATES[s]}) THEN -{at} ELSE 0 END END) AS s_{s}"
        for s in STAGES
    )
    return f"""SELECT {key} AS key,
  {sums}
FROM case_file JOIN case_event e ON e."case" = case_file.id
WHERE {cohort} AND e.created_at >= {{}}
  AND (e.from_state IS NULL OR e.from_state <> e.to_state)
GROUP BY 1"""  # noqa: S608 - only our own column expressions are formatted in
