"""Working hours: the city's (CITYOPS_WORKING_HOURS, checked at start) and an org unit's own
(PUT/DELETE /api/admin/org-units/{id}/working-hours), counted by the SLA clock of the cases
the unit handles."""

import datetime as dt
import os
from zoneinfo import ZoneInfo

import pytest

from core.settings import load_settings
from tests.api.admin.test_calendar_import import travel_to
from tests.helpers import assert_problem
from tests.levels_city import admin_case, build_levels, file_report

A = "/api/admin"
CST = ZoneInfo("Asia/Shanghai")
# Tuesday 3 November 2026, 10:00: a plain working week on the national calendar.
FILED_AT = dt.datetime(2026, 11, 3, 10, 0, tzinfo=CST)


@pytest.fixture
async def lv(api, settings_env):
    settings_env(CITYOPS_ACCESS_TOKEN_TTL_SECONDS=str(900 * 86400))
    travel_to(FILED_AT - dt.timedelta(hours=1))
    return await build_levels(api)


@pytest.fixture
async def admin(api, lv):
    admin = await api.staff("admin")
    # E0502 cases (dispatched at once to 八大关's squad) are due after 8 working hours.
    patched = await api.patch(
        f"{A}/categories/E0502",
        json={"slaValue": 8, "slaUnit": "working_hours"},
        headers=admin.headers,
    )
    assert patched.status_code == 200, patched.text
    return admin


def _hours_url(unit_id: int) -> str:
    return f"{A}/org-units/{unit_id}/working-hours"


async def _due(api, lv, *, seed: int) -> dt.datetime:
    travel_to(FILED_AT)
    case_id, _ = await file_report(api, seed=seed)
    case = (await admin_case(api, lv.street_op, case_id))["case"]
    assert case["state"] == "dispatched"
    # The clock runs on while the test does: the deadline counts from the filing second.
    return dt.datetime.fromisoformat(case["deadline"]).replace(second=0, microsecond=0)


async def test_a_units_own_hours_set_the_deadline_of_the_cases_it_handles(
    api, lv, admin, settings_env
):
    # Caches trusted for an hour: the process that sets the hours must forget its own.
    settings_env(CITYOPS_CACHE_CHECK_SECONDS="3600")
    squad = lv.units["370202001-ZF"]
    # City hours: 10:00-12:00 and 13:30-17:30 on Tuesday (6 h), then 2 h from 08:30 Wednesday.
    assert await _due(api, lv, seed=1) == dt.datetime(2026, 11, 4, 10, 30, tzinfo=CST)

    response = await api.put(
        _hours_url(squad), json={"workingHours": "08:00-12:00, 14:00-18:00"}, headers=admin.headers
    )
    assert response.status_code == 200, response.text
    assert response.json()["workingHours"] == "08:00-12:00,14:00-18:00"
    # The squad's hours: 10:00-12:00 and 14:00-18:00 (6 h), then 2 h from 08:00 Wednesday.
    assert await _due(api, lv, seed=2) == dt.datetime(2026, 11, 4, 10, 0, tzinfo=CST)

    other = await api.get(f"{A}/org-units/{lv.units['370202-HW']}", headers=admin.headers)
    assert other.json()["workingHours"] == ""  # other units keep the city's

    assert (await api.delete(_hours_url(squad), headers=admin.headers)).status_code == 204
    assert await _due(api, lv, seed=3) == dt.datetime(2026, 11, 4, 10, 30, tzinfo=CST)

    audit = await api.get(
        f"{A}/audit", params={"action": "org_unit.working_hours"}, headers=admin.headers
    )
    entries = audit.json()["items"]
    assert len(entries) == 2
    assert {e["after"]["working_hours"] for e in entries} == {"", "08:00-12:00,14:00-18:00"}


@pytest.mark.parametrize(
    "hours",
    [
        "13:30-17:30,08:30-12:00",  # out of order
        "08:00-12:00,11:00-13:00",  # overlapping
        "18:00-08:00",  # past midnight: not within a day
        "09:00-09:00",  # empty
        "8-12",  # not HH:MM
        "08:00-24:30",  # no such time
        "08:00",  # no end
        ",".join(f"{h:02d}:00-{h:02d}:30" for h in range(8, 15)),  # seven periods
    ],
)
async def test_bad_hours_are_refused_and_change_nothing(api, lv, admin, hours):
    squad = lv.units["370202001-ZF"]
    body = assert_problem(
        await api.put(_hours_url(squad), json={"workingHours": hours}, headers=admin.headers),
        422,
        "org.invalid_working_hours",
    )
    assert body["detail"]
    unit = await api.get(f"{A}/org-units/{squad}", headers=admin.headers)
    assert unit.json()["workingHours"] == ""


async def test_hours_of_an_unknown_unit_or_from_an_operator_are_refused(api, lv, admin):
    assert_problem(
        await api.put(
            _hours_url(999_999), json={"workingHours": "08:00-12:00"}, headers=admin.headers
        ),
        422,
        "org.unknown_unit",
    )
    assert_problem(
        await api.put(
            _hours_url(lv.units["370202001-ZF"]),
            json={"workingHours": "08:00-12:00"},
            headers=lv.city_op.headers,
        ),
        403,
        "auth.role_forbidden",
    )
    assert_problem(
        await api.put(_hours_url(lv.units["370202001-ZF"]), json={}, headers=admin.headers),
        400,
        "request.invalid",
    )


async def test_the_city_hours_setting_sets_deadlines(api, lv, admin, settings_env):
    settings_env(CITYOPS_WORKING_HOURS="09:00-17:00")
    # 10:00-17:00 on Tuesday (7 h), then 1 h from 09:00 Wednesday.
    assert await _due(api, lv, seed=4) == dt.datetime(2026, 11, 4, 10, 0, tzinfo=CST)


@pytest.mark.parametrize(
    "hours", ["", "17:30-13:30", "08:30-12:00;13:30-17:30", "08:30-12:00,11:00-13:00"]
)
def test_bad_city_hours_stop_the_start_naming_the_setting(hours):
    with pytest.raises(SystemExit) as stopped:
        load_settings({**os.environ, "CITYOPS_WORKING_HOURS": hours})
    assert "CITYOPS_WORKING_HOURS" in str(stopped.value)
