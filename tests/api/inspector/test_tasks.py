"""My tasks: verify, handle, check; by SLA urgency, keyset pages, distance."""

import datetime as dt

import pytest

from core import clock
from tests.api.inspector.field import citizen_report, dispatched_case, ok, photo, resolved_case
from tests.cases_city import IN_GRID, IN_GRID_NE, build_city
from tests.helpers import assert_problem

TASKS = "/api/inspector/tasks"


@pytest.fixture
async def city(api):
    return await build_city(api)


async def _tasks(api, session, **params):
    response = await api.get(TASKS, params=params, headers=session.headers)
    assert response.status_code == 200, response.text
    return response.json()


async def test_each_role_sees_what_waits_for_it(api, city):
    citizen = await api.citizen()
    to_verify = await citizen_report(api, citizen, at=IN_GRID_NE)
    to_handle = await dispatched_case(api, city)
    to_check = await resolved_case(api, city)
    mine = await _tasks(api, city.inspector)
    assert {(t["kind"], t["case"]["id"]) for t in mine["items"]} == {
        ("verify", to_verify),
        ("check", to_check),
    }
    handler = await _tasks(api, city.handler_hw)
    assert [(t["kind"], t["case"]["id"]) for t in handler["items"]] == [("handle", to_handle)]
    assert handler["items"][0]["light"] == "green"
    only = await _tasks(api, city.inspector, kind="check")
    assert [t["case"]["id"] for t in only["items"]] == [to_check]
    assert await _tasks(api, city.handler_sz) == {"items": [], "nextCursor": None}


async def test_sorted_by_urgency_with_keyset_pages(api, city):
    citizen = await api.citizen()
    first = await citizen_report(api, citizen)
    clock.travel(dt.timedelta(minutes=5))
    second = await citizen_report(api, citizen)
    checked = await resolved_case(api, city)  # due 4 h after resolution: after both reports
    seen, cursor = [], None
    while True:
        params = {"limit": 1, **({"cursor": cursor} if cursor else {})}
        page = await _tasks(api, city.inspector, **params)
        seen += [t["case"]["id"] for t in page["items"]]
        cursor = page["nextCursor"]
        if cursor is None:
            break
    assert seen == [first, second, checked]
    due = [t["dueAt"] for t in (await _tasks(api, city.inspector))["items"]]
    assert due == sorted(due)


async def test_distance_from_my_position(api, city):
    await citizen_report(api, await api.citizen())
    page = await _tasks(api, city.inspector, lat=IN_GRID[0] + 0.001, lon=IN_GRID[1])
    assert page["items"][0]["distanceM"] == pytest.approx(111, abs=2)
    assert (await _tasks(api, city.inspector))["items"][0]["distanceM"] is None
    response = await api.get(TASKS, params={"lat": 36.0}, headers=city.inspector.headers)
    assert_problem(response, 422, "request.field_required")


async def test_my_own_resolution_is_not_a_check_task_for_me(api, city):
    from accounts.tables import Staff

    await Staff.update({Staff.org_unit_id: city.unit_ids["370202-HW"]}).where(
        Staff.id == city.inspector.subject_id
    )
    case_id = await dispatched_case(api, city)
    assert [t["kind"] for t in (await _tasks(api, city.inspector))["items"]] == ["handle"]
    await ok(
        api, city.inspector, case_id, "resolve", {"mediaIds": [await photo(api, city.inspector)]}
    )
    assert (await _tasks(api, city.inspector))["items"] == []


async def test_bad_cursor_and_kind_are_refused(api, city):
    assert_problem(
        await api.get(TASKS, params={"cursor": "not-a-cursor"}, headers=city.inspector.headers),
        400,
        "request.invalid_cursor",
    )
    response = await api.get(TASKS, params={"kind": "nap"}, headers=city.inspector.headers)
    assert response.status_code == 400
