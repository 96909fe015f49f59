"""Acting on cases from the inspector app: report, verify, resolve, request, check, close."""

import datetime as dt

import pytest

from cases.tables import CaseEvent, CaseRequest
from core import clock
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
from tests.cases_city import IN_GRID, build_city
from tests.helpers import assert_problem


@pytest.fixture
async def city(api):
    return await build_city(api)


async def test_patrol_report_is_accepted_and_dispatched_at_once(api, city):
    seen = (clock.now() - dt.timedelta(minutes=30)).isoformat()
    response = await patrol_report(api, city.inspector, key="rep-1", occurredAt=seen)
    assert response.status_code == 201, response.text
    body = response.json()
    case = body["case"]
    assert case["state"] == "dispatched" and case["source"] == "inspector"
    assert case["unitId"] == city.unit_ids["370202-HW"]
    assert [e["action"] for e in body["events"]] == ["report", "accept", "dispatch"]
    assert body["events"][0]["occurredAt"] is not None  # the phone's time, beside the server's
    assert [p["role"] for p in body["photos"]] == ["before"]
    again = await patrol_report(api, city.inspector, key="rep-1", description="另一处")
    # The same key with another body is another request: refused, never acted on twice.
    assert_problem(again, 422, "idempotency.key_reused")
    replay = await api.post(
        CASES,
        headers={**city.inspector.headers, "Idempotency-Key": "rep-1"},
        json={
            "category": "E0102",
            "location": {"lat": IN_GRID[0], "lon": IN_GRID[1]},
            "mediaIds": [p["id"] for p in body["photos"]],
            "description": "人行道上有暴露垃圾",
            "occurredAt": seen,
        },
    )
    assert replay.status_code == 201 and replay.headers.get("Idempotent-Replayed") == "true"
    assert replay.json()["case"]["id"] == case["id"]


async def test_verify_valid_dispatches_and_invalid_rejects_with_a_reason(api, city):
    citizen = await api.citizen()
    first = await citizen_report(api, citizen)
    body = await ok(api, city.inspector, first, "verify", {"valid": True, "note": "属实"})
    assert body["case"]["state"] == "dispatched"
    assert [e["action"] for e in body["events"]][-2:] == ["accept", "dispatch"]
    second = await citizen_report(api, citizen)
    assert_problem(
        await act(api, city.inspector, second, "verify", {"valid": False}),
        422,
        "case.reason_required",
    )
    body = await ok(
        api, city.inspector, second, "verify", {"valid": False, "reason": "现场未发现垃圾"}
    )
    assert body["case"]["state"] == "rejected" and body["events"][-1]["note"] == "现场未发现垃圾"
    assert_problem(
        await act(api, city.inspector, second, "verify", {"valid": True}),
        409,
        "case.invalid_transition",
    )


async def test_handler_resolves_with_after_photos_and_a_note(api, city):
    case_id = await dispatched_case(api, city)
    assert_problem(
        await act(api, city.handler_hw, case_id, "resolve", {"mediaIds": []}),
        422,
        "case.photo_count",
    )
    after = await photo(api, city.handler_hw)
    when = (clock.now() - dt.timedelta(minutes=5)).isoformat()
    body = await ok(
        api,
        city.handler_hw,
        case_id,
        "resolve",
        {"mediaIds": [after], "note": "已清运", "occurredAt": when},
    )
    assert body["case"]["state"] == "resolved"
    resolve = body["events"][-1]
    assert resolve["action"] == "resolve" and resolve["actorId"] == city.handler_hw.subject_id
    assert resolve["mediaIds"] == [after] and resolve["occurredAt"] is not None
    assert {p["role"] for p in body["photos"]} == {"before", "after"}


async def test_check_pass_closes_and_fail_reworks_counted(api, city):
    case_id = await resolved_case(api, city)
    assert_problem(
        await act(api, city.inspector, case_id, "check", {"passed": False}),
        422,
        "case.reason_required",
    )
    body = await ok(api, city.inspector, case_id, "check", {"passed": False, "reason": "仍有残留"})
    assert body["case"]["state"] == "dispatched" and body["case"]["reworkCount"] == 1
    after = await photo(api, city.handler_hw)
    await ok(api, city.handler_hw, case_id, "resolve", {"mediaIds": [after]})
    body = await ok(api, city.inspector, case_id, "check", {"passed": True})
    assert body["case"]["state"] == "closed" and body["case"]["reworkCount"] == 1


async def test_one_tap_close_checks_and_closes_with_after_photos(api, city):
    case_id = await resolved_case(api, city)
    mine = await photo(api, city.inspector)
    body = await ok(api, city.inspector, case_id, "close", {"mediaIds": [mine], "note": "干净"})
    assert body["case"]["state"] == "closed" and body["case"]["closedAt"]
    assert body["events"][-1]["action"] == "close"
    assert "check" in {p["role"] for p in body["photos"]}
    again = await act(
        api, city.inspector, case_id, "close", {"mediaIds": [await photo(api, city.inspector)]}
    )
    assert_problem(again, 409, "case.invalid_transition")


async def test_closing_a_case_that_is_not_resolved_is_refused(api, city):
    case_id = await dispatched_case(api, city)
    response = await act(
        api, city.inspector, case_id, "close", {"mediaIds": [await photo(api, city.inspector)]}
    )
    assert_problem(response, 409, "case.invalid_transition")


async def test_close_needs_after_photos_that_are_mine(api, city):
    case_id = await resolved_case(api, city)
    assert_problem(
        await act(api, city.inspector, case_id, "close", {"mediaIds": []}), 422, "case.photo_count"
    )
    theirs = await photo(api, city.handler_hw)
    assert_problem(
        await act(api, city.inspector, case_id, "close", {"mediaIds": [theirs]}),
        404,
        "media.not_found",
    )
    assert_problem(
        await act(api, city.inspector, case_id, "close", {"mediaIds": ["m_nope"]}),
        404,
        "media.not_found",
    )


async def test_request_extension_and_return_wait_for_an_operator(api, city):
    case_id = await dispatched_case(api, city)
    assert_problem(
        await act(api, city.handler_hw, case_id, "request-extension", {"reason": " "}),
        422,
        "case.reason_required",
    )
    body = await ok(
        api, city.handler_hw, case_id, "request-extension", {"reason": "需要调配车辆", "hours": 16}
    )
    assert body["events"][-1]["action"] == "request_extension"
    assert_problem(
        await act(api, city.handler_hw, case_id, "request-extension", {"reason": "再次申请"}),
        409,
        "case.request_pending",
    )
    await ok(api, city.handler_hw, case_id, "request-return", {"reason": "不属于本单位职责"})
    requests = await CaseRequest.objects().order_by(CaseRequest.id)
    assert [(r.kind, r.status, r.hours) for r in requests] == [
        ("extension", "pending", 16),
        ("return", "pending", None),
    ]
    approved = await api.post(
        f"/api/admin/cases/{case_id}/approve-return", json={}, headers=city.operator.headers
    )
    assert approved.status_code == 200 and approved.json()["case"]["state"] == "returned"


async def test_quick_creates_resolves_and_closes_in_one_request(api, city):
    before = await photo(api, city.inspector)
    after = await photo(api, city.inspector)
    response = await api.post(
        f"{CASES}/quick",
        headers={**city.inspector.headers, "Idempotency-Key": "quick-1"},
        json={
            "category": "E0102",
            "location": {"lat": IN_GRID[0], "lon": IN_GRID[1]},
            "mediaIds": [before],
            "afterMediaIds": [after],
            "note": "已随手清理",
        },
    )
    assert response.status_code == 201, response.text
    body = response.json()
    assert body["case"]["state"] == "closed" and "self_handled" in body["case"]["flags"]
    assert [e["action"] for e in body["events"]] == [
        "report",
        "accept",
        "self_assign",
        "resolve",
        "close",
    ]
    assert {(p["id"], p["role"]) for p in body["photos"]} == {(before, "before"), (after, "after")}
    # Nobody else was given a task for it.
    tasks = await api.get("/api/inspector/tasks", headers=city.handler_hw.headers)
    assert tasks.json()["items"] == []


async def test_quick_needs_both_photos_and_my_grid(api, city):
    body = {
        "category": "E0102",
        "location": {"lat": IN_GRID[0], "lon": IN_GRID[1]},
        "mediaIds": [await photo(api, city.inspector)],
        "afterMediaIds": [],
    }
    assert_problem(
        await api.post(f"{CASES}/quick", json=body, headers=city.inspector.headers),
        422,
        "case.photo_count",
    )
    other = await api.staff("inspector")
    body = {
        **body,
        "mediaIds": [await photo(api, other)],
        "afterMediaIds": [await photo(api, other)],
    }
    assert_problem(
        await api.post(f"{CASES}/quick", json=body, headers=other.headers), 403, "case.not_my_grid"
    )


async def test_occurred_at_in_the_future_is_refused(api, city):
    case_id = await resolved_case(api, city)
    future = (clock.now() + dt.timedelta(hours=1)).isoformat()
    response = await act(
        api, city.inspector, case_id, "check", {"passed": True, "occurredAt": future}
    )
    assert_problem(response, 422, "request.time_in_future")


async def test_every_event_keeps_the_client_time_beside_the_server_time(api, city):
    case_id = await resolved_case(api, city)
    offline = clock.now() - dt.timedelta(hours=2)
    await ok(
        api, city.inspector, case_id, "check", {"passed": True, "occurredAt": offline.isoformat()}
    )
    event = await CaseEvent.objects().where(CaseEvent.action == "close").first()
    assert clock.as_utc(event.occurred_at) == offline.replace(microsecond=offline.microsecond)
    assert clock.as_utc(event.created_at) > clock.as_utc(event.occurred_at)
