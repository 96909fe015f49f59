"""The reporters' leaderboard through the real workflow: accepted reports of a city month or
year, citywide or in one district, names masked, reports found invalid not counted,
opted-out citizens left out."""

from core import clock
from core.db import transaction
from org import units
from tests.cases_city import AUTO_CATEGORY
from tests.helpers import assert_problem
from tests.points.test_earning import _act, _report, city  # noqa: F401 - the fixture
from tests.rewards.support import citizen_id, seed_points

BOARD = "/api/citizen/points/leaderboard"


def _rows(body: dict) -> list[tuple]:
    return [(x["rank"], x["name"], x["acceptedReports"], x["me"]) for x in body["leaders"]]


async def _board(api, session, query: str = "") -> dict:
    response = await api.get(f"{BOARD}{query}", headers=session.headers)
    assert response.status_code == 200, response.text
    return response.json()


async def test_leaderboard_by_month_year_and_district_masked(api, city):  # noqa: F811
    zhang, li, wang = await api.citizen(), await api.citizen(), await api.citizen()
    await api.patch("/api/citizen/me", json={"nickname": "张三丰"}, headers=zhang.headers)
    await api.patch("/api/citizen/me", json={"nickname": "李四"}, headers=li.headers)
    for reporter in (zhang, li, zhang, li):  # ties: who reached the count first
        await _report(api, reporter, category=AUTO_CATEGORY)
    invalid = await _report(api, li, category=AUTO_CATEGORY)
    await _act(api, city, invalid, "reject", reason="核实为虚假上报")  # no longer counts
    await seed_points(citizen_id(wang), 500)  # points without reports do not rank
    now = clock.city_now()
    this_month, this_year = now.strftime("%Y-%m"), now.year
    body = await _board(api, li)
    assert (body["month"], body["year"], body["district"]) == (this_month, this_year, None)
    expected = [(1, "张**", 2, False), (2, "李*", 2, True)]
    assert _rows(body) == expected
    assert "三丰" not in str(body)
    assert _rows(await _board(api, li, f"?month={this_month}")) == expected
    year = await _board(api, li, f"?year={this_year}")
    assert (year["month"], _rows(year)) == (None, expected)
    last_month = f"{this_year - 1}-12" if now.month == 1 else f"{this_year}-{now.month - 1:02d}"
    assert _rows(await _board(api, li, f"?month={last_month}")) == []
    assert _rows(await _board(api, li, f"?year={this_year - 1}")) == []
    # The demo's reports lie in 市南区 (370202); another district has none.
    assert _rows(await _board(api, li, "?district=370202")) == expected
    async with transaction():
        city_id = (await units.get_unit_by_code(code="370200")).id
        await units.create_org_unit(
            kind="district", code="370203", name_zh="市北区", parent_id=city_id
        )
    assert _rows(await _board(api, li, "?district=370203")) == []


async def test_opted_out_citizen_does_not_appear(api, city):  # noqa: F811
    zhang, li = await api.citizen(), await api.citizen()
    for reporter in (zhang, li, li):
        await _report(api, reporter, category=AUTO_CATEGORY)
    out = await api.patch("/api/citizen/me", json={"leaderboardOptOut": True}, headers=li.headers)
    assert out.status_code == 200 and out.json()["leaderboardOptOut"] is True
    assert [(x["acceptedReports"], x["me"]) for x in (await _board(api, li))["leaders"]] == [
        (1, False)
    ]
    back = await api.patch("/api/citizen/me", json={"leaderboardOptOut": False}, headers=li.headers)
    assert back.json()["leaderboardOptOut"] is False
    assert [x["me"] for x in (await _board(api, li))["leaders"]] == [True, False]


async def test_leaderboard_bad_input(api, city):  # noqa: F811
    citizen = await api.citizen()
    for query, status, code in [
        ("?month=2026-13", 400, "request.invalid"),
        ("?month=12-2026", 400, "request.invalid"),
        ("?year=1999", 400, "request.invalid"),
        ("?year=abc", 400, "request.invalid"),
        ("?month=2026-01&year=2026", 422, "points.invalid_period"),
        ("?district=nowhere", 404, "points.unknown_district"),
        ("?district=370202-HW", 404, "points.unknown_district"),  # a work unit, not a district
        ("?district=", 400, "request.invalid"),
    ]:
        assert_problem(await api.get(f"{BOARD}{query}", headers=citizen.headers), status, code)
    assert (await api.get(BOARD)).status_code == 401
