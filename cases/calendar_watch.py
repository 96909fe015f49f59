"""Loud while the holidays ahead are unknown: a periodic check (and every calendar import)
looks at org.calendar.coverage for the next LOOKAHEAD_DAYS days. While a year in them has
neither package data nor an import, a ``calendar`` alert stays open in the city centre's
queue (one, however many workers check); once every year is covered, it is resolved.
The same coverage shows in /readyz (``degraded``) and /metrics."""

from __future__ import annotations

import logging

from cases import alerts
from core.db import transaction
from org.calendar import Coverage, coverage

log = logging.getLogger(__name__)


async def check_calendar_data() -> Coverage:
    """Raise or resolve the ``calendar`` alert; runs in the caller's transaction."""
    found = await coverage()
    if found.missing_years:
        raised = await alerts.raise_alert(
            "calendar",
            case=None,
            detail={
                "missingYears": found.missing_years,
                "daysWithoutData": found.days_without_data,
                "from": found.first.isoformat(),
                "until": found.last.isoformat(),
            },
        )
        if raised:
            log.warning(
                "no holiday data for %s: import the official arrangement "
                "(POST /api/admin/calendar/import)",
                ", ".join(map(str, found.missing_years)),
            )
    else:
        await alerts.resolve_city_alerts("calendar")
    return found


async def calendar_tick() -> Coverage:
    async with transaction():
        return await check_calendar_data()
