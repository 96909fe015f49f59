"""The command centre runs the workflow by hand; the move table refuses everything else."""

import pytest

from cases import command
from cases.access import load_case
from core.actors import Actor
from core.db import transaction
from tests.api.merchant.support import new_shop
from tests.cases_city import AUTO_CATEGORY, IN_GRID, build_city
from tests.helpers import assert_problem, upload_photo

ADMIN = "/api/admin/cases"


@pytest.fixture
async def city(api):
    return await build_city(api)


async def _file(api, citizen, category="E0102", seed=0):
    body = {
        "category": category,
        "location": {"lat": IN_GRID[0], "lon": IN_GRID[1]},
        "mediaIds": [await upload_photo(api.client, citizen, seed=seed)],
    }
    response = await api.post("/api/citizen/reports", json=body, headers=citizen.headers)
    assert response.status_code == 201, response.text
    return response.json()["id"]


async def _act(api, city, case_id, action, **body):
    return await api.post(f"{ADMIN}/{case_id}/{action}", json=body, headers=city.operator.headers)


async def test_reject_needs_a_reason_and_tells_the_citizen(api, city):
    citizen = await api.citizen()
    case_id = await _file(api, citizen)
    assert_problem(await _act(api, city, case_id, "reject"), 422, "case.reason_required")
    rejected = await _act(api, city, case_id, "reject", reason="不属于城市管理范围")
    assert rejected.json()["case"]["state"] == "rejected"
    view = (await api.get(f"/api/citizen/reports/{case_id}", headers=citizen.headers)).json()
    assert view["timeline"][-1]["text"] == "未予受理：不属于城市管理范围"


async def test_terminal_cases_refuse_every_action(api, city):
    citizen = await api.citizen()
    case_id = await _file(api, citizen)
    await _act(api, city, case_id, "reject", reason="重复")
    for action, body in (
        ("accept", {}),
        ("resolve", {"note": "已清理"}),
        ("close", {}),
        ("dispatch", {"unitId": city.unit_ids["370202-HW"]}),
    ):
        assert_problem(
            await _act(api, city, case_id, action, **body), 409, "case.invalid_transition"
        )


async def test_close_before_resolve_is_an_invalid_transition(api, city):
    citizen = await api.citizen()
    case_id = await _file(api, citizen, category=AUTO_CATEGORY)
    body = assert_problem(await _act(api, city, case_id, "close"), 409, "case.invalid_transition")
    # Words, not state codes, in the message; the code stays machine-readable beside it.
    assert body["detail"] == "案件当前状态为「处置中」，不能执行「结案」"
    assert body["state"] == "dispatched"


async def test_merge_into_another_open_case(api, city):
    alice, bob = await api.citizen(), await api.citizen()
    first = await _file(api, alice, seed=1)
    second = await _file(api, bob, seed=2)
    assert_problem(await _act(api, city, second, "merge"), 422, "request.field_required")
    assert_problem(
        await _act(api, city, second, "merge", intoCaseId=second), 422, "case.merge_target_invalid"
    )
    merged = (await _act(api, city, second, "merge", intoCaseId=first)).json()["case"]
    assert merged["state"] == "merged" and merged["mergedInto"] is not None


async def test_dispatch_and_redispatch_to_a_chosen_unit(api, city):
    citizen = await api.citizen()
    case_id = await _file(api, citizen)
    await _act(api, city, case_id, "accept")
    moved = await _act(api, city, case_id, "redispatch", unitId=city.unit_ids["370202-SZ"])
    assert moved.json()["case"]["unitId"] == city.unit_ids["370202-SZ"]
    assert_problem(
        await _act(api, city, case_id, "redispatch", unitId=999999), 422, "case.unit_unknown"
    )
    assert moved.json()["events"][-1]["action"] == "redispatch"


async def test_extension_and_return_requests_need_an_operator(api, city):
    citizen = await api.citizen()
    case_id = await _file(api, citizen, category=AUTO_CATEGORY)
    assert_problem(
        await _act(api, city, case_id, "approve-extension"), 409, "case.request_not_pending"
    )
    handler = Actor(kind="staff", id=city.handler_hw.subject_id, role="handler")
    async with transaction():
        case = await load_case(case_id)
        await command.request_change(
            actor=handler, case=case, kind="extension", reason="需要采购配件", hours=16
        )
    before = (await api.get(f"{ADMIN}/{case_id}", headers=city.operator.headers)).json()
    extended = (await _act(api, city, case_id, "approve-extension")).json()["case"]
    assert extended["deadline"] > before["case"]["deadline"]
    async with transaction():
        await command.request_change(
            actor=handler, case=await load_case(case_id), kind="return", reason="不属于本单位"
        )
    returned = (await _act(api, city, case_id, "approve-return")).json()["case"]
    assert returned["state"] == "returned" and returned["unitId"] is None
    again = (await _act(api, city, case_id, "dispatch", unitId=city.unit_ids["370202-SZ"])).json()[
        "case"
    ]
    assert again["state"] == "dispatched"


async def test_suspend_and_resume(api, city):
    citizen = await api.citizen()
    case_id = await _file(api, citizen, category=AUTO_CATEGORY)
    suspended = await _act(api, city, case_id, "suspend", reason="需纳入年度改造计划")
    assert suspended.json()["case"]["state"] == "suspended"
    resumed = await _act(api, city, case_id, "resume", unitId=city.unit_ids["370202-SZ"])
    assert resumed.json()["case"]["state"] == "dispatched"


async def test_unknown_action_and_unknown_case(api, city):
    citizen = await api.citizen()
    case_id = await _file(api, citizen)
    assert (await _act(api, city, case_id, "explode")).status_code == 400
    assert_problem(await _act(api, city, "k_doesnotexist00", "accept"), 404, "case.not_found")


async def test_only_the_command_centre_may_use_it(api, city):
    citizen = await api.citizen()
    case_id = await _file(api, citizen)
    assert_problem(await api.get(ADMIN, headers=citizen.headers), 403, "auth.wrong_audience")
    assert_problem(await api.get(ADMIN, headers=city.inspector.headers), 403, "auth.role_forbidden")
    assert_problem(
        await api.post(f"{ADMIN}/{case_id}/accept", json={}, headers=city.handler_hw.headers),
        403,
        "auth.role_forbidden",
    )
    assert (await api.get(ADMIN, headers=city.operator.headers)).status_code == 200


async def test_filters(api, city):
    citizen = await api.citizen_by_phone("13800138123")
    waiting = await _file(api, citizen, seed=1)
    moving = await _file(api, citizen, category=AUTO_CATEGORY, seed=2)
    reported = (await api.get(f"{ADMIN}?state=reported", headers=city.operator.headers)).json()
    dispatched = (
        await api.get(f"{ADMIN}?state=dispatched&source=citizen", headers=city.operator.headers)
    ).json()
    assert [c["id"] for c in reported["items"]] == [waiting]
    assert [c["id"] for c in dispatched["items"]] == [moving]
    by_unit = (
        await api.get(
            f"{ADMIN}?unitId={city.unit_ids['370202001-ZF']}", headers=city.operator.headers
        )
    ).json()
    assert [c["id"] for c in by_unit["items"]] == [moving]
    assert by_unit["items"][0]["reporterPhone"] == "138****8123"


async def test_a_shop_is_no_handling_unit(api, city):
    """A shop's merchants handle no cases: no dispatch, assist or dispatch rule names one."""
    admin = await api.staff("admin")
    shop = await new_shop(api, admin)
    citizen = await api.citizen()
    case_id = await _file(api, citizen)
    await _act(api, city, case_id, "accept")
    for action, body in (
        ("redispatch", {"unitId": shop["id"]}),
        ("assist", {"unitIds": [shop["id"]]}),
    ):
        assert_problem(await _act(api, city, case_id, action, **body), 422, "case.unit_unknown")
    rule = {"unitId": shop["id"], "categoryCode": "E0102"}
    assert_problem(
        await api.post("/api/admin/dispatch-rules", json=rule, headers=admin.headers),
        422,
        "org.unknown_unit",
    )
