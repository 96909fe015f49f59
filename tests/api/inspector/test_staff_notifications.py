"""Every task that lands on a person or a unit tells them, with the right words in zh-CN and
en: 核实 and 核查 for the grid's inspectors, dispatch, rework, reopen and request decisions
for the unit, requests and returns for the command centre."""

from __future__ import annotations

import pytest

from notify.tables import NotificationJob
from notify.worker import Outbox
from org.tables import GridInspector
from tests.api.inspector.field import (
    citizen_report,
    dispatched_case,
    ok,
    photo,
    resolved_case,
)
from tests.cases_city import IN_GRID, build_city

INBOX = "/api/inspector/notifications"


@pytest.fixture
async def city(api):
    return await build_city(api)


async def _told(template: str) -> list[int]:
    jobs = await NotificationJob.objects().where(NotificationJob.template == template)
    return sorted(j.recipient_id for j in jobs if j.recipient_kind == "staff")


async def _inbox(api, session, locale: str = "zh-CN") -> list[dict]:
    await Outbox(providers={}).drain()
    response = await api.get(INBOX, headers={**session.headers, "Accept-Language": locale})
    assert response.status_code == 200, response.text
    return response.json()["items"]


async def test_a_report_waiting_for_verification_says_verify_not_check(api, city):
    citizen = await api.citizen()
    await citizen_report(api, citizen)
    assert await _told("task.verify") == [city.inspector.subject_id]
    [zh] = await _inbox(api, city.inspector)
    assert zh["title"] == "待核实" and "待现场核实" in zh["body"] and "核查" not in zh["body"]
    [en] = await _inbox(api, city.inspector, "en")
    assert en["title"] == "Report to verify"


async def test_a_resolved_case_asks_the_grid_inspectors_to_check(api, city):
    second = await api.staff("inspector")
    rows = await GridInspector.select(GridInspector.grid).where(
        GridInspector.staff_id == city.inspector.subject_id
    )
    await GridInspector.insert(
        *[
            GridInspector(grid=r["grid"], staff_id=second.subject_id, slot=f"{r['grid']}:x")
            for r in rows
        ]
    )
    await resolved_case(api, city)
    assert await _told("task.check") == sorted([city.inspector.subject_id, second.subject_id])
    check = [i for i in await _inbox(api, second) if i["type"] == "task.check"]
    assert check[0]["title"] == "待核查" and "已处置完成" in check[0]["body"]
    check_en = [i for i in await _inbox(api, second, "en") if i["type"] == "task.check"]
    assert check_en[0]["title"] == "Check needed"


async def test_a_case_fixed_on_the_spot_asks_nobody_to_check(api, city):
    body = {
        "category": "E0102",
        "location": {"lat": IN_GRID[0], "lon": IN_GRID[1]},
        "mediaIds": [await photo(api, city.inspector)],
        "afterMediaIds": [await photo(api, city.inspector)],
    }
    response = await api.post(
        "/api/inspector/cases/quick", json=body, headers=city.inspector.headers
    )
    assert response.status_code == 201, response.text
    assert response.json()["case"]["state"] == "closed"
    assert await _told("task.check") == []


async def test_dispatch_rework_and_reopen_reach_the_unit(api, city):
    case_id = await dispatched_case(api, city)
    handler = city.handler_hw.subject_id
    assert handler in await _told("task.new")
    after = await photo(api, city.handler_hw)
    await ok(api, city.handler_hw, case_id, "resolve", {"mediaIds": [after]})
    await ok(api, city.inspector, case_id, "check", {"passed": False, "reason": "垃圾未清完"})
    assert await _told("task.rework") == [handler]
    rework = [i for i in await _inbox(api, city.handler_hw) if i["type"] == "task.rework"]
    assert rework[0]["title"] == "需返工" and "垃圾未清完" in rework[0]["body"]
    rework_en = [i for i in await _inbox(api, city.handler_hw, "en") if i["type"] == "task.rework"]
    number = rework_en[0]["params"]["number"]
    assert rework_en[0]["body"] == f"Case {number} failed the check; please redo it: 垃圾未清完"


async def test_a_reopened_case_goes_back_to_its_unit(api, city):
    citizen = await api.citizen()
    case_id = await citizen_report(api, citizen)
    await ok(api, city.inspector, case_id, "verify", {"valid": True})
    after = await photo(api, city.handler_hw)
    await ok(api, city.handler_hw, case_id, "resolve", {"mediaIds": [after]})
    await ok(api, city.inspector, case_id, "check", {"passed": True})
    await api.post(
        f"/api/citizen/reports/{case_id}/rating", json={"score": 1}, headers=citizen.headers
    )
    reopened = await api.post(
        f"/api/citizen/reports/{case_id}/reopen",
        json={"reason": "还是很脏"},
        headers=citizen.headers,
    )
    assert reopened.status_code == 200, reopened.text
    assert await _told("task.reopened") == [city.handler_hw.subject_id]
    [zh] = [i for i in await _inbox(api, city.handler_hw) if i["type"] == "task.reopened"]
    assert zh["title"] == "案件重办" and "还是很脏" in zh["body"]


async def test_requests_reach_the_command_centre_and_decisions_reach_the_unit(api, city):
    case_id = await dispatched_case(api, city)
    operator, handler = city.operator.subject_id, city.handler_hw.subject_id
    await ok(
        api, city.handler_hw, case_id, "request-extension", {"reason": "需要调配车辆", "hours": 16}
    )
    assert await _told("task.extension_request") == [operator]
    [zh] = [i for i in await _inbox(api, city.operator) if i["type"] == "task.extension_request"]
    assert zh["title"] == "延期待审批" and "16 小时：需要调配车辆" in zh["body"]
    decided = await api.post(
        f"/api/admin/cases/{case_id}/decline-extension", json={}, headers=city.operator.headers
    )
    assert decided.status_code == 200, decided.text
    assert await _told("request.extension_declined") == [handler]
    [en] = [
        i
        for i in await _inbox(api, city.handler_hw, "en")
        if i["type"] == "request.extension_declined"
    ]
    assert en["title"] == "Extension declined"

    await ok(api, city.handler_hw, case_id, "request-return", {"reason": "不属于本单位职责"})
    assert await _told("task.return_request") == [operator]
    approved = await api.post(
        f"/api/admin/cases/{case_id}/approve-return", json={}, headers=city.operator.headers
    )
    assert approved.status_code == 200, approved.text
    assert await _told("request.return_approved") == [handler]
    assert await _told("task.returned") == [operator]
    [zh] = [i for i in await _inbox(api, city.operator) if i["type"] == "task.returned"]
    assert zh["title"] == "待重新派遣" and "不属于本单位职责" in zh["body"]


async def test_declined_return_and_approved_extension(api, city):
    case_id = await dispatched_case(api, city)
    await ok(api, city.handler_hw, case_id, "request-return", {"reason": "不属于本单位职责"})
    await api.post(
        f"/api/admin/cases/{case_id}/decline-return", json={}, headers=city.operator.headers
    )
    assert await _told("request.return_declined") == [city.handler_hw.subject_id]
    await ok(api, city.handler_hw, case_id, "request-extension", {"reason": "雨天", "hours": 8})
    await api.post(
        f"/api/admin/cases/{case_id}/approve-extension", json={}, headers=city.operator.headers
    )
    assert await _told("request.extension_approved") == [city.handler_hw.subject_id]
    [zh] = [
        i for i in await _inbox(api, city.handler_hw) if i["type"] == "request.extension_approved"
    ]
    assert zh["title"] == "延期已批准"
