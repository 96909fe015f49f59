"""Followers counted on the case, and the one priority step a case gets when its category's
follower threshold is reached (cases.crowd)."""

import json

import pytest

from cases.tables import CaseEvent
from tests.api.citizen.test_reports import REPORTS, _act, _report, _state
from tests.cases_city import build_city
from tests.helpers import assert_problem

CATEGORIES = "/api/admin/categories"


@pytest.fixture
async def city(api):
    return await build_city(api)


@pytest.fixture
async def admin(api):
    return await api.staff("admin")


async def _threshold(api, admin, value, code="C0301"):
    response = await api.patch(
        f"{CATEGORIES}/{code}", json={"followerThreshold": value}, headers=admin.headers
    )
    assert response.status_code == 200, response.text
    assert response.json()["followerThreshold"] == value


async def _case(api, city, **accept):
    reporter = await api.citizen()
    case_id = (await _report(api, reporter, category="C0301")).json()["id"]
    await _act(api, city, case_id, "accept", **accept)
    return reporter, case_id


async def _follow(api, case_id, count):
    followers = [await api.citizen() for _ in range(count)]
    for who in followers:
        response = await api.post(f"{REPORTS}/{case_id}/follow", headers=who.headers)
        assert response.status_code == 200, response.text
    return followers


async def _crowd_events(api, city, case_id):
    return [
        e for e in (await _state(api, city, case_id))["events"] if e["action"] == "crowd_priority"
    ]


async def test_the_default_threshold_is_ten(api, admin, city):
    category = (await api.get(f"{CATEGORIES}/C0301", headers=admin.headers)).json()
    assert category["followerThreshold"] == 10


async def test_followers_are_counted_on_both_views(api, admin, city):
    reporter, case_id = await _case(api, city)
    (bob, carol) = await _follow(api, case_id, 2)
    assert (await api.get(f"{REPORTS}/{case_id}", headers=reporter.headers)).json()[
        "followers"
    ] == 2
    assert (await api.get(f"{REPORTS}/{case_id}", headers=bob.headers)).json()["followers"] == 2
    assert (await _state(api, city, case_id))["case"]["followers"] == 2
    await api.delete(f"{REPORTS}/{case_id}/follow", headers=carol.headers)
    assert (await _state(api, city, case_id))["case"]["followers"] == 1


async def test_reaching_the_threshold_raises_priority_once(api, admin, city):
    await _threshold(api, admin, 2)
    _, case_id = await _case(api, city, autoDispatch=False)
    before = (await _state(api, city, case_id))["case"]["priority"]
    assert before == 3
    (bob,) = await _follow(api, case_id, 1)
    assert (await _state(api, city, case_id))["case"]["priority"] == 3
    await _follow(api, case_id, 1)
    assert (await _state(api, city, case_id))["case"]["priority"] == 2
    (event,) = await _crowd_events(api, city, case_id)
    assert event["actorKind"] == "system"
    row = await CaseEvent.objects().where(CaseEvent.action == "crowd_priority").first()
    assert json.loads(row.data) == {
        "followers": 2,
        "threshold": 2,
        "from": 3,
        "to": 2,
        "deadline": "at dispatch",
    }
    # Leaving and coming back, or more followers, do not raise it again.
    await api.delete(f"{REPORTS}/{case_id}/follow", headers=bob.headers)
    await api.post(f"{REPORTS}/{case_id}/follow", headers=bob.headers)
    await _follow(api, case_id, 2)
    detail = await _state(api, city, case_id)
    assert detail["case"]["priority"] == 2 and len(await _crowd_events(api, city, case_id)) == 1


async def test_a_dispatched_case_keeps_its_deadline(api, admin, city):
    await _threshold(api, admin, 1)
    _, case_id = await _case(api, city)
    detail = await _state(api, city, case_id)
    assert detail["case"]["state"] == "dispatched"
    await _follow(api, case_id, 1)
    after = await _state(api, city, case_id)
    assert after["case"]["priority"] == detail["case"]["priority"] - 1
    assert after["case"]["deadline"] == detail["case"]["deadline"]
    row = await CaseEvent.objects().where(CaseEvent.action == "crowd_priority").first()
    assert json.loads(row.data)["deadline"] == "kept"


async def test_zero_means_never(api, admin, city):
    await _threshold(api, admin, 0)
    _, case_id = await _case(api, city, autoDispatch=False)
    await _follow(api, case_id, 3)
    assert (await _state(api, city, case_id))["case"]["priority"] == 3
    assert await _crowd_events(api, city, case_id) == []


async def test_a_crowd_never_makes_a_case_urgent(api, admin, city):
    await _threshold(api, admin, 1)
    response = await api.patch(
        f"{CATEGORIES}/C0301", json={"defaultPriority": 2}, headers=admin.headers
    )
    assert response.status_code == 200, response.text
    _, case_id = await _case(api, city, autoDispatch=False)
    await _follow(api, case_id, 2)
    assert (await _state(api, city, case_id))["case"]["priority"] == 2
    assert await _crowd_events(api, city, case_id) == []


async def test_a_bad_threshold_is_refused(api, admin, city):
    response = await api.patch(
        f"{CATEGORIES}/C0301", json={"followerThreshold": -1}, headers=admin.headers
    )
    assert_problem(response, 400, "request.invalid")
