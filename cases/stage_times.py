"""Stage times kept on the case row, not taken from the case's stamps.

A case's ``dispatched_at``, ``resolved_at`` and ``closed_at`` hold the *last* time it got
there: rework (返工) and reopening overwrite them, so "resolved_at - dispatched_at" of a
reopened case is negative or misses the first round.

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

The case row keeps when it entered its state (``state_entered_at``) and, per stage, the
seconds of the visits it has left (``<stage>_seconds``): cases.workflow adds each visit as
the case leaves the state, in the same guarded UPDATE that moves it, so the statistics sum
the cohort's rows in their one GROUP BY with no join to the history. A same-state move
(redispatch) neither leaves nor enters. Rows written before the columns get them from the
history (``backfill_sql``): per stage, the times the case left its states minus the times it
entered them, over state changes only, plus the entry into the state it is in now (that
visit is not over, so it is not in the column yet).
"""

from __future__ import annotations

STAGES = ("accept", "dispatch", "resolve", "close")

_STATES = {
    "accept": ("reported",),
    "dispatch": ("accepted", "returned"),
    "resolve": ("dispatched",),
    "close": ("resolved",),
}
# The stage a state's time counts to; states in no stage (suspended, closed, ...) are absent.
STAGE_OF = {state: stage for stage, states in _STATES.items() for state in states}

# Whether a case's stage is settled, from its row: the stamps say whether a move ever
# happened (they are never cleared, except closed_at on reopening: reopen_count remembers).
_SETTLED = {
    "accept": "accepted_at IS NOT NULL",
    "dispatch": "dispatched_at IS NOT NULL AND state NOT IN ('accepted', 'returned')",
    "resolve": "resolved_at IS NOT NULL AND state <> 'dispatched'",
    "close": "(closed_at IS NOT NULL OR reopen_count > 0) AND state <> 'resolved'",
}


def settled_counts() -> str:
    """Per group, how many cases each stage's average is taken over (``n_<stage>``) and the
    seconds those cases spent in it (``s_<stage>``)."""
    return ",\n  ".join(
        f"SUM(CASE WHEN {_SETTLED[s]} THEN 1 ELSE 0 END) AS n_{s},\n  "
        f"SUM(CASE WHEN {_SETTLED[s]} THEN {s}_seconds END) AS s_{s}"
        for s in STAGES
    )


def _epoch(column: str, *, sqlite: bool) -> str:
    if sqlite:
        return f"((julianday({column}) - 2440587.5) * 86400.0)"
    return f"date_part('epoch', {column})"


def _in(states: tuple[str, ...]) -> str:
    return ", ".join(f"'{state}'" for state in states)


def backfill_sql(*, sqlite: bool) -> tuple[str, str]:
    """Fill state_entered_at and the stage seconds of the cases that lack them (state_entered_at
    null) from their history, then the cases without one (rows loaded in bulk): entered when
    reported, nothing settled. Only those rows: SQLite runs it on every migrate."""
    at = _epoch("e.created_at", sqlite=sqlite)
    sums = ",\n    ".join(
        f"SUM(CASE WHEN e.from_state IN ({_in(_STATES[s])}) THEN {at} "
        f"WHEN e.to_state IN ({_in(_STATES[s])}) THEN -{at} ELSE 0 END) AS s_{s}"
        for s in STAGES
    )
    entered = f"COALESCE({_epoch('h.entered_at', sqlite=sqlite)}, 0)"
    columns = ",\n  ".join(
        f"{s}_seconds = h.s_{s} + CASE WHEN case_file.state IN ({_in(_STATES[s])}) "
        f"THEN {entered} ELSE 0 END"
        for s in STAGES
    )
    from_history = f"""UPDATE case_file SET
  {columns},
  state_entered_at = COALESCE(h.entered_at, case_file.reported_at)
FROM (
  SELECT e."case" AS id,
    {sums},
    MAX(CASE WHEN e.to_state = c.state THEN e.created_at END) AS entered_at
  FROM case_event e JOIN case_file c ON c.id = e."case"
  WHERE c.state_entered_at IS NULL AND (e.from_state IS NULL OR e.from_state <> e.to_state)
  GROUP BY e."case"
) AS h
WHERE h.id = case_file.id"""  # noqa: S608 - only our own column expressions are formatted in
    without = "UPDATE case_file SET state_entered_at = reported_at WHERE state_entered_at IS NULL"
    return from_history, without
