"""Evidence integrity: old or far-away photos are kept, and the case is flagged."""

import datetime as dt

import pytest

from core import clock
from tests.api.inspector.field import ok, patrol_report, photo, resolved_case
from tests.cases_city import IN_GRID, build_city


@pytest.fixture
async def city(api):
    return await build_city(api)


async def test_fresh_photo_taken_on_the_spot_raises_no_flag(api, city):
    fresh = await photo(
        api,
        city.inspector,
        taken=clock.now() - dt.timedelta(minutes=10),
        at=(IN_GRID[0] + 0.001, IN_GRID[1]),
    )  # ~110 m away
    response = await patrol_report(api, city.inspector, photos=[fresh])
    assert response.status_code == 201, response.text
    body = response.json()
    assert body["case"]["flags"] == []
    [shown] = body["photos"]
    assert shown["uploaderKind"] == "staff" and shown["uploaderId"] == city.inspector.subject_id
    assert shown["takenAt"] is not None and shown["takenLat"] == pytest.approx(IN_GRID[0] + 0.001)
    assert shown["uploadedAt"] and shown["flags"] == []


async def test_photo_taken_two_days_before_upload_is_flagged_not_refused(api, city):
    old = await photo(api, city.inspector, taken=clock.now() - dt.timedelta(days=2))
    response = await patrol_report(api, city.inspector, photos=[old])
    assert response.status_code == 201, response.text
    body = response.json()
    assert "evidence_stale" in body["case"]["flags"]
    assert body["photos"][0]["flags"] == ["evidence_stale"]
    assert "evidence_flagged" in [e["action"] for e in body["events"]]


async def test_after_photo_far_from_the_case_is_flagged(api, city):
    case_id = await resolved_case(api, city)
    far = await photo(
        api, city.inspector, taken=clock.now(), at=(IN_GRID[0] + 0.01, IN_GRID[1])
    )  # ~1.1 km north
    body = await ok(api, city.inspector, case_id, "close", {"mediaIds": [far]})
    assert body["case"]["state"] == "closed"
    assert "evidence_far" in body["case"]["flags"]
    flagged = [p for p in body["photos"] if p["id"] == far]
    assert flagged[0]["flags"] == ["evidence_far"]
