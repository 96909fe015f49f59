from __future__ import annotations

import msgspec
from litestar import Controller, get

from api.observability import CALENDAR_DAYS_WITHOUT_DATA
from core import replica
from core.db import database_label, raw
from core.errors import ServiceUnavailable
from org.calendar import Coverage, coverage
from places import index as nearby_index
from places.errors import IndexWarming


class Degraded(msgspec.Struct, frozen=True, rename="camel", omit_defaults=True):
    """Something that works but will go wrong: worth a warning, not a restart."""

    code: str
    detail: str
    missing_years: list[int] = []
    days_without_data: int = 0


class Health(msgspec.Struct, frozen=True, omit_defaults=True):
    status: str
    database: str | None = None
    degraded: list[Degraded] | None = None


async def calendar_coverage() -> Coverage:
    """The coming days' holiday data, also set as the metric (every process that answers
    /readyz or /metrics has it current)."""
    found = await coverage()
    CALENDAR_DAYS_WITHOUT_DATA.set(found.days_without_data)
    return found


def _degraded(found: Coverage) -> list[Degraded] | None:
    if not found.missing_years:
        return None
    years = ", ".join(map(str, found.missing_years))
    return [
        Degraded(
            code="calendar.missing",
            detail=f"no holiday data for {years} (until {found.last}): SLA deadlines would "
            "count its holidays as working days; import the official arrangement "
            "(POST /api/admin/calendar/import)",
            missing_years=found.missing_years,
            days_without_data=found.days_without_data,
        )
    ]


async def _replica_degraded() -> list[Degraded]:
    if not replica.configured() or await replica.fit_pool() is not None:
        return []
    return [
        Degraded(
            code="replica.skipped",
            detail="statistics, exports and public listings are read on the primary: the "
            f"replica is {replica.skipped_because()}",
        )
    ]


class HealthController(Controller):
    path = ""
    tags = ["operations"]
    include_in_schema = True

    @get("/healthz", summary="The process is alive")
    async def alive(self) -> Health:
        return Health(status="ok")

    @get(
        "/readyz",
        summary="The database answers (200); ``degraded`` names what works but will go wrong",
    )
    async def ready(self) -> Health:
        if not nearby_index.ready():
            raise IndexWarming()  # the places are loading (places.index.start_background)
        try:
            await raw("SELECT 1")
            found = await calendar_coverage()
        except Exception as exc:  # any failure to reach the database means not ready
            raise ServiceUnavailable() from exc
        degraded = [*(_degraded(found) or []), *await _replica_degraded()]
        return Health(
            status="ok", database=database_label().split(":")[0], degraded=degraded or None
        )
