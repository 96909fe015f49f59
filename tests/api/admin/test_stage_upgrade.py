"""Cases filed before the case row kept its stage seconds get them from their history when
`cityops migrate` upgrades an older SQLite database: the statistics do not change."""

import datetime as dt

import pytest

from core import clock, db
from core.schema import migrate
from tests.api.admin.test_stats import ADMIN_CASES, STATS, _report, _window
from tests.cases_city import AUTO_CATEGORY, build_city

_COLUMNS = ("state_entered_at", "accept_seconds", "dispatch_seconds", "resolve_seconds")


def _same(stats: dict) -> dict:
    """The figures as they were; stage seconds to the millisecond SQLite reads times in."""

    def row(values: dict) -> dict:
        return {
            key: pytest.approx(value, abs=0.02)
            if key.startswith("secondsTo") and value is not None
            else value
            for key, value in values.items()
        }

    return {**stats, "rows": [row(r) for r in stats["rows"]], "totals": row(stats["totals"])}


async def _move(api, headers, case_id, wait, action, body=None):
    clock.travel(wait)
    response = await api.post(f"{ADMIN_CASES}/{case_id}/{action}", json=body or {}, headers=headers)
    assert response.status_code == 200, response.text


async def test_an_older_database_gets_the_same_stage_times_after_migrate(api, settings_env):
    if not db.is_sqlite():
        pytest.skip("PostgreSQL backfills in a migration (the same SQL, its own dialect)")
    settings_env(CITYOPS_ACCESS_TOKEN_TTL_SECONDS=str(90 * 86400))
    city = await build_city(api)
    headers = city.operator.headers
    window = await _window()
    citizen = await api.citizen()
    reworked = await _report(api, citizen, AUTO_CATEGORY, 1)  # accepted and dispatched at once
    waiting = await _report(api, citizen, "E0102", 2)  # waits for verification
    for wait, action in (
        (dt.timedelta(hours=5), "resolve"),
        (dt.timedelta(hours=1), "rework"),
        (dt.timedelta(hours=3), "resolve"),
        (dt.timedelta(minutes=30), "close"),
    ):
        await _move(api, headers, reworked, wait, action, {"note": "已处理"})
    # Part-way through a stage: accepted 40 minutes in, then 25 minutes waiting for dispatch.
    await _move(api, headers, waiting, dt.timedelta(minutes=40), "accept", {"autoDispatch": False})
    clock.travel(dt.timedelta(minutes=25))
    params = {**window, "groupBy": "source"}

    async def stats() -> dict:
        response = await api.get(STATS, params=params, headers=headers)
        assert response.status_code == 200, response.text
        return response.json()

    before = await stats()
    assert before["totals"]["secondsToResolve"] == pytest.approx(8 * 3600, abs=5)
    # As an older checkout left the database: no stage columns on the case row.
    for column in (*_COLUMNS, "close_seconds"):
        await db.raw(f'ALTER TABLE "case_file" DROP COLUMN "{column}"')
    assert await migrate() == "sqlite schema created (5 columns added)"
    assert await stats() == _same(before)
    assert await migrate() == "sqlite schema created"  # nothing left to fill: unchanged
    assert await stats() == _same(before)
    # The waiting case's visit to dispatch goes on from when it was accepted.
    await _move(
        api, headers, waiting, dt.timedelta(0), "dispatch", {"unitId": city.unit_ids["370202-HW"]}
    )
    totals = (await stats())["totals"]
    assert totals["secondsToDispatch"] == pytest.approx((0 + 25 * 60) / 2, abs=5)
