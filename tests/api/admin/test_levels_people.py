"""From unit to person: assignment (by hand and to the on-duty handler with the fewest open
cases), acknowledgement, transfer, co-handling; supervision orders; internal notes and
recategorisation."""

import datetime as dt

import pytest

from core import clock
from core.db import transaction
from notify.tables import NotificationJob
from org.tables import DispatchRule
from tests.helpers import assert_problem, upload_photo
from tests.levels_city import admin_case, build_levels, file_report

CASES = "/api/admin/cases"


@pytest.fixture
async def lv(api, settings_env):
    settings_env(CITYOPS_ACCESS_TOKEN_TTL_SECONDS=str(90 * 86400))
    return await build_levels(api)


async def _act(api, session, case_id, action, **body):
    return await api.post(f"{CASES}/{case_id}/{action}", json=body, headers=session.headers)


async def _field(api, session, case_id, step, **body):
    return await api.post(
        f"/api/inspector/cases/{case_id}/{step}", json=body, headers=session.headers
    )


async def _on_duty(api, lv, *handlers):
    start = clock.now() - dt.timedelta(hours=1)
    for handler in handlers:
        response = await api.post(
            "/api/admin/duty-shifts",
            json={
                "unitId": lv.units["370202001-ZF"],
                "staffId": handler.subject_id,
                "startsAt": start.isoformat(),
                "endsAt": (start + dt.timedelta(hours=9)).isoformat(),
            },
            headers=lv.street_op.headers,
        )
        assert response.status_code == 201, response.text


async def test_rules_assign_to_the_least_busy_handler_on_duty(api, lv):
    await DispatchRule.update({DispatchRule.assign_on_duty: True}).where(
        DispatchRule.category_code == "E05"
    )
    await _on_duty(api, lv, lv.squad_a, lv.squad_b)
    first, second, third = [(await file_report(api, seed=i))[0] for i in range(3)]
    assignees = [
        (await admin_case(api, lv.street_op, c))["case"]["assigneeId"]
        for c in (first, second, third)
    ]
    a, b = sorted([lv.squad_a.subject_id, lv.squad_b.subject_id])
    assert assignees == [a, b, a]
    jobs = await NotificationJob.objects().where(NotificationJob.template == "task.assigned")
    assert sorted(j.recipient_id for j in jobs) == [a, a, b]
    # Only the assignee acknowledges a case assigned to a person.
    other = lv.squad_b if a == lv.squad_a.subject_id else lv.squad_a
    assert_problem(await _field(api, other, first, "acknowledge"), 403, "case.forbidden")


async def test_a_unit_assigns_by_hand_and_the_assignee_acknowledges(api, lv):
    case_id, _ = await file_report(api)
    assert_problem(
        await _field(api, lv.squad_a, case_id, "assign", staffId=lv.city.handler_hw.subject_id),
        422,
        "case.invalid_assignee",
    )
    done = await _field(api, lv.squad_a, case_id, "assign", staffId=lv.squad_b.subject_id)
    assert done.status_code == 200 and done.json()["case"]["assigneeId"] == lv.squad_b.subject_id
    assert_problem(await _field(api, lv.squad_a, case_id, "acknowledge"), 403, "case.forbidden")
    acked = await _field(api, lv.squad_b, case_id, "acknowledge")
    assert acked.json()["case"]["acknowledgedAt"] is not None
    by_operator = await _act(api, lv.street_op, case_id, "assign", staffId=lv.squad_a.subject_id)
    assert by_operator.json()["case"]["assigneeId"] == lv.squad_a.subject_id
    assert by_operator.json()["case"]["acknowledgedAt"] is None  # the new assignee acknowledges


async def test_a_unit_hands_back_a_case_that_is_not_theirs(api, lv):
    case_id, citizen = await file_report(api)
    assert_problem(
        await _field(api, lv.squad_a, case_id, "transfer", reason=" "), 422, "case.reason_required"
    )
    back = await _field(api, lv.squad_a, case_id, "transfer", reason="不属于本中队辖区")
    assert back.status_code == 200, back.text
    detail = await admin_case(api, lv.street_op, case_id)
    assert detail["case"]["state"] == "returned" and detail["case"]["unitId"] is None
    assert detail["case"]["transferCount"] == 1
    assert detail["events"][-1]["action"] == "transfer"
    alerts = (await api.get("/api/admin/alerts", headers=lv.street_op.headers)).json()["items"]
    assert [a["kind"] for a in alerts] == ["returned"]
    deadline = detail["case"]["deadline"]
    again = await _act(api, lv.street_op, case_id, "dispatch", unitId=lv.units["370202-HW"])
    assert again.json()["case"]["deadline"] == deadline  # the citizen's wait goes on
    assert (await api.get("/api/admin/alerts", headers=lv.street_op.headers)).json()["items"] == []
    view = (await api.get(f"/api/citizen/reports/{case_id}", headers=citizen.headers)).json()
    assert "不属于本中队辖区" not in str(view)


async def test_co_handling_the_lead_resolves_after_every_assisting_unit(api, lv):
    hw = lv.city.handler_hw
    case_id, _ = await file_report(api)
    added = await _act(api, lv.street_op, case_id, "assist", unitIds=[lv.units["370202-HW"]])
    assert added.json()["assists"] == [
        {"unitId": lv.units["370202-HW"], "reported": False, "note": "", "reportedAt": None}
    ]
    seen = await api.get(f"/api/inspector/cases/{case_id}", headers=hw.headers)
    assert seen.status_code == 200 and seen.json()["actions"] == ["assist-report"]
    after = await upload_photo(api.client, lv.squad_a, app="inspector")
    assert_problem(
        await _field(api, lv.squad_a, case_id, "resolve", mediaIds=[after]),
        409,
        "case.assists_pending",
    )
    assert_problem(
        await _field(api, lv.squad_b, case_id, "assist-report", note="x"),
        409,
        "case.assist_not_pending",
    )
    reported = await _field(api, hw, case_id, "assist-report", note="已清运周边垃圾")
    assert reported.json()["assists"][0]["reported"] is True
    done = await _field(api, lv.squad_a, case_id, "resolve", mediaIds=[after])
    assert done.status_code == 200 and done.json()["case"]["state"] == "resolved"


async def test_a_higher_centre_supervises_a_case(api, lv):
    case_id, _ = await file_report(api)
    deadline = (clock.now() + dt.timedelta(days=1)).isoformat()
    order = {"note": "群众反映强烈，请加快处置", "deadline": deadline}
    assert_problem(
        await api.post(f"{CASES}/{case_id}/supervision", json=order, headers=lv.north_op.headers),
        404,
        "case.not_found",
    )
    bad = {**order, "deadline": (clock.now() - dt.timedelta(hours=1)).isoformat()}
    assert_problem(
        await api.post(f"{CASES}/{case_id}/supervision", json=bad, headers=lv.supervisor.headers),
        422,
        "case.supervision_invalid",
    )
    made = await api.post(
        f"{CASES}/{case_id}/supervision", json=order, headers=lv.supervisor.headers
    )
    assert made.status_code == 200, made.text
    (supervision,) = made.json()["supervisions"]
    assert supervision["fromUnitId"] == lv.centres["district"]
    assert supervision["toUnitId"] == lv.units["370202001-ZF"]
    # Visible to both: the unit in its app, the centre in its list; the unit was told.
    unit_view = await api.get(f"/api/inspector/cases/{case_id}", headers=lv.squad_a.headers)
    assert [s["note"] for s in unit_view.json()["supervisions"]] == [order["note"]]
    listed = (await api.get("/api/admin/supervisions", headers=lv.district_op.headers)).json()
    assert [o["caseId"] for o in listed] == [case_id]
    jobs = await NotificationJob.objects().where(NotificationJob.template == "task.supervise")
    assert sorted(j.recipient_id for j in jobs) == sorted(
        [lv.squad_a.subject_id, lv.squad_b.subject_id]
    )
    after = await upload_photo(api.client, lv.squad_a, app="inspector")
    await _field(api, lv.squad_a, case_id, "resolve", mediaIds=[after])
    await _act(api, lv.street_op, case_id, "close")
    assert (await api.get("/api/admin/supervisions", headers=lv.district_op.headers)).json() == []
    closed = (
        await api.get("/api/admin/supervisions?open=false", headers=lv.district_op.headers)
    ).json()
    assert closed[0]["closedAt"] is not None


async def test_internal_notes_never_reach_citizens(api, lv):
    case_id, citizen = await file_report(api)
    secret = "内部：举报人与当事人有纠纷"
    noted = await api.post(
        f"{CASES}/{case_id}/notes", json={"text": secret}, headers=lv.street_op.headers
    )
    assert noted.json()["events"][-1] == {
        **noted.json()["events"][-1],
        "action": "note",
        "note": secret,
    }
    await _field(api, lv.squad_a, case_id, "notes", text="已联系当事人")
    after = await upload_photo(api.client, lv.squad_a, app="inspector")
    await _field(api, lv.squad_a, case_id, "resolve", mediaIds=[after], note="内部：当事人拒绝配合")
    view = await api.get(f"/api/citizen/reports/{case_id}", headers=citizen.headers)
    inbox = await api.get("/api/citizen/notifications", headers=citizen.headers)
    jobs = await NotificationJob.objects().where(NotificationJob.recipient_kind == "citizen")
    for text in (view.text, inbox.text, str([j.params for j in jobs])):
        assert "内部" not in text and "已联系当事人" not in text


async def test_recategorising_with_a_reason_routes_again(api, lv):
    case_id, _ = await file_report(api, category="E0102")  # waits for 核实
    await _act(api, lv.street_op, case_id, "accept", autoDispatch=False)
    assert_problem(
        await _act(api, lv.street_op, case_id, "recategorize", category="E0101"),
        422,
        "case.reason_required",
    )
    moved = await _act(
        api, lv.street_op, case_id, "recategorize", category="E0502", reason="实为流浪乞讨"
    )
    assert moved.status_code == 200, moved.text
    case = moved.json()["case"]
    assert case["categoryCode"] == "E0502" and case["state"] == "dispatched"
    assert case["unitId"] == lv.units["370202001-ZF"]
    event = next(e for e in moved.json()["events"] if e["action"] == "recategorize")
    assert event["note"] == "实为流浪乞讨"


async def test_the_admin_case_view_has_photos_and_the_actions_allowed_now(api, lv):
    case_id, _ = await file_report(api)
    detail = await admin_case(api, lv.street_op, case_id)
    assert [p["role"] for p in detail["photos"]] == ["before"]
    assert detail["photos"][0]["url"].startswith("/api/inspector/media/")
    photo = await api.get(detail["photos"][0]["url"], headers=lv.street_op.headers)
    assert photo.status_code == 200
    assert {"redispatch", "assign", "suspend", "resolve", "supervise", "note"} <= set(
        detail["actions"]
    )
    async with transaction():
        pass
