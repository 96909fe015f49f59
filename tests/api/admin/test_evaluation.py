"""综合评价: units, areas and inspectors scored, graded and ranked, as each centre sees them;
the values are worked out by hand for a small city below."""

import csv
import datetime as dt
import io

import pytest

from accounts.tables import Staff
from core import clock
from org.tables import OrgUnit
from tests.api.inspector.field import citizen_report, ok, patrol_report, photo
from tests.helpers import assert_problem
from tests.levels_city import IN_GRID, IN_GRID_NE, NORTH_UNIT_GRID, build_levels, file_report

EVALUATION = "/api/admin/evaluation"
CASES = "/api/admin/cases"


@pytest.fixture
async def lv(api, settings_env):
    settings_env(CITYOPS_ACCESS_TOKEN_TTL_SECONDS=str(90 * 86400))
    return await build_levels(api)


def _window(start: dt.datetime) -> dict:
    return {
        "from": (start - dt.timedelta(hours=1)).isoformat(),
        "to": (clock.now() + dt.timedelta(hours=1)).isoformat(),
    }


async def _evaluate(api, session, start, **params) -> dict:
    response = await api.get(
        EVALUATION, params={**_window(start), **params}, headers=session.headers
    )
    assert response.status_code == 200, response.text
    return response.json()


def _by_code(body: dict) -> dict[str, dict]:
    return {row["code"]: row for row in body["rows"]}


async def _act(api, session, case_id, action, **body):
    response = await api.post(f"{CASES}/{case_id}/{action}", json=body, headers=session.headers)
    assert response.status_code == 200, response.text


async def _handled_city(api, lv) -> dt.datetime:
    """八大关 (street 1): A closed in time, B reworked, C handed back by the squad and sent
    to sanitation, D resolved late; B's squad under a supervision order. 江苏路 (street 3):
    E closed in time. 市北区: F, reported only."""
    start = clock.now()
    op = lv.city_op
    a, b, c, d = [(await file_report(api, at=IN_GRID, seed=i))[0] for i in range(4)]
    (e, _), (f, _) = (
        await file_report(api, at=IN_GRID_NE, seed=5),
        await file_report(api, at=NORTH_UNIT_GRID, seed=6),
    )
    for case_id in (a, e):
        await _act(api, op, case_id, "resolve", note="已处置")
        await _act(api, op, case_id, "close", note="已核查")
    await _act(api, op, b, "resolve", note="已处置")
    await _act(api, op, b, "rework", reason="未清理干净")
    order = {"note": "请加快处置", "deadline": (clock.now() + dt.timedelta(days=1)).isoformat()}
    made = await api.post(f"{CASES}/{b}/supervision", json=order, headers=lv.supervisor.headers)
    assert made.status_code == 200, made.text
    back = await api.post(
        f"/api/inspector/cases/{c}/transfer",
        json={"reason": "不属于本中队"},
        headers=lv.squad_a.headers,
    )
    assert back.status_code == 200, back.text
    await _act(api, op, c, "dispatch", unitId=lv.units["370202-HW"])
    clock.travel(dt.timedelta(days=30))  # past every deadline
    await _act(api, op, d, "resolve", note="迟到的处置")
    assert f
    return start


async def test_units_by_hand_ranked_and_graded(api, lv):
    start = await _handled_city(api, lv)
    body = await _evaluate(api, lv.city_op, start, level="unit")
    assert body["level"] == "unit" and body["weights"]["onTimeRate"] == 0.4
    rows = _by_code(body)
    squad = rows["370202001-ZF"]
    assert squad["name"] == "八大关街道城管执法中队" and squad["id"] == str(
        lv.units["370202001-ZF"]
    )
    assert squad["counts"] == {
        "assigned": 3,  # A, B, D (C went to sanitation)
        "resolved": 3,  # each at least once
        "handled": 2,  # A, D (B is back in rework)
        "onTime": 1,
        "late": 1,
        "overdueOpen": 1,  # B
        "reworked": 1,
        "transfers": 1,
        "supervised": 1,
    }
    assert squad["rates"] == {
        "handlingRate": 0.6667,
        "onTimeRate": 0.3333,
        "reworkRate": 0.3333,
        "transferRate": 0.25,
    }
    # 100 × (0.4 × 0.3333 + 0.3 × 0.6667 + 0.2 × (1 − 0.3333) + 0.1 × (1 − 0.25))
    assert squad["score"] == 54.17 and squad["grade"] == "poor" and squad["gradeLabel"] == "差"
    sanitation = rows["370202-HW"]
    assert sanitation["counts"]["assigned"] == 1 and sanitation["counts"]["transfers"] == 0
    # nothing resolved: the rework rate drops out, 100 × 0.1 / 0.8
    assert sanitation["rates"]["reworkRate"] is None and sanitation["score"] == 12.5
    other = rows["370202003-ZF"]
    assert other["score"] == 100.0 and other["grade"] == "excellent" and other["gradeLabel"] == "优"
    assert [(r["code"], r["rank"]) for r in body["rows"]] == [
        ("370202003-ZF", 1),
        ("370202001-ZF", 2),
        ("370202-HW", 3),
    ]


async def test_areas_by_hand_at_each_level(api, lv):
    start = await _handled_city(api, lv)
    streets = _by_code(await _evaluate(api, lv.city_op, start, level="area", areaKind="street"))
    badaguan = streets["370202001"]
    assert badaguan["kind"] == "street" and badaguan["name"] == "八大关街道"
    assert badaguan["counts"] == {
        "reported": 4,
        "accepted": 4,
        "closed": 1,
        "closedOnTime": 1,
        "overdue": badaguan["counts"]["overdue"],
    }
    assert badaguan["rates"] == {
        "acceptanceRate": 1.0,
        "closureRate": 0.25,
        "onTimeClosureRate": 0.25,
    }
    assert badaguan["score"] == 25.0 and badaguan["grade"] == "poor" and badaguan["rank"] == 2
    assert streets["370202003"]["score"] == 100.0 and streets["370202003"]["rank"] == 1
    districts = _by_code(await _evaluate(api, lv.city_op, start, level="area"))
    assert districts["370202"]["counts"]["reported"] == 5
    assert districts["370202"]["score"] == 40.0  # 2 of 5 closed in time
    # 市北区: F accepted (no unit takes E05 there yet), nothing closed.
    assert districts["370203"]["counts"]["accepted"] == 1
    assert districts["370203"]["score"] == 0.0 and districts["370203"]["rank"] == 2
    grids = (await _evaluate(api, lv.city_op, start, level="area", areaKind="grid"))["rows"]
    assert sum(g["counts"]["reported"] for g in grids) == 6
    assert {g["kind"] for g in grids} == {"grid"}


async def test_a_centre_sees_its_own_scope_only(api, lv):
    start = await _handled_city(api, lv)
    district = _by_code(await _evaluate(api, lv.district_op, start, level="unit"))
    assert set(district) == {"370202001-ZF", "370202003-ZF", "370202-HW"}
    # The street station: its squad and the district's sanitation (on its cases), not the
    # other street's squad.
    street = _by_code(await _evaluate(api, lv.street_op, start, level="unit"))
    assert set(street) == {"370202001-ZF", "370202-HW"}
    assert street["370202001-ZF"]["counts"]["assigned"] == 3
    # 市北区's centre sees none of 市南区's units, streets or inspectors.
    assert (await _evaluate(api, lv.north_op, start, level="unit"))["rows"] == []
    north_areas = _by_code(await _evaluate(api, lv.north_op, start, level="area"))
    assert set(north_areas) == {"370203"}
    assert (await _evaluate(api, lv.district_op, start, level="area"))["rows"][0]["code"] == (
        "370202"
    )
    assert set(_by_code(await _evaluate(api, lv.district_op, start, level="area"))) == {"370202"}
    # A street station has no district to rank, only its street.
    assert (await _evaluate(api, lv.street_op, start, level="area"))["rows"] == []
    streets = await _evaluate(api, lv.street_op, start, level="area", areaKind="street")
    assert set(_by_code(streets)) == {"370202001"}
    # Supervisors read as their centre does.
    supervised = _by_code(await _evaluate(api, lv.supervisor, start, level="unit"))
    assert set(supervised) == set(district)
    # An operator placed in a unit sees that unit's cases: the unit, and no areas.
    squad_op = await api.staff("operator")
    await Staff.update({Staff.org_unit_id: lv.units["370202001-ZF"]}).where(
        Staff.id == squad_op.subject_id
    )
    assert set(_by_code(await _evaluate(api, squad_op, start, level="unit"))) == {"370202001-ZF"}
    assert (await _evaluate(api, squad_op, start, level="area"))["rows"] == []


async def test_inspectors_by_name_with_their_rates(api, lv):
    start = clock.now()
    inspector = lv.city.inspector
    await Staff.update({Staff.display_name: "王监督"}).where(Staff.id == inspector.subject_id)
    hw = lv.city.handler_hw
    p1, p2 = [(await patrol_report(api, inspector)).json()["case"]["id"] for _ in range(2)]
    for case_id in (p1, p2):
        await ok(api, hw, case_id, "resolve", {"mediaIds": [await photo(api, hw)], "note": "好"})
    await ok(api, inspector, p1, "check", {"passed": True})  # in time
    c1 = await citizen_report(api, await api.citizen())
    await ok(api, inspector, c1, "verify", {"valid": True})  # in time
    c2 = await citizen_report(api, await api.citizen())
    clock.travel(dt.timedelta(hours=5))  # past both the 2 h and the 4 h limits
    await ok(api, inspector, p2, "check", {"passed": True})
    await ok(api, inspector, c2, "verify", {"valid": True})
    body = await _evaluate(api, lv.city_op, start, level="inspector")
    (row,) = [r for r in body["rows"] if r["name"] == "王监督"]
    assert row["counts"] == {
        "reported": 2,
        "valid": 2,
        "verifications": 2,
        "verifiedOnTime": 1,
        "checks": 2,
        "checkedOnTime": 1,
    }
    assert row["rates"] == {"validRate": 1.0, "verifyRate": 0.5, "checkRate": 0.5}
    assert row["score"] == 70.0 and row["grade"] == "fair" and row["rank"] == 1
    assert row["kind"] == "inspector" and row["code"] is None
    assert row["id"] and row["id"] != str(inspector.subject_id)  # named, never numbered
    # Operators who acted on cases are not inspectors; 市北区 sees no inspector at all.
    assert [r["name"] for r in body["rows"]] == ["王监督"]
    assert (await _evaluate(api, lv.north_op, start, level="inspector"))["rows"] == []


async def test_csv_by_format_or_accept_with_formulas_made_inert(api, lv):
    start = await _handled_city(api, lv)
    squad = lv.units["370202001-ZF"]
    await OrgUnit.update({OrgUnit.name_zh: "=HYPERLINK(1)"}).where(OrgUnit.id == squad)
    by_format = await api.get(
        EVALUATION, params={**_window(start), "format": "csv"}, headers=lv.city_op.headers
    )
    by_accept = await api.get(
        EVALUATION,
        params=_window(start),
        headers={**lv.city_op.headers, "Accept": "text/csv"},
    )
    for response in (by_format, by_accept):
        assert response.status_code == 200, response.text
        assert response.headers["content-type"].startswith("text/csv")
        assert "evaluation-unit-" in response.headers["content-disposition"]
        rows = list(csv.DictReader(io.StringIO(response.content.decode("utf-8-sig"))))
        named = {row["code"]: row for row in rows}
        assert named["370202001-ZF"]["name"] == "'=HYPERLINK(1)"
        assert named["370202001-ZF"]["score"] == "54.17"
        assert named["370202001-ZF"]["transfers"] == "1"
        assert named["370202003-ZF"]["rank"] == "1"
        assert list(rows[0])[:8] == [
            "rank",
            "id",
            "kind",
            "code",
            "name",
            "score",
            "grade",
            "gradeLabel",
        ]


@pytest.mark.parametrize(
    ("params", "status", "code"),
    [
        (
            {"from": "2026-06-02T00:00:00Z", "to": "2026-06-01T00:00:00Z"},
            422,
            "request.invalid_range",
        ),
        (
            {"from": "2026-06-01T00:00:00Z", "to": "2026-06-01T00:00:00Z"},
            422,
            "request.invalid_range",
        ),
        (
            {"from": "2024-01-01T00:00:00Z", "to": "2026-01-01T00:00:00Z"},
            422,
            "request.invalid_range",
        ),
        ({"from": "2026-06-01", "to": "2026-07-01T00:00:00Z"}, 400, "request.invalid"),
        ({"from": "2026-06-01T00:00:00", "to": "2026-07-01T00:00:00Z"}, 400, "request.invalid"),
        ({"from": "yesterday", "to": "2026-07-01T00:00:00Z"}, 400, "request.invalid"),
        ({"from": ""}, 400, "request.invalid"),
        ({"level": "planet"}, 400, "request.invalid"),
        ({"level": "area", "areaKind": "country"}, 400, "request.invalid"),
        ({"format": "xlsx"}, 400, "request.invalid"),
    ],
)
async def test_refusals(api, lv, params, status, code):
    window = {"from": "2026-06-01T00:00:00Z", "to": "2026-07-01T00:00:00Z"}
    response = await api.get(EVALUATION, params={**window, **params}, headers=lv.city_op.headers)
    assert_problem(response, status, code)


async def test_citizens_and_handlers_are_refused(api, lv):
    window = {"from": "2026-06-01T00:00:00Z", "to": "2026-07-01T00:00:00Z"}
    citizen = await api.citizen()
    for session in (citizen, lv.squad_a, lv.city.inspector):
        response = await api.get(EVALUATION, params=window, headers=session.headers)
        assert response.status_code in (401, 403), response.text
