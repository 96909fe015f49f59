"""Admin writes outside the configuration API are audited too (who, when, route, result);
failed writes and reads leave no entry."""

import pytest

from tests.cases_city import AUTO_CATEGORY, IN_GRID, build_city
from tests.helpers import upload_photo


async def _writes(api, headers) -> list[dict]:
    """The trail without the sign-ins the test's own staff made."""
    entries = (await api.get("/api/admin/audit", headers=headers)).json()["items"]
    return [e for e in entries if e["targetKind"] != "sign_in"]


@pytest.fixture
async def city(api):
    return await build_city(api)


async def test_case_action_is_recorded_by_the_catch_all(api, city):
    citizen = await api.citizen()
    body = {
        "category": AUTO_CATEGORY,
        "location": {"lat": IN_GRID[0], "lon": IN_GRID[1]},
        "mediaIds": [await upload_photo(api.client, citizen)],
    }
    case_id = (await api.post("/api/citizen/reports", json=body, headers=citizen.headers)).json()[
        "id"
    ]
    headers = city.operator.headers
    refused = await api.post(f"/api/admin/cases/{case_id}/close", json={}, headers=headers)
    assert refused.status_code == 409
    await api.get(f"/api/admin/cases/{case_id}", headers=headers)
    resolved = await api.post(
        f"/api/admin/cases/{case_id}/resolve", json={"note": "已清理"}, headers=headers
    )
    assert resolved.status_code == 200, resolved.text
    entries = await _writes(api, headers)
    assert len(entries) == 1, [(e["action"], e["targetId"]) for e in entries]
    entry = entries[0]
    assert entry["action"] == "POST /cases/{case_id}/{action}"
    assert entry["targetKind"] == "cases" and entry["targetId"] == f"{case_id},resolve"
    assert entry["actorId"] == city.operator.subject_id and entry["actorRole"] == "operator"
    assert entry["before"] is None and entry["after"]["case"]["state"] == "resolved"


async def test_config_writes_are_recorded_once(api):
    admin = await api.staff("admin")
    response = await api.put(
        "/api/admin/calendar/2026-10-12", json={"isWorkday": False}, headers=admin.headers
    )
    assert response.status_code == 200
    entries = await _writes(api, admin.headers)
    assert [e["action"] for e in entries] == ["calendar.set"]
