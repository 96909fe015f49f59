"""Who may do what in the inspector app: one test per denial."""

import pytest

from core.db import transaction
from org import grids
from tests.api.inspector.field import (
    CASES,
    act,
    citizen_report,
    dispatched_case,
    ok,
    patrol_report,
    photo,
    resolved_case,
)
from tests.cases_city import IN_GRID, IN_GRID_NE, build_city
from tests.helpers import assert_problem

NE_GRID = "370202003002002"  # the grid of IN_GRID_NE


@pytest.fixture
async def city(api):
    return await build_city(api)


async def _inspector_of(api, grid_code: str):
    other = await api.staff("inspector")
    async with transaction():
        await grids.assign_inspector(grid_code=grid_code, staff_id=other.subject_id)
    return other


async def test_citizen_tokens_are_refused_on_the_inspector_app(api, city):
    citizen = await api.citizen()
    for method, url in (
        ("get", "/api/inspector/tasks"),
        ("get", "/api/inspector/grids"),
        ("post", "/api/inspector/patrols"),
        ("get", "/api/inspector/me/stats"),
    ):
        kwargs = {"json": {}} if method == "post" else {}
        response = await getattr(api, method)(url, headers=citizen.headers, **kwargs)
        assert_problem(response, 403, "auth.wrong_audience")


async def test_no_token_is_refused(api):
    assert_problem(await api.get("/api/inspector/tasks"), 401, "auth.required")


async def test_a_case_outside_my_grids_and_unit_is_not_found(api, city):
    case_id = await citizen_report(api, await api.citizen())  # SW grid
    other = await _inspector_of(api, NE_GRID)
    assert_problem(
        await api.get(f"{CASES}/{case_id}", headers=other.headers), 404, "case.not_found"
    )
    assert_problem(await act(api, other, case_id, "verify", {"valid": True}), 404, "case.not_found")


async def test_closing_a_case_that_is_not_mine_is_not_found(api, city):
    case_id = await resolved_case(api, city)  # SW grid
    other = await _inspector_of(api, NE_GRID)
    response = await act(api, other, case_id, "close", {"mediaIds": [await photo(api, other)]})
    assert_problem(response, 404, "case.not_found")


async def test_inspectors_cannot_act_on_another_grids_case(api, city):
    """Seen (they filed it) but not theirs to check: a 403 naming why."""
    other = await _inspector_of(api, NE_GRID)
    response = await patrol_report(api, other, at=IN_GRID)  # reported outside their grid
    assert response.status_code == 201, response.text
    case_id = response.json()["case"]["id"]
    await ok(
        api, city.handler_hw, case_id, "resolve", {"mediaIds": [await photo(api, city.handler_hw)]}
    )
    response = await act(api, other, case_id, "close", {"mediaIds": [await photo(api, other)]})
    assert_problem(response, 403, "case.not_my_grid")
    assert_problem(
        await act(api, other, case_id, "check", {"passed": True}), 403, "case.not_my_grid"
    )


async def test_only_the_assigned_unit_handles_a_case(api, city):
    case_id = await dispatched_case(api, city)  # sanitation (HW)
    sz = city.handler_sz
    assert_problem(
        await act(api, sz, case_id, "resolve", {"mediaIds": [await photo(api, sz)]}),
        404,
        "case.not_found",
    )
    # The inspector sees it (their grid) but is not of the unit.
    response = await act(
        api, city.inspector, case_id, "resolve", {"mediaIds": [await photo(api, city.inspector)]}
    )
    assert_problem(response, 403, "case.not_assigned")
    assert_problem(
        await act(api, city.inspector, case_id, "request-extension", {"reason": "x"}),
        403,
        "case.not_assigned",
    )


async def test_handlers_cannot_check_cases(api, city):
    case_id = await resolved_case(api, city)
    response = await act(api, city.handler_hw, case_id, "check", {"passed": True})
    assert_problem(response, 403, "case.forbidden")


async def test_nobody_checks_their_own_work(api, city):
    """An inspector who also belongs to the handling unit resolved the case: the event's
    actor says so, and the close is refused."""
    from accounts.tables import Staff

    await Staff.update({Staff.org_unit_id: city.unit_ids["370202-HW"]}).where(
        Staff.id == city.inspector.subject_id
    )
    case_id = await dispatched_case(api, city)
    await ok(
        api, city.inspector, case_id, "resolve", {"mediaIds": [await photo(api, city.inspector)]}
    )
    response = await act(
        api, city.inspector, case_id, "close", {"mediaIds": [await photo(api, city.inspector)]}
    )
    assert_problem(response, 403, "case.own_work")
    # Another inspector of the grid may.
    other = await _inspector_of(api, "370202001001001")
    body = await ok(api, other, case_id, "close", {"mediaIds": [await photo(api, other)]})
    assert body["case"]["state"] == "closed"


async def test_handlers_cannot_verify_or_file_patrol_reports(api, city):
    case_id = await citizen_report(api, await api.citizen())
    other = await api.staff("handler")
    assert_problem(await act(api, other, case_id, "verify", {"valid": True}), 404, "case.not_found")
    response = await patrol_report(api, city.handler_hw, photos=[await photo(api, city.handler_hw)])
    assert_problem(response, 403, "auth.role_forbidden")


async def test_patrols_are_for_inspectors(api, city):
    response = await api.post("/api/inspector/patrols", json={}, headers=city.handler_hw.headers)
    assert_problem(response, 403, "auth.role_forbidden")


async def test_another_inspectors_patrol_is_not_found(api, city):
    started = await api.post("/api/inspector/patrols", json={}, headers=city.inspector.headers)
    patrol_id = started.json()["id"]
    other = await _inspector_of(api, NE_GRID)
    assert_problem(
        await api.get(f"/api/inspector/patrols/{patrol_id}", headers=other.headers),
        404,
        "patrol.not_found",
    )
    response = await api.post(
        f"/api/inspector/patrols/{patrol_id}/end", json={}, headers=other.headers
    )
    assert_problem(response, 404, "patrol.not_found")


async def test_inspectors_cannot_set_patrol_duties(api, city):
    response = await api.post("/api/admin/patrol-duties", json={}, headers=city.inspector.headers)
    assert_problem(response, 403, "auth.role_forbidden")


async def test_the_full_phone_is_only_for_who_must_act(api, city):
    citizen = await api.citizen_by_phone("13812345678")
    case_id = await citizen_report(api, citizen, at=IN_GRID_NE)
    view = (await api.get(f"{CASES}/{case_id}", headers=city.inspector.headers)).json()
    assert view["case"]["reporterPhone"] == "138****5678" and view["actions"] == ["verify"]
    shown = await act(api, city.inspector, case_id, "reporter-phone")
    assert shown.status_code == 200 and shown.json()["phone"] == "+8613812345678"
    await ok(api, city.inspector, case_id, "verify", {"valid": False, "reason": "重复"})
    # Rejected: nothing left to do, so the number stays masked.
    assert_problem(await act(api, city.inspector, case_id, "reporter-phone"), 403, "case.forbidden")
    events = (await api.get(f"{CASES}/{case_id}", headers=city.inspector.headers)).json()
    assert "reveal_phone" in [e["action"] for e in events["events"]]
