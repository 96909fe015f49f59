"""The 12345 desk: a call-taker files a case for a caller; the caller's number is in full
for that call-taker only, masked in every other view, revealed to the inspector who must
act (audited); a caller with a mobile number hears of the case by SMS."""

from __future__ import annotations

import pytest

from cases.tables import CaseEvent
from tests.cases_city import IN_GRID, build_city
from tests.helpers import assert_problem
from tests.sms_support import at_city_hour, received, reset, texting_outbox

H = "/api/hotline/calls"
PHONE, LOCAL = "138 0013 8300", "13800138300"
MASKED = "138****8300"


@pytest.fixture
async def desk(api):
    reset()
    at_city_hour(12)  # outside the quiet hours of texts to citizens
    city = await build_city(api)
    taker = await api.staff("call_taker")
    box = texting_outbox("aliyun")
    yield city, taker, box
    await box.aclose()
    reset()


def _call(**extra) -> dict:
    return {
        "callerName": "张三丰",
        "callerPhone": PHONE,
        "category": "E0102",
        "location": {"lat": IN_GRID[0], "lon": IN_GRID[1]},
        "description": "市民来电：道路上有垃圾",
        **extra,
    }


async def test_the_call_taker_files_and_the_caller_hears_by_text(api, desk):
    city, taker, box = desk
    filed = await api.post(H, json=_call(), headers=taker.headers)
    assert filed.status_code == 201, filed.text
    body = filed.json()
    assert body["caller"] == {"name": "张三丰", "phone": "+86" + LOCAL, "masked": False}
    mine = await api.get(H, headers=taker.headers)
    assert [c["caseId"] for c in mine.json()["items"]] == [body["caseId"]]
    assert mine.json()["items"][0]["caller"]["phone"] == "+86" + LOCAL
    await box.drain()
    assert [(t["phone"], t["params"]["status"]) for t in received("aliyun")] == [(LOCAL, "已收到")]
    rejected = await api.post(
        f"/api/admin/cases/{body['caseId']}/reject",
        json={"reason": "不属于城市管理范围"},
        headers=city.operator.headers,
    )
    assert rejected.status_code == 200, rejected.text
    await box.drain()
    assert [t["params"]["status"] for t in received("aliyun")] == ["已收到", "未受理"]


async def test_the_number_is_masked_in_every_other_view(api, desk):
    city, taker, box = desk
    case_id = (await api.post(H, json=_call(), headers=taker.headers)).json()["caseId"]
    accepted = await api.post(  # public now: the open311 and public views show it
        f"/api/admin/cases/{case_id}/accept", json={}, headers=city.operator.headers
    )
    assert accepted.status_code == 200, accepted.text
    other_taker = await api.staff("call_taker")
    views = {
        "admin detail": await api.get(f"/api/admin/cases/{case_id}", headers=city.operator.headers),
        "admin list": await api.get("/api/admin/cases", headers=city.operator.headers),
        "inspector detail": await api.get(
            f"/api/inspector/cases/{case_id}", headers=city.inspector.headers
        ),
        "operator's call view": await api.get(f"{H}/{case_id}", headers=city.operator.headers),
        "taker's own case view": await api.get(
            f"/api/inspector/cases/{case_id}", headers=taker.headers
        ),
        "open311": await api.get(f"/open311/v2/requests/{case_id}.json"),
        "another taker's list": await api.get(H, headers=other_taker.headers),
    }
    for name, response in views.items():
        assert response.status_code == 200, (name, response.text)
        assert LOCAL not in response.text and "张三丰" not in response.text, name
    detail = views["admin detail"].json()["case"]
    assert detail["caller"] == {"name": "张**", "phone": MASKED, "masked": True}
    assert views["operator's call view"].json()["caller"]["phone"] == MASKED
    assert views["another taker's list"].json()["items"] == []
    # Another call-taker has no business with the call: not found, as any case out of scope.
    other = await api.get(f"{H}/{case_id}", headers=other_taker.headers)
    assert other.status_code == 404


async def test_the_inspector_who_must_act_reveals_the_number_and_it_is_recorded(api, desk):
    city, taker, _ = desk
    case_id = (await api.post(H, json=_call(), headers=taker.headers)).json()["caseId"]
    shown = await api.post(
        f"/api/inspector/cases/{case_id}/reporter-phone", headers=city.inspector.headers
    )
    assert shown.status_code == 200, shown.text
    assert shown.json()["phone"] == "+86" + LOCAL
    reveals = await CaseEvent.count().where(CaseEvent.action == "reveal_phone")
    assert reveals == 1


async def test_an_anonymous_caller_is_not_shown_or_revealed(api, desk):
    city, taker, _ = desk
    filed = await api.post(H, json=_call(anonymous=True), headers=taker.headers)
    case_id = filed.json()["caseId"]
    detail = await api.get(f"/api/admin/cases/{case_id}", headers=city.operator.headers)
    assert detail.json()["case"]["caller"] is None
    shown = await api.post(
        f"/api/inspector/cases/{case_id}/reporter-phone", headers=city.inspector.headers
    )
    assert shown.json()["phone"] is None


async def test_a_caller_without_a_number_is_filed_without_texts(api, desk):
    _, taker, box = desk
    filed = await api.post(H, json=_call(callerPhone=None), headers=taker.headers)
    assert filed.status_code == 201, filed.text
    assert filed.json()["caller"] == {"name": "张三丰", "phone": None, "masked": False}
    await box.drain()
    assert received("aliyun") == []


async def test_bad_calls_file_nothing(api, desk):
    city, taker, _ = desk
    bad_phone = await api.post(H, json=_call(callerPhone="12345"), headers=taker.headers)
    assert_problem(bad_phone, 422, "accounts.invalid_phone")
    no_name = await api.post(H, json=_call(callerName=""), headers=taker.headers)
    assert no_name.status_code == 400, no_name.text
    unknown = await api.post(H, json=_call(extra=1), headers=taker.headers)
    assert unknown.status_code == 400, unknown.text
    assert (await api.get(H, headers=taker.headers)).json()["items"] == []
    # A page cursor past any row id (the database's integers are 32-bit): bad input, not a 500.
    for before in ("2147483648", "9223372036854775808", "0"):
        far = await api.get(H, params={"before": before}, headers=taker.headers)
        assert_problem(far, 400, "request.invalid")
    # Inspectors patrol, they do not take calls; citizens are not staff.
    inspector = await api.post(H, json=_call(), headers=city.inspector.headers)
    assert inspector.status_code == 403
    assert (await api.post(H, json=_call())).status_code == 401
