"""The points ledger: post entries, read balances and history, adjust by hand.

Money-like rules: entries are only ever inserted; ``(kind, reference)`` is unique so a retried
award or debit is a no-op; a debit checks the balance under a per-account lock in the same
transaction that writes it, so two debits cannot both spend the same points.
"""

from __future__ import annotations

import datetime as dt

import msgspec

from core import clock
from core.actors import SYSTEM, Actor
from core.db import lock, raw
from core.ids import public_id
from core.pagination import decode_cursor, encode_cursor
from core.settings import get_settings
from points.errors import AccountUnknown, InsufficientPoints, InvalidAmount, ReasonRequired
from points.reasons import ADMIN_ADJUSTMENT, DESCRIPTIONS
from points.tables import PointsEntry

KINDS = ("earn", "redeem", "refund", "expire", "adjust")
# Entries that add a lot of points which can expire; every other entry consumes or restores.
LOT_SQL = "(kind IN ('earn', 'adjust') AND amount > 0)"


class Entry(msgspec.Struct, frozen=True, kw_only=True):
    id: int
    amount: int
    kind: str
    reference: str
    subject: str
    code: str  # points.reasons
    reason: str  # the note: free text, "" for most rule entries
    expires_at: dt.datetime | None
    created_at: dt.datetime


class EntryPage(msgspec.Struct, frozen=True, kw_only=True):
    items: list[Entry]
    next_cursor: str | None


class Summary(msgspec.Struct, frozen=True, kw_only=True):
    balance: int
    expiring_points: int
    expiring_at: dt.datetime | None


def _entry(row: dict) -> Entry:
    return Entry(
        id=row["id"],
        amount=row["amount"],
        kind=row["kind"],
        reference=row["reference"],
        subject=row["subject"],
        code=row["code"],
        reason=row["reason"],
        expires_at=clock.as_utc(row["expires_at"]) if row["expires_at"] else None,
        created_at=clock.as_utc(row["created_at"]),
    )


def expiry_for(moment: dt.datetime) -> dt.datetime | None:
    """The end of the N-th year after ``moment``'s year in the city's time zone (N=1: points
    earned any time in 2026 expire when 2027 ends), or None when points do not expire."""
    settings = get_settings()
    if not settings.points_expire:
        return None
    year = moment.astimezone(clock.city_zone()).year + settings.points_expiry_years + 1
    return dt.datetime(year, 1, 1, tzinfo=clock.city_zone()).astimezone(dt.UTC)


async def lock_account(account_id: int) -> None:
    """Serialise balance checks and debits of one account until the transaction ends."""
    await lock(f"points:{account_id}")


async def post(
    *,
    account_id: int,
    amount: int,
    kind: str,
    reference: str,
    code: str,
    subject: str = "",
    reason: str = "",
    expires_at: dt.datetime | None = None,
    actor: Actor = SYSTEM,
) -> int | None:
    """Append one entry; None if ``(kind, reference)`` was already written (a retry).
    ``code`` says why (points.reasons), ``reason`` is the free-text note. A zero amount is
    never written (it would only clutter the citizen's history)."""
    assert kind in KINDS, kind
    assert code in DESCRIPTIONS, code
    if amount == 0:
        return None
    now = clock.now()
    rows = await raw(
        "INSERT INTO points_entry (account_id, amount, kind, reference, slot, subject, code, "
        "reason, expires_at, actor_kind, actor_id, created_at) "
        "VALUES ({}, {}, {}, {}, {}, {}, {}, {}, {}, {}, {}, {}) "
        "ON CONFLICT (slot) DO NOTHING RETURNING id",
        account_id,
        amount,
        kind,
        reference,
        f"{kind}|{reference}",
        subject,
        code,
        reason[:500],
        expires_at,
        actor.kind,
        actor.id,
        now,
    )
    return rows[0]["id"] if rows else None


async def balance(*, account_id: int) -> int:
    rows = await raw(
        "SELECT COALESCE(SUM(amount), 0) AS total FROM points_entry WHERE account_id = {}",
        account_id,
    )
    return int(rows[0]["total"])


async def debit(
    *,
    account_id: int,
    amount: int,
    kind: str,
    reference: str,
    code: str,
    subject: str = "",
    reason: str = "",
    actor: Actor = SYSTEM,
) -> int:
    """Take ``amount`` (> 0) points or raise ``points.insufficient``; the new balance.
    Locks the account first, so concurrent debits see each other's entries."""
    await lock_account(account_id)
    current = await balance(account_id=account_id)
    if current < amount:
        raise InsufficientPoints(balance=current, needed=amount)
    await post(
        account_id=account_id,
        amount=-amount,
        kind=kind,
        reference=reference,
        code=code,
        subject=subject,
        reason=reason,
        actor=actor,
    )
    return current - amount


async def entries_of(*, subject: str) -> list[Entry]:
    rows = await PointsEntry.select().where(PointsEntry.subject == subject).order_by(PointsEntry.id)
    return [_entry(row) for row in rows]


async def history(*, account_id: int, cursor: str | None, limit: int) -> EntryPage:
    """Newest first, keyset pages on (created_at, id). Zero entries (older versions wrote
    one for an accepted report past the daily cap) stay in the ledger but are not shown."""
    after = decode_cursor(cursor, kind="points")
    query = PointsEntry.select().where(
        (PointsEntry.account_id == account_id) & (PointsEntry.amount != 0)
    )
    if after is not None:
        query = query.where(
            (PointsEntry.created_at < after.at)
            | ((PointsEntry.created_at == after.at) & (PointsEntry.id < after.id))
        )
    rows = (
        await query.order_by(PointsEntry.created_at, ascending=False)
        .order_by(PointsEntry.id, ascending=False)
        .limit(limit + 1)
    )
    items = [_entry(row) for row in rows[:limit]]
    next_cursor = (
        encode_cursor(items[-1].created_at, items[-1].id, kind="points")
        if len(rows) > limit
        else None
    )
    return EntryPage(items=items, next_cursor=next_cursor)


async def _lots_until(account_id: int, until: dt.datetime) -> list[tuple[int, dt.datetime]]:
    rows = await raw(
        f"SELECT amount, expires_at FROM points_entry WHERE account_id = {{}} AND {LOT_SQL} "  # noqa: S608
        "AND expires_at IS NOT NULL AND expires_at <= {} ORDER BY expires_at, id",
        account_id,
        until,
    )
    return [(row["amount"], clock.as_utc(row["expires_at"])) for row in rows]


async def consumed(*, account_id: int) -> int:
    """Points spent, expired or taken back, net of refunds: what has used up lots."""
    rows = await raw(
        f"SELECT COALESCE(SUM(CASE WHEN {LOT_SQL} THEN 0 ELSE -amount END), 0) AS used "  # noqa: S608
        "FROM points_entry WHERE account_id = {}",
        account_id,
    )
    return int(rows[0]["used"])


async def summary(*, account_id: int) -> Summary:
    """The balance and how much of it expires within the "soon" window. Spending uses the
    oldest lots first, so what expires soon is what is left of the earliest lots."""
    current = await balance(account_id=account_id)
    window = dt.timedelta(days=get_settings().points_expiring_soon_days)
    used = await consumed(account_id=account_id)
    soon, first_at = 0, None
    for amount, expires_at in await _lots_until(account_id, clock.now() + window):
        taken = min(amount, used)
        used -= taken
        if amount > taken:
            soon += amount - taken
            first_at = first_at or expires_at
    return Summary(balance=current, expiring_points=min(soon, current), expiring_at=first_at)


async def adjust(*, actor: Actor, citizen_id: int, amount: int, reason: str | None) -> Entry:
    """A manual correction by an admin, kept in the ledger with who made it and why."""
    from accounts import service as accounts
    from accounts.errors import AccountDisabled

    if not reason or not reason.strip():
        raise ReasonRequired()
    if amount == 0:
        raise InvalidAmount()
    try:
        await accounts.citizen_profile(actor=Actor(kind="citizen", id=citizen_id, role="citizen"))
    except AccountDisabled:
        raise AccountUnknown(citizen_id=citizen_id) from None
    reference = f"manual:{public_id('adj')}"
    if amount < 0:
        await debit(
            account_id=citizen_id,
            amount=-amount,
            kind="adjust",
            reference=reference,
            code=ADMIN_ADJUSTMENT,
            reason=reason.strip(),
            actor=actor,
        )
    else:
        await lock_account(citizen_id)
        await post(
            account_id=citizen_id,
            amount=amount,
            kind="adjust",
            reference=reference,
            code=ADMIN_ADJUSTMENT,
            reason=reason.strip(),
            expires_at=expiry_for(clock.now()),
            actor=actor,
        )
    row = await PointsEntry.select().where(PointsEntry.slot == f"adjust|{reference}").first()
    return _entry(row)
