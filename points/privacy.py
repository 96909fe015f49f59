"""The points ledger in a citizen's export. Closing an account leaves the ledger as it is:
its rows name an account id, not a person, and the sums the city accounts for must hold."""

from __future__ import annotations

from core import clock
from points.tables import PointsEntry


async def ledger_export(*, account_id: int) -> dict:
    rows = (
        await PointsEntry.select(
            PointsEntry.amount,
            PointsEntry.kind,
            PointsEntry.subject,
            PointsEntry.reason,
            PointsEntry.created_at,
            PointsEntry.expires_at,
        )
        .where(PointsEntry.account_id == account_id)
        .order_by(PointsEntry.id)
    )
    return {
        "balance": sum(r["amount"] for r in rows),
        "entries": [
            {
                "amount": r["amount"],
                "kind": r["kind"],
                "subject": r["subject"],
                "reason": r["reason"],
                "createdAt": clock.iso_utc(r["created_at"]),
                "expiresAt": clock.iso_utc(r["expires_at"]),
            }
            for r in rows
        ],
    }
