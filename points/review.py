"""Farming across accounts (刷分): signals flag an account for review; while its review is
open its awards are held (points.holds, reason "review"); an admin clears it (the held
awards are paid) or confirms it (they are forfeited, and the account may be disabled).

Signals:
- many accounts on one device token (``CITYOPS_POINTS_REVIEW_ACCOUNTS_PER_DEVICE``), or
  signing in or reporting from one public IP range (/24 IPv4, /48 IPv6;
  ``CITYOPS_POINTS_REVIEW_ACCOUNTS_PER_IP_RANGE``: carriers put many people behind one
  address) within a week: every one of them;
- the same photo (or a turned or cropped copy) as another account's report: the copier;
- a burst of reports that were all rejected (``CITYOPS_POINTS_REVIEW_REJECTED_BURST`` in a
  day, none accepted): the reporter.

A decision is one conditional UPDATE (``WHERE state = 'open'``): of two racing decisions
one wins; the held awards move by holds.decide, which pays each at most once."""

from __future__ import annotations

import datetime as dt
import hashlib
import ipaddress

import msgspec

from core import clock
from core.actors import Actor
from core.db import raw
from core.pagination import decode_cursor, encode_cursor
from core.settings import get_settings

SIGNAL_WINDOW = dt.timedelta(days=7)
OPEN, CLEARED, CONFIRMED = "open", "cleared", "confirmed"
_EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)


class Review(msgspec.Struct, frozen=True, kw_only=True):
    account_id: int
    state: str
    signals: list[dict]
    opened_at: dt.datetime
    held_points: int


class ReviewPage(msgspec.Struct, frozen=True, kw_only=True):
    items: list[Review]
    next_cursor: str | None


async def flag(*, account_id: int, signal: dict) -> None:
    """Open a review of the account (again, if an earlier one was decided), with ``signal``
    among its reasons."""
    now = clock.now()
    entry = msgspec.json.encode([{**signal, "at": now.isoformat()}]).decode()
    await raw(
        "INSERT INTO points_review (account_id, state, signals, opened_at, decided_at, "
        "decided_by_kind, decided_by_id, note) VALUES ({}, 'open', {}, {}, NULL, '', 0, '') "
        "ON CONFLICT (account_id) DO NOTHING",
        account_id,
        entry,
        now,
    )
    rows = await raw("SELECT state, signals FROM points_review WHERE account_id = {}", account_id)
    signals = msgspec.json.decode(rows[0]["signals"])
    if rows[0]["state"] == OPEN and any(s.get("signal") == signal.get("signal") for s in signals):
        return  # already open for this reason: one line per reason is enough to decide
    if rows[0]["state"] != OPEN:
        signals = []
    signals = [*signals, *msgspec.json.decode(entry)][-20:]
    await raw(
        "UPDATE points_review SET state = 'open', signals = {}, opened_at = CASE WHEN "
        "state = 'open' THEN opened_at ELSE {} END WHERE account_id = {}",
        msgspec.json.encode(signals).decode(),
        now,
        account_id,
    )


async def under_review(account_id: int) -> bool:
    rows = await raw(
        "SELECT 1 AS one FROM points_review WHERE account_id = {} AND state = 'open'", account_id
    )
    return bool(rows)


def ip_range(address: str) -> str | None:
    """The network an address is counted under: /24 for IPv4, /48 for IPv6; None for an
    address that is not a public one (loopback, a private network: a proxy not declared in
    CITYOPS_TRUSTED_PROXIES would otherwise put every citizen in one range)."""
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return None
    if not ip.is_global:
        return None
    prefix = 24 if ip.version == 4 else 48
    return str(ipaddress.ip_network(f"{ip}/{prefix}", strict=False))


async def note(*, kind: str, key: str, account_id: int) -> None:
    """Record that ``account_id`` used ``key`` (a device token, an IP range); past the
    threshold of accounts on one key within the window, flag them all."""
    now = clock.now()
    digest = hashlib.sha256(key.encode()).hexdigest()[:64] if kind == "device" else key[:64]
    seen = await raw(
        "SELECT 1 AS one FROM points_signal WHERE kind = {} AND key = {} AND account_id = {} "
        "AND created_at >= {} LIMIT 1",
        kind,
        digest,
        account_id,
        now - SIGNAL_WINDOW,
    )
    if not seen:
        await raw(
            "INSERT INTO points_signal (kind, key, account_id, created_at) VALUES ({}, {}, {}, {})",
            kind,
            digest,
            account_id,
            now,
        )
    rows = await raw(
        "SELECT DISTINCT account_id FROM points_signal WHERE kind = {} AND key = {} "
        "AND created_at >= {}",
        kind,
        digest,
        now - SIGNAL_WINDOW,
    )
    settings = get_settings()
    threshold = (
        settings.points_review_accounts_per_device
        if kind == "device"
        else settings.points_review_accounts_per_ip_range
    )
    if len(rows) >= threshold:
        for row in rows:
            await flag(
                account_id=row["account_id"],
                signal={"signal": f"shared_{kind}", "accounts": len(rows)},
            )


async def decide(*, actor: Actor, account_id: int, to: str, note: str) -> bool:
    """Close the account's open review as ``to``; False if none was open (or a concurrent
    decision won)."""
    rows = await raw(
        "UPDATE points_review SET state = {}, decided_at = {}, decided_by_kind = {}, "
        "decided_by_id = {}, note = {} WHERE account_id = {} AND state = 'open' "
        "RETURNING account_id",
        to,
        clock.now(),
        actor.kind,
        actor.id,
        note[:500],
        account_id,
    )
    return bool(rows)


async def open_reviews(*, cursor: str | None, limit: int) -> ReviewPage:
    """Open reviews, oldest first (keyset pages), with the points each holds."""
    after = decode_cursor(cursor, kind="review")
    # No cursor: from before any review (one statement either way).
    at, last = (after.at, after.id) if after is not None else (_EPOCH, 0)
    rows = await raw(
        "SELECT r.account_id, r.state, r.signals, r.opened_at, "
        "(SELECT COALESCE(SUM(h.amount), 0) FROM points_hold h WHERE h.account_id = "
        "r.account_id AND h.state = 'held') AS held FROM points_review r "
        "WHERE r.state = 'open' AND (r.opened_at > {} OR (r.opened_at = {} AND "
        "r.account_id > {})) ORDER BY r.opened_at, r.account_id LIMIT {}",
        at,
        at,
        last,
        limit + 1,
    )
    items = [
        Review(
            account_id=row["account_id"],
            state=row["state"],
            signals=msgspec.json.decode(row["signals"]),
            opened_at=clock.as_utc(row["opened_at"]),
            held_points=int(row["held"]),
        )
        for row in rows[:limit]
    ]
    more = len(rows) > limit
    next_cursor = (
        encode_cursor(items[-1].opened_at, items[-1].account_id, kind="review")
        if more and items
        else None
    )
    return ReviewPage(items=items, next_cursor=next_cursor)
