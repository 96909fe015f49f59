"""Domain gauges beside the HTTP metrics: the outbox, the SLA lights, overdue cases, the
nearby index and the holiday calendar. They are read from the database when /metrics is
scraped, at most once per CITYOPS_METRICS_CACHE_SECONDS per process, so a scrape every few
seconds (or several Prometheus servers) costs a handful of grouped counts, not more.

Labelled gauges are cleared before each refresh: a provider whose backlog drained, or a
light no case shows any more, must read as absent (0), not keep its last value."""

from __future__ import annotations

import asyncio
import logging
import time

from prometheus_client import Gauge

from cases.metrics import case_figures
from core.settings import get_settings
from notify.metrics import FAILED_WINDOW, outbox_figures
from org.calendar import days_covered_ahead
from places.index import freshness

log = logging.getLogger(__name__)

OUTBOX_BACKLOG = Gauge(
    "cityops_outbox_backlog",
    "Notifications waiting, per provider channel ('fanout': jobs not yet expanded)",
    ("channel",),
)
OUTBOX_AGE = Gauge(
    "cityops_outbox_oldest_age_seconds",
    "Age of the oldest waiting notification, per provider channel",
    ("channel",),
)
PUSH_FAILED = Gauge(
    "cityops_push_failed",
    f"Deliveries created in the last {int(FAILED_WINDOW.total_seconds() // 3600)} h that "
    "ended unsent, by channel and reason (dead, dead_token, refused)",
    ("channel", "reason"),
)
CASES_BY_LIGHT = Gauge(
    "cityops_cases_sla",
    "Dispatched cases by SLA light and by level notified (0 none, 1 reminder, 2 escalation)",
    ("light", "level"),
)
CASES_OVERDUE = Gauge(
    "cityops_cases_overdue", "Open cases past their deadline, by state", ("state",)
)
INDEX_BEHIND = Gauge(
    "cityops_places_index_revisions_behind",
    "Place changes this process's nearby index has not applied yet (-1: not loaded)",
)
INDEX_CHECK_AGE = Gauge(
    "cityops_places_index_check_age_seconds",
    "Seconds since this process's nearby index last compared itself with the database",
)
CALENDAR_DAYS_LEFT = Gauge(
    "cityops_calendar_coverage_days_left",
    "Days from today to the end of the last year with holiday data",
)
REFRESH_SECONDS = Gauge(
    "cityops_domain_metrics_refresh_seconds", "Time the last refresh of the domain gauges took"
)

_lock = asyncio.Lock()
_refreshed_at: float | None = None


async def refresh_domain_metrics() -> bool:
    """Set the domain gauges unless this process did so within the cache period; True if
    it read the database. Concurrent scrapes wait for one refresh."""
    global _refreshed_at
    ttl = get_settings().metrics_cache_seconds
    async with _lock:
        if _refreshed_at is not None and time.monotonic() - _refreshed_at < ttl:
            return False
        started = time.perf_counter()
        outbox = await outbox_figures()
        cases = await case_figures()
        index = await freshness()
        days_left = await days_covered_ahead()
        for gauge in (OUTBOX_BACKLOG, OUTBOX_AGE, PUSH_FAILED, CASES_BY_LIGHT, CASES_OVERDUE):
            gauge.clear()
        for channel, (waiting, age) in outbox.backlog.items():
            OUTBOX_BACKLOG.labels(channel).set(waiting)
            OUTBOX_AGE.labels(channel).set(age)
        for (channel, reason), count in outbox.failed.items():
            PUSH_FAILED.labels(channel, reason).set(count)
        for (light, level), count in cases.lights.items():
            CASES_BY_LIGHT.labels(light, str(level)).set(count)
        for state, count in cases.overdue.items():
            CASES_OVERDUE.labels(state).set(count)
        INDEX_BEHIND.set(-1 if index.revisions_behind is None else index.revisions_behind)
        INDEX_CHECK_AGE.set(index.seconds_since_check or 0.0)
        CALENDAR_DAYS_LEFT.set(days_left)
        REFRESH_SECONDS.set(time.perf_counter() - started)
        _refreshed_at = time.monotonic()
        return True


def forget_refresh() -> None:
    """The next scrape reads the database again (tests)."""
    global _refreshed_at
    _refreshed_at = None
