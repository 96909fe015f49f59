"""Command centres at every level see and act on the cases of their area only; handlers on
their unit's; a case out of scope is a 404. Duty rosters and the supervisor role."""

import datetime as dt

import pytest

from core import clock
from tests.helpers import assert_problem
from tests.levels_city import (
    IN_GRID,
    IN_GRID_NE,
    NORTH_UNIT_GRID,
    admin_case,
    build_levels,
    file_report,
)

CASES = "/api/admin/cases"


@pytest.fixture
async def lv(api, settings_env):
    settings_env(CITYOPS_ACCESS_TOKEN_TTL_SECONDS=str(90 * 86400))
    return await build_levels(api)


async def _listed(api, session) -> set[str]:
    response = await api.get(CASES, params={"limit": 100}, headers=session.headers)
    assert response.status_code == 200, response.text
    return {item["id"] for item in response.json()["items"]}


async def test_each_centre_sees_its_own_area_and_nothing_else(api, lv):
    badaguan, _ = await file_report(api, at=IN_GRID, seed=1)
    jiangsu, _ = await file_report(api, at=IN_GRID_NE, seed=2)
    north, _ = await file_report(api, at=NORTH_UNIT_GRID, seed=3)
    assert await _listed(api, lv.city_op) == {badaguan, jiangsu, north}
    assert await _listed(api, lv.city.operator) == {badaguan, jiangsu, north}  # no unit: city
    assert await _listed(api, lv.district_op) == {badaguan, jiangsu}
    assert await _listed(api, lv.supervisor) == {badaguan, jiangsu}
    assert await _listed(api, lv.street_op) == {badaguan}
    assert await _listed(api, lv.north_op) == {north}
    # Out of scope is a 404, on reading as on acting, as if it did not exist.
    for path in (f"{CASES}/{jiangsu}", f"/api/inspector/cases/{jiangsu}"):
        assert_problem(await api.get(path, headers=lv.street_op.headers), 404, "case.not_found")
    assert_problem(
        await api.post(
            f"{CASES}/{north}/suspend", json={"reason": "x"}, headers=lv.district_op.headers
        ),
        404,
        "case.not_found",
    )
    assert_problem(
        await api.post(f"{CASES}/{north}/notes", json={"text": "x"}, headers=lv.street_op.headers),
        404,
        "case.not_found",
    )
    assert (await admin_case(api, lv.north_op, north))["case"]["districtId"] == lv.units["north"]


async def test_handlers_see_their_units_cases(api, lv):
    badaguan, _ = await file_report(api, at=IN_GRID, seed=1)
    jiangsu, _ = await file_report(api, at=IN_GRID_NE, seed=2)
    mine = await api.get(f"/api/inspector/cases/{badaguan}", headers=lv.squad_a.headers)
    assert mine.status_code == 200 and "acknowledge" in mine.json()["actions"]
    assert_problem(
        await api.get(f"/api/inspector/cases/{jiangsu}", headers=lv.squad_a.headers),
        404,
        "case.not_found",
    )


async def test_a_supervisor_reads_and_orders_but_does_not_work_cases(api, lv):
    case_id, _ = await file_report(api, at=IN_GRID)
    detail = await admin_case(api, lv.supervisor, case_id)
    assert "supervise" in detail["actions"] and "redispatch" not in detail["actions"]
    assert_problem(
        await api.post(
            f"{CASES}/{case_id}/suspend", json={"reason": "x"}, headers=lv.supervisor.headers
        ),
        403,
        "auth.role_forbidden",
    )
    noted = await api.post(
        f"{CASES}/{case_id}/notes", json={"text": "请重点关注"}, headers=lv.supervisor.headers
    )
    assert noted.status_code == 200, noted.text


async def test_duty_rosters_are_kept_for_the_units_of_my_area(api, lv):
    start = clock.now()
    shift = {
        "unitId": lv.units["370202001-ZF"],
        "staffId": lv.squad_a.subject_id,
        "startsAt": start.isoformat(),
        "endsAt": (start + dt.timedelta(hours=8)).isoformat(),
    }
    made = await api.post("/api/admin/duty-shifts", json=shift, headers=lv.street_op.headers)
    assert made.status_code == 201, made.text
    assert_problem(
        await api.post("/api/admin/duty-shifts", json=shift, headers=lv.north_op.headers),
        403,
        "auth.role_forbidden",
    )
    for bad, reason in (
        ({"staffId": lv.squad_b.subject_id, "unitId": lv.units["370202-HW"]}, "staff"),
        ({"endsAt": (start - dt.timedelta(hours=1)).isoformat()}, "ends"),
        ({"endsAt": (start + dt.timedelta(days=8)).isoformat()}, "7 days"),
    ):
        body = assert_problem(
            await api.post(
                "/api/admin/duty-shifts", json={**shift, **bad}, headers=lv.district_op.headers
            ),
            422,
            "duty.invalid",
        )
        assert reason in body["detail"]
    window = {"from": start.isoformat(), "to": (start + dt.timedelta(days=1)).isoformat()}
    listed = await api.get("/api/admin/duty-shifts", params=window, headers=lv.district_op.headers)
    assert [s["id"] for s in listed.json()] == [made.json()["id"]]
    assert (
        await api.get("/api/admin/duty-shifts", params=window, headers=lv.north_op.headers)
        and (
            await api.get("/api/admin/duty-shifts", params=window, headers=lv.north_op.headers)
        ).json()
        == []
    )
    assert_problem(
        await api.delete(
            f"/api/admin/duty-shifts/{made.json()['id']}", headers=lv.north_op.headers
        ),
        404,
        "duty.not_found",
    )
    gone = await api.delete(
        f"/api/admin/duty-shifts/{made.json()['id']}", headers=lv.street_op.headers
    )
    assert gone.status_code == 204
