"""Snap and report: filing, auto-accept and dispatch, the citizen's view, feedback."""

import datetime as dt
import json

import pytest

from cases.sla import check_sla
from core import clock
from core.db import transaction
from notify.tables import NotificationJob
from org.geo import wgs84_to_gcj02
from tests.cases_city import AUTO_CATEGORY, IN_GRID, IN_GRID_NE, OUTSIDE, build_city
from tests.helpers import assert_problem, refreshed, upload_photo

REPORTS = "/api/citizen/reports"


@pytest.fixture
async def city(api):
    return await build_city(api)


async def _report(api, citizen, *, category="E0102", at=IN_GRID, photos=1, key=None, **extra):
    media = [await upload_photo(api.client, citizen, seed=i) for i in range(photos)]
    body = {
        "category": category,
        "location": {"lat": at[0], "lon": at[1]},
        "mediaIds": media,
        "description": "路边有一堆暴露垃圾",
        **extra,
    }
    headers = {**citizen.headers, **({"Idempotency-Key": key} if key else {})}
    return await api.post(REPORTS, json=body, headers=headers)


async def _act(api, city, case_id, action, **body):
    response = await api.post(
        f"/api/admin/cases/{case_id}/{action}", json=body, headers=city.operator.headers
    )
    assert response.status_code == 200, response.text
    return response.json()["case"]


async def _state(api, city, case_id):
    response = await api.get(f"/api/admin/cases/{case_id}", headers=city.operator.headers)
    assert response.status_code == 200, response.text
    return response.json()


async def test_report_needing_verification_waits_for_the_grid_inspector(api, city):
    citizen = await api.citizen()
    case_id = (await _report(api, citizen, category="E0102")).json()["id"]
    detail = await _state(api, city, case_id)
    assert detail["case"]["state"] == "reported" and detail["case"]["gridId"] is not None
    tasks = await NotificationJob.objects().where(NotificationJob.template == "task.verify")
    assert [(j.recipient_kind, j.recipient_id) for j in tasks] == [
        ("staff", city.inspector.subject_id)
    ]
    accepted = await _act(api, city, case_id, "accept")
    assert accepted["state"] == "dispatched"
    assert accepted["unitId"] == city.unit_ids["370202-HW"]


async def test_report_is_accepted_and_dispatched_by_rule(api, city):
    citizen = await api.citizen()
    response = await _report(api, citizen, category=AUTO_CATEGORY)
    assert response.status_code == 201, response.text
    case = response.json()
    assert case["number"].startswith(clock.city_now().strftime("%Y%m%d") + "-")
    assert case["id"].startswith("k_") and case["mine"] is True
    detail = await _state(api, city, case["id"])
    assert detail["case"]["state"] == "dispatched"
    assert detail["case"]["unitId"] == city.unit_ids["370202001-ZF"]
    assert detail["case"]["deadline"] is not None and detail["case"]["light"] == "green"
    assert [e["action"] for e in detail["events"]] == ["report", "accept", "dispatch"]


async def test_citizen_view_hides_staff_and_tells_each_step(api, city):
    citizen = await api.citizen()
    case = (await _report(api, citizen, category="C0301")).json()
    view = (await api.get(f"{REPORTS}/{case['id']}", headers=citizen.headers)).json()
    assert view["timeline"][0]["text"] == "您的上报已提交"
    assert "actorId" not in str(view) and "unitId" not in view
    assert len(view["photos"]) == 1 and view["photos"][0]["url"].startswith("/api/citizen/media/")
    photo = await api.get(view["photos"][0]["thumbUrl"], headers=citizen.headers)
    assert photo.status_code == 200 and photo.headers["content-type"] == "image/jpeg"
    en = (
        await api.get(
            f"{REPORTS}/{case['id']}", headers={**citizen.headers, "Accept-Language": "en"}
        )
    ).json()
    assert en["stateLabel"] in ("Reported", "Accepted", "Being handled")


async def test_full_life_cycle_with_rating_and_reopen(api, city):
    citizen = await api.citizen()
    case_id = (await _report(api, citizen, category="E0102")).json()["id"]
    await _act(api, city, case_id, "accept")
    await _act(api, city, case_id, "resolve", note="已清运")
    assert_problem(
        await api.post(f"{REPORTS}/{case_id}/rating", json={"score": 5}, headers=citizen.headers),
        409,
        "case.not_closed",
    )
    closed = await _act(api, city, case_id, "close")
    assert closed["state"] == "closed"
    view = (await api.get(f"{REPORTS}/{case_id}", headers=citizen.headers)).json()
    assert view["canRate"] and view["canReopen"]
    assert view["timeline"][-1]["text"] == "已核查结案，欢迎评价"
    rated = await api.post(
        f"{REPORTS}/{case_id}/rating",
        json={"score": 2, "comment": "没扫干净"},
        headers=citizen.headers,
    )
    assert rated.status_code == 200 and rated.json()["rating"] == 2
    assert_problem(
        await api.post(f"{REPORTS}/{case_id}/rating", json={"score": 5}, headers=citizen.headers),
        409,
        "case.already_rated",
    )
    reopened = await api.post(
        f"{REPORTS}/{case_id}/reopen", json={"reason": "还有垃圾"}, headers=citizen.headers
    )
    assert reopened.status_code == 200 and reopened.json()["state"] == "dispatched"
    templates = {
        j.template
        for j in await NotificationJob.objects().where(NotificationJob.recipient_kind == "citizen")
    }
    assert {"case.received", "case.resolved", "case.closed", "case.reopened"} <= templates


async def test_reopen_after_seven_days_is_refused(api, city):
    citizen = await api.citizen()
    case_id = (await _report(api, citizen, category="E0102")).json()["id"]
    await _act(api, city, case_id, "accept")
    await _act(api, city, case_id, "resolve", note="已清理")
    await _act(api, city, case_id, "close")
    clock.travel(dt.timedelta(days=7, minutes=1))
    fresh = await api.post("/api/auth/refresh", json={"refreshToken": citizen.refresh})
    headers = {"Authorization": f"Bearer {fresh.json()['accessToken']}"}
    assert_problem(
        await api.post(f"{REPORTS}/{case_id}/reopen", json={"reason": "x"}, headers=headers),
        409,
        "case.reopen_window_passed",
    )


async def test_a_report_outside_the_city_is_refused(api, city):
    """The app asks the citizen to check the pin; nothing is filed, no photo is spent."""
    from cases.tables import Case

    citizen = await api.citizen()
    response = await _report(api, citizen, category="C0301", at=OUTSIDE)
    assert_problem(response, 422, "case.outside_city")
    assert await Case.count() == 0
    again = await _report(api, citizen, category="C0301", at=IN_GRID)
    assert again.status_code == 201


async def test_gcj02_input_is_stored_as_wgs84(api, city):
    citizen = await api.citizen()
    gcj = wgs84_to_gcj02(*IN_GRID)
    body = {
        "category": "C0301",
        "location": {"lat": gcj[0], "lon": gcj[1], "coordSys": "gcj02"},
        "mediaIds": [await upload_photo(api.client, citizen, seed=7)],
    }
    gcj_case = (await api.post(REPORTS, json=body, headers=citizen.headers)).json()
    wgs = (await api.get(f"{REPORTS}/{gcj_case['id']}", headers=citizen.headers)).json()
    assert abs(wgs["location"]["lat"] - IN_GRID[0]) < 1e-5
    assert abs(wgs["location"]["lon"] - IN_GRID[1]) < 1e-5
    back = (
        await api.get(f"{REPORTS}/{gcj_case['id']}?coordSys=gcj02", headers=citizen.headers)
    ).json()
    assert back["location"]["coordSys"] == "gcj02"
    assert abs(back["location"]["lat"] - gcj[0]) < 1e-6


async def test_similar_and_follow(api, city):
    alice, bob = await api.citizen(), await api.citizen()
    case_id = (await _report(api, alice, category="C0301")).json()["id"]
    near = (IN_GRID[0] + 0.0005, IN_GRID[1])  # about 55 m north
    # Others see a case once staff accepted it (tests/api/test_visibility.py).
    await _act(api, city, case_id, "accept")
    similar = await api.get(
        f"{REPORTS}/similar?lat={near[0]}&lon={near[1]}&category=C0301", headers=bob.headers
    )
    assert [s["id"] for s in similar.json()] == [case_id]
    assert 40 < similar.json()[0]["distanceM"] < 70
    far = await api.get(
        f"{REPORTS}/similar?lat={IN_GRID_NE[0]}&lon={IN_GRID_NE[1]}&category=C0301",
        headers=bob.headers,
    )
    assert far.json() == []
    other_category = await api.get(
        f"{REPORTS}/similar?lat={near[0]}&lon={near[1]}&category=E0102", headers=bob.headers
    )
    assert other_category.json() == []
    assert_problem(
        await api.get(f"{REPORTS}/{case_id}", headers=bob.headers), 404, "case.not_found"
    )
    followed = await api.post(f"{REPORTS}/{case_id}/follow", headers=bob.headers)
    assert followed.status_code == 200 and followed.json()["mine"] is False
    view = (await api.get(f"{REPORTS}/{case_id}", headers=bob.headers)).json()
    assert view["id"] == case_id and view["canRate"] is False


async def test_my_reports_keyset_pages(api, city):
    citizen = await api.citizen()
    ids = []
    for index in range(5):
        ids.append((await _report(api, citizen, category="C0301")).json()["id"])
        clock.travel(dt.timedelta(seconds=1))
    first = (await api.get(f"{REPORTS}?limit=2", headers=citizen.headers)).json()
    second = (
        await api.get(f"{REPORTS}?limit=2&cursor={first['nextCursor']}", headers=citizen.headers)
    ).json()
    third = (
        await api.get(f"{REPORTS}?limit=2&cursor={second['nextCursor']}", headers=citizen.headers)
    ).json()
    seen = [c["id"] for page in (first, second, third) for c in page["items"]]
    assert seen == list(reversed(ids)) and third["nextCursor"] is None
    assert_problem(
        await api.get(f"{REPORTS}?cursor=garbage!", headers=citizen.headers),
        400,
        "request.invalid_cursor",
    )


async def test_idempotent_report(api, city):
    citizen = await api.citizen()
    media = await upload_photo(api.client, citizen)
    body = {
        "category": "C0301",
        "location": {"lat": IN_GRID[0], "lon": IN_GRID[1]},
        "mediaIds": [media],
    }
    headers = {**citizen.headers, "Idempotency-Key": "report-1"}
    first = await api.post(REPORTS, json=body, headers=headers)
    again = await api.post(REPORTS, json=body, headers=headers)
    assert first.status_code == again.status_code == 201
    assert first.json()["id"] == again.json()["id"]
    mine = (await api.get(REPORTS, headers=citizen.headers)).json()["items"]
    assert len(mine) == 1


async def test_sla_reminder_and_escalation_once_per_level(api, city):
    citizen = await api.citizen()
    case_id = (await _report(api, citizen, category=AUTO_CATEGORY)).json()["id"]
    detail = await _state(api, city, case_id)
    deadline = dt.datetime.fromisoformat(detail["case"]["deadline"])
    # Just past the deadline: red, not yet the next level's escalation (which a day later
    # reached or not depending on the weekday and hour the suite ran, in working time).
    clock.travel(deadline - clock.now() + dt.timedelta(minutes=1))
    async with transaction():
        first = await check_sla()
    async with transaction():
        second = await check_sla()
    assert first["red"] == 1 and second == {"yellow": 0, "red": 0, "higher": 0}
    operator = await refreshed(api.client, city.operator)
    red = (await api.get("/api/admin/cases?light=red", headers=operator.headers)).json()
    assert [c["id"] for c in red["items"]] == [case_id] and red["items"][0]["overdue"]
    # The alert climbs to the centre above the case's (here the city's, whose operators are
    # those of no unit): once, to each.
    jobs = await NotificationJob.objects().where(NotificationJob.template == "alert.sla_red")
    assert [j.recipient_id for j in jobs] == [city.operator.subject_id]


@pytest.mark.parametrize(
    ("change", "status", "code"),
    [
        ({"category": "E9999"}, 422, "category.unknown"),
        ({"location": {"lat": 91, "lon": 120}}, 400, "request.invalid"),
        ({"location": {"lat": 36, "lon": 181}}, 400, "request.invalid"),
        ({"location": {"lat": 36, "lon": 120, "coordSys": "mars"}}, 400, "request.invalid"),
        ({"mediaIds": []}, 422, "case.photo_count"),
        ({"mediaIds": [f"m_{i}" for i in range(10)]}, 422, "case.photo_count"),
    ],
)
async def test_bad_reports(api, city, change, status, code):
    citizen = await api.citizen()
    body = {
        "category": "C0301",
        "location": {"lat": IN_GRID[0], "lon": IN_GRID[1]},
        "mediaIds": [await upload_photo(api.client, citizen)],
        **change,
    }
    assert_problem(await api.post(REPORTS, json=body, headers=citizen.headers), status, code)


async def test_another_citizens_photo_cannot_be_used(api, city):
    alice, bob = await api.citizen(), await api.citizen()
    alices = await upload_photo(api.client, alice)
    body = {
        "category": "C0301",
        "location": {"lat": IN_GRID[0], "lon": IN_GRID[1]},
        "mediaIds": [alices],
    }
    assert_problem(await api.post(REPORTS, json=body, headers=bob.headers), 404, "media.not_found")
    # Nothing was stored for the refused report, and Alice can still use her photo.
    assert (await api.get(REPORTS, headers=bob.headers)).json()["items"] == []
    assert (await api.post(REPORTS, json=body, headers=alice.headers)).status_code == 201


async def test_anonymous_report_hides_the_reporter_from_staff(api, city):
    citizen = await api.citizen_by_phone("13800138222")
    media = await upload_photo(api.client, citizen)
    body = {
        "category": AUTO_CATEGORY,
        "location": {"lat": IN_GRID[0], "lon": IN_GRID[1]},
        "mediaIds": [media],
        "anonymous": True,
    }
    case = (await api.post(REPORTS, json=body, headers=citizen.headers)).json()
    staff_view = (await _state(api, city, case["id"]))["case"]
    assert staff_view["anonymous"] is True and staff_view["reporterPhone"] is None
    named = {
        **body,
        "anonymous": False,
        "mediaIds": [await upload_photo(api.client, citizen, seed=3)],
    }
    other = (await api.post(REPORTS, json=named, headers=citizen.headers)).json()
    assert (await _state(api, city, other["id"]))["case"]["reporterPhone"] == "138****8222"
    # The citizen still gets feedback on the anonymous report.
    jobs = await NotificationJob.objects().where(NotificationJob.recipient_kind == "citizen")
    assert any(json.loads(j.params)["caseId"] == case["id"] for j in jobs)


async def test_report_rate_limit(api, city, monkeypatch):
    import api.citizen.reports as reports_api

    monkeypatch.setattr(reports_api, "REPORTS_PER_HOUR", 2)
    citizen = await api.citizen()
    for seed in range(2):
        assert (
            await _report(api, citizen, category="C0301", photos=1, key=f"r{seed}")
        ).status_code == 201
    limited = await api.post(
        REPORTS,
        json={
            "category": "C0301",
            "location": {"lat": IN_GRID[0], "lon": IN_GRID[1]},
            "mediaIds": [await upload_photo(api.client, citizen, seed=9)],
        },
        headers=citizen.headers,
    )
    body = assert_problem(limited, 429, "rate_limited")
    assert body["retryAfter"] > 0 and limited.headers["retry-after"]
