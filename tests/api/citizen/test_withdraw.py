"""A citizen takes back a report before it is accepted; never after, never someone else's,
and a withdrawn report earns no points."""

import pytest

from tests.api.citizen.test_reports import REPORTS, _act, _report, _state
from tests.cases_city import AUTO_CATEGORY, build_city
from tests.helpers import assert_problem


@pytest.fixture
async def city(api):
    return await build_city(api)


async def _withdraw(api, who, case_id, **body):
    return await api.post(f"{REPORTS}/{case_id}/withdraw", json=body, headers=who.headers)


async def test_a_report_waiting_for_verification_can_be_withdrawn(api, city):
    citizen = await api.citizen()
    case_id = (await _report(api, citizen, category="E0102")).json()["id"]
    response = await _withdraw(api, citizen, case_id, reason="拍错了")
    assert response.status_code == 200, response.text
    view = response.json()
    assert view["state"] == "cancelled" and view["timeline"][-1]["text"] == "您已撤回上报"
    detail = await _state(api, city, case_id)
    assert detail["case"]["state"] == "cancelled"
    event = detail["events"][-1]
    assert (event["action"], event["actorKind"], event["note"]) == ("withdraw", "citizen", "拍错了")
    listed = (await api.get(REPORTS, headers=citizen.headers)).json()["items"]
    assert [(i["id"], i["state"]) for i in listed] == [(case_id, "cancelled")]


async def test_the_reason_is_optional(api, city):
    citizen = await api.citizen()
    case_id = (await _report(api, citizen, category="E0102")).json()["id"]
    response = await api.post(f"{REPORTS}/{case_id}/withdraw", headers=citizen.headers)
    assert response.status_code == 200, response.text
    assert response.json()["state"] == "cancelled"


async def test_an_accepted_report_cannot_be_withdrawn(api, city):
    citizen = await api.citizen()
    case_id = (await _report(api, citizen, category="E0102")).json()["id"]
    await _act(api, city, case_id, "accept")
    response = await _withdraw(api, citizen, case_id)
    assert_problem(response, 409, "case.not_withdrawable")
    assert response.json()["state"] == "dispatched"
    auto = (await _report(api, citizen, category=AUTO_CATEGORY)).json()["id"]
    assert_problem(await _withdraw(api, citizen, auto), 409, "case.not_withdrawable")


async def test_withdrawing_twice_is_a_conflict(api, city):
    citizen = await api.citizen()
    case_id = (await _report(api, citizen, category="E0102")).json()["id"]
    assert (await _withdraw(api, citizen, case_id)).status_code == 200
    assert_problem(await _withdraw(api, citizen, case_id), 409, "case.not_withdrawable")


async def test_someone_elses_report_is_a_404(api, city):
    alice, bob = await api.citizen(), await api.citizen()
    case_id = (await _report(api, alice, category="E0102")).json()["id"]
    assert_problem(await _withdraw(api, bob, case_id), 404, "case.not_found")
    assert (await _state(api, city, case_id))["case"]["state"] == "reported"


async def test_a_follower_is_told_only_the_reporter_may(api, city):
    alice, bob = await api.citizen(), await api.citizen()
    case_id = (await _report(api, alice, category="C0301")).json()["id"]
    await _act(api, city, case_id, "accept", autoDispatch=False)
    await api.post(f"{REPORTS}/{case_id}/follow", headers=bob.headers)
    assert_problem(await _withdraw(api, bob, case_id), 403, "case.reporter_only")


async def test_a_withdrawn_report_earns_no_points(api, city):
    admin = await api.staff("admin")
    response = await api.patch(
        "/api/admin/categories/E0102",
        json={"pointsOnAccept": 5, "pointsOnClose": 5},
        headers=admin.headers,
    )
    assert response.status_code == 200, response.text
    # The category pays at acceptance: an accepted report earns.
    other = await api.citizen()
    accepted = (await _report(api, other, category="E0102")).json()["id"]
    await _act(api, city, accepted, "accept")
    earned = (await api.get("/api/citizen/points", headers=other.headers)).json()
    assert earned["balance"] > 0
    citizen = await api.citizen()
    case_id = (await _report(api, citizen, category="E0102")).json()["id"]
    assert (await _withdraw(api, citizen, case_id)).status_code == 200
    points = (await api.get("/api/citizen/points", headers=citizen.headers)).json()
    assert points["balance"] == 0


async def test_a_too_long_reason_is_refused(api, city):
    citizen = await api.citizen()
    case_id = (await _report(api, citizen, category="E0102")).json()["id"]
    assert_problem(await _withdraw(api, citizen, case_id, reason="x" * 501), 400, "request.invalid")
