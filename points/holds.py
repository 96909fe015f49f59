"""Held awards: what a report would earn, kept aside until a person decides.

Every change of state is one conditional UPDATE (``WHERE state = 'held'``), so of a release
and a forfeit (or two releases) racing, one wins and the other changes nothing; the paying
itself goes through the ledger's unique slot (points.service.post) besides."""

from __future__ import annotations

from core import clock
from core.actors import Actor
from core.db import raw

HELD, RELEASED, FORFEITED = "held", "released", "forfeited"
_DECIDE = (
    "UPDATE points_hold SET state = {{}}, decided_at = {{}}, decided_by_kind = {{}}, "
    "decided_by_id = {{}} WHERE {column} = {{}} AND state = 'held' AND reason LIKE {{}} "
    "RETURNING id, account_id, subject, reference, stage, amount, reason"
)
_DECIDE_CASE = _DECIDE.format(column="subject")
_DECIDE_ACCOUNT = _DECIDE.format(column="account_id")
EVIDENCE, REVIEW = "evidence", "review"  # why an award is held


async def hold(
    *, account_id: int, subject: str, reference: str, stage: str, amount: int, reason: str
) -> bool:
    """Set an award aside; False if it was already held (or decided) before."""
    rows = await raw(
        "INSERT INTO points_hold (account_id, subject, reference, stage, amount, reason, state, "
        "created_at, decided_at, decided_by_kind, decided_by_id) "
        "VALUES ({}, {}, {}, {}, {}, {}, 'held', {}, NULL, '', 0) "
        "ON CONFLICT (reference) DO NOTHING RETURNING id",
        account_id,
        subject,
        reference,
        stage,
        amount,
        reason,
        clock.now(),
    )
    return bool(rows)


async def pending(*, subject: str) -> bool:
    rows = await raw(
        "SELECT 1 AS one FROM points_hold WHERE subject = {} AND state = 'held' LIMIT 1", subject
    )
    return bool(rows)


async def held_total(account_id: int) -> int:
    rows = await raw(
        "SELECT COALESCE(SUM(amount), 0) AS total FROM points_hold "
        "WHERE account_id = {} AND state = 'held'",
        account_id,
    )
    return int(rows[0]["total"])


async def held_for(account_id: int, limit: int = 100) -> list[dict]:
    """What the account's reports would have earned, still waiting for a person: newest
    first, with the case's public id and number."""
    return await raw(
        "SELECT c.public_id AS case_id, c.number AS case_number, h.stage, h.amount, h.reason, "
        "h.created_at FROM points_hold h JOIN case_file c ON c.id = CAST(SUBSTR(h.subject, 6) "
        "AS INTEGER) WHERE h.account_id = {} AND h.state = 'held' "
        "ORDER BY h.created_at DESC, h.id DESC LIMIT {}",
        account_id,
        limit,
    )


async def decide(
    *,
    actor: Actor,
    to: str,
    subject: str | None = None,
    account_id: int | None = None,
    reason: str | None = None,
) -> list[dict]:
    """Move the held awards of a case (``subject``) or of an account to ``to``, only those
    held for ``reason`` if given; the rows this call moved (a concurrent decision's rows
    are not among them)."""
    assert to in (RELEASED, FORFEITED), to
    by_case = subject is not None
    return await raw(
        _DECIDE_CASE if by_case else _DECIDE_ACCOUNT,
        to,
        clock.now(),
        actor.kind,
        actor.id,
        subject if by_case else account_id,
        reason or "%",
    )
