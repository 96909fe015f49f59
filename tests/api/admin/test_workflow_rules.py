"""The workflow's time rules, written down in cases.sla.limit_changes and tested here: an
extension moves the 80 % mark with the deadline and keeps the record of having been overdue;
redispatch keeps the clock; resume gives the suspended time back; rework starts a new limit.
A reopened and re-closed case is rated again; an operator's resolve needs a photo or a reason.
"""

import datetime as dt

import pytest

from cases import sla
from cases.tables import Case
from core import clock
from tests.helpers import assert_problem, upload_photo
from tests.levels_city import admin_case, build_levels, file_report, tick_at

CASES = "/api/admin/cases"


@pytest.fixture
async def lv(api, settings_env):
    settings_env(CITYOPS_ACCESS_TOKEN_TTL_SECONDS=str(90 * 86400))
    return await build_levels(api)


async def _row(case_id: str) -> Case:
    return await Case.objects().where(Case.public_id == case_id).first()


async def _act(api, session, case_id, action, **body):
    response = await api.post(f"{CASES}/{case_id}/{action}", json=body, headers=session.headers)
    assert response.status_code == 200, response.text
    return response.json()


async def test_an_extension_moves_the_yellow_mark_and_keeps_the_overdue_record(api, lv):
    case_id, _ = await file_report(api)
    case = await _row(case_id)
    await tick_at(clock.as_utc(case.deadline_at) + dt.timedelta(minutes=5))
    assert (await admin_case(api, lv.street_op, case_id))["case"]["light"] == "red"
    asked = await api.post(
        f"/api/inspector/cases/{case_id}/request-extension",
        json={"reason": "需要民政部门配合", "hours": 16},
        headers=lv.squad_a.headers,
    )
    assert asked.status_code == 200, asked.text
    after = (await _act(api, lv.street_op, case_id, "approve-extension"))["case"]
    case = await _row(case_id)
    assert clock.as_utc(case.deadline_at) > clock.now()
    assert clock.as_utc(case.sla_yellow_at) > clock.now()  # not yellow at once
    assert after["light"] == "green" and after["overdue"] is True  # it was overdue


async def test_redispatch_keeps_the_deadline_and_resume_gives_back_the_suspended_time(api, lv):
    case_id, _ = await file_report(api)
    first = await _row(case_id)
    moved = await _act(api, lv.street_op, case_id, "redispatch", unitId=lv.units["370202-HW"])
    assert (
        moved["case"]["deadline"]
        == (await admin_case(api, lv.street_op, case_id))["case"]["deadline"]
    )
    assert clock.as_utc((await _row(case_id)).deadline_at) == clock.as_utc(first.deadline_at)
    await _act(api, lv.street_op, case_id, "suspend", reason="等待拆迁")
    clock.travel(dt.timedelta(hours=30))
    await _act(api, lv.street_op, case_id, "resume", unitId=lv.units["370202-HW"])
    resumed = await _row(case_id)
    shift = clock.as_utc(resumed.deadline_at) - clock.as_utc(first.deadline_at)
    assert dt.timedelta(hours=30) <= shift < dt.timedelta(hours=30, minutes=1)
    assert clock.as_utc(resumed.sla_yellow_at) - clock.as_utc(first.sla_yellow_at) == shift


async def test_rework_starts_a_new_limit(api, lv):
    case_id, _ = await file_report(api)
    first = await _row(case_id)
    clock.travel(dt.timedelta(days=3))
    photo = await upload_photo(api.client, lv.squad_a, app="inspector")
    await api.post(
        f"/api/inspector/cases/{case_id}/resolve",
        json={"mediaIds": [photo]},
        headers=lv.squad_a.headers,
    )
    await _act(api, lv.street_op, case_id, "rework", note="仍有人员滞留")
    reworked = await _row(case_id)
    assert clock.as_utc(reworked.deadline_at) > clock.as_utc(first.deadline_at)
    assert clock.as_utc(reworked.deadline_at) > clock.now()
    assert reworked.sla_level == 0 and reworked.rework_count == 1


async def test_a_reopened_case_is_rated_again_for_its_final_outcome(api, lv):
    case_id, citizen = await file_report(api)
    await _act(api, lv.street_op, case_id, "resolve", note="已劝离")
    await _act(api, lv.street_op, case_id, "close")
    rate = f"/api/citizen/reports/{case_id}/rating"
    assert (await api.post(rate, json={"score": 1}, headers=citizen.headers)).status_code == 200
    reopened = await api.post(
        f"/api/citizen/reports/{case_id}/reopen",
        json={"reason": "人又回来了"},
        headers=citizen.headers,
    )
    assert reopened.status_code == 200 and reopened.json()["rating"] is None
    await _act(api, lv.street_op, case_id, "resolve", note="已送救助站")
    await _act(api, lv.street_op, case_id, "close")
    again = await api.post(rate, json={"score": 5}, headers=citizen.headers)
    assert again.status_code == 200 and again.json()["rating"] == 5
    assert_problem(
        await api.post(rate, json={"score": 4}, headers=citizen.headers), 409, "case.already_rated"
    )


async def test_an_operators_resolve_needs_a_photo_or_a_reason_and_says_which(api, lv):
    with_reason, citizen = await file_report(api, seed=1)
    body = assert_problem(
        await api.post(f"{CASES}/{with_reason}/resolve", json={}, headers=lv.street_op.headers),
        422,
        "request.field_required",
    )
    assert "mediaIds" in body["detail"]
    await _act(api, lv.street_op, with_reason, "resolve", note="已由救助站接走")
    with_photo, other = await file_report(api, seed=2)
    photo = await upload_photo(api.client, lv.street_op, app="inspector")
    await _act(api, lv.street_op, with_photo, "resolve", mediaIds=[photo])
    steps = {}
    for case_id, who in ((with_reason, citizen), (with_photo, other)):
        view = await api.get(f"/api/citizen/reports/{case_id}", headers=who.headers)
        steps[case_id] = view.json()["timeline"][-1]["text"]
    assert steps[with_reason] == "责任单位已处理完成，说明：已由救助站接走；等待核查"
    assert steps[with_photo] == "责任单位已处理完成（附现场照片），等待核查"


def test_escalation_steps_follow_the_limit():
    case = Case(
        deadline_at=dt.datetime(2026, 12, 5, 10, tzinfo=dt.UTC),
        dispatched_at=dt.datetime(2026, 12, 5, 6, tzinfo=dt.UTC),
    )
    assert sla.escalation_due(case, 3) == dt.datetime(2026, 12, 5, 12, tzinfo=dt.UTC)
    assert sla.escalation_due(case, 4) == dt.datetime(2026, 12, 5, 14, tzinfo=dt.UTC)
