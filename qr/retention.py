"""Scan records are kept CITYOPS_RETENTION_SCAN_DAYS (the daily retention task)."""

from __future__ import annotations

import datetime as dt

from qr.tables import SignpostScan


async def expire_scans(*, before: dt.datetime) -> int:
    gone = (
        await SignpostScan.delete()
        .where(SignpostScan.scanned_at < before)
        .returning(SignpostScan.id)
    )
    return len(gone)
