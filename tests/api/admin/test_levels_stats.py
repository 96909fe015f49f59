"""Statistics and their CSV export count the caller's scope only: a district centre its
district, a street station its street, the city centre everything; supervisors read within
theirs. A filter naming an area, unit or grid outside the scope is a 404, as if it did not
exist."""

import csv
import datetime as dt
import io

import pytest

from core import clock
from tests.helpers import assert_problem
from tests.levels_city import IN_GRID, IN_GRID_NE, NORTH_UNIT_GRID, admin_case, build_levels
from tests.levels_city import file_report as report

STATS = "/api/admin/stats"
CASES = "/api/admin/cases"
GROUPINGS = ("unit", "grid", "category", "source", "day")


@pytest.fixture
async def lv(api, settings_env):
    settings_env(CITYOPS_ACCESS_TOKEN_TTL_SECONDS=str(90 * 86400))
    return await build_levels(api)


@pytest.fixture
async def filed(api, lv) -> dict[str, dict]:
    """A case in 八大关 (the street station's), one elsewhere in 市南区, one in 市北区; the
    city centre resolves and checks (closes) the 八大关 and 市北区 ones."""
    cases = {}
    for name, at, seed in (
        ("badaguan", IN_GRID, 1),
        ("jiangsu", IN_GRID_NE, 2),
        ("north", NORTH_UNIT_GRID, 3),
    ):
        case_id, _ = await report(api, at=at, seed=seed)
        cases[name] = (await admin_case(api, lv.city_op, case_id))["case"]
    # 市北区 has no dispatch rule of its own: the city centre sends its case to a city unit.
    water = lv.city.unit_ids["370200-WATER"]
    for name, action, body in (
        ("north", "dispatch", {"unitId": water}),
        ("badaguan", "resolve", {"note": "已处理"}),
        ("badaguan", "close", {}),
        ("north", "resolve", {"note": "已处理"}),
        ("north", "close", {}),
    ):
        response = await api.post(
            f"{CASES}/{cases[name]['id']}/{action}", json=body, headers=lv.city_op.headers
        )
        assert response.status_code == 200, response.text
    return {name: (await admin_case(api, lv.city_op, c["id"]))["case"] for name, c in cases.items()}


def _window() -> dict[str, str]:
    now = clock.now()
    return {
        "from": (now - dt.timedelta(hours=1)).isoformat(),
        "to": (now + dt.timedelta(hours=1)).isoformat(),
    }


async def _stats(api, session, **params) -> dict:
    response = await api.get(STATS, params={**_window(), **params}, headers=session.headers)
    assert response.status_code == 200, response.text
    return response.json()


def _reported(page: dict) -> int:
    return page["totals"]["reported"] if page["totals"] else 0


def _expected(lv) -> list[tuple[str, object, int]]:
    return [
        ("city", lv.city_op, 3),
        ("city (operator of no unit)", lv.city.operator, 3),
        ("district", lv.district_op, 2),
        ("district supervisor", lv.supervisor, 2),
        ("street", lv.street_op, 1),
        ("north", lv.north_op, 1),
    ]


async def test_every_grouping_counts_only_the_callers_area(api, lv, filed):
    for who, session, count in _expected(lv):
        for group_by in GROUPINGS:
            page = await _stats(api, session, groupBy=group_by)
            assert _reported(page) == count, (who, group_by, page)
            assert sum(row["reported"] for row in page["rows"]) == count, (who, group_by)
    grids = await _stats(api, lv.street_op, groupBy="grid")
    assert {row["key"] for row in grids["rows"]} == {str(filed["badaguan"]["gridId"])}
    north = await _stats(api, lv.north_op, groupBy="unit")
    assert north["totals"]["closed"] == 1 and north["totals"]["secondsToClose"] is not None


async def test_the_csv_export_counts_the_same_scope(api, lv, filed):
    for who, session, count in _expected(lv):
        response = await api.get(
            STATS,
            params={**_window(), "groupBy": "unit", "format": "csv"},
            headers=session.headers,
        )
        assert response.status_code == 200, response.text
        rows = list(csv.DictReader(io.StringIO(response.content.decode("utf-8-sig"))))
        total = next(row for row in rows if row["key"] == "all")
        assert int(total["reported"]) == count, who


async def test_inspector_rows_count_checks_on_cases_in_scope(api, lv, filed):
    """The city centre checked one 八大关 case and one 市北区 case: each centre sees only
    the check on its own case, and its totals are its own cases."""
    checker = str(lv.city_op.subject_id)
    for who, session, checks, total in (
        ("city", lv.city_op, 2, 3),
        ("district", lv.district_op, 1, 2),
        ("street", lv.street_op, 1, 1),
        ("north", lv.north_op, 1, 1),
    ):
        page = await _stats(api, session, groupBy="inspector")
        rows = {row["key"]: row for row in page["rows"]}
        assert rows[checker]["checks"] == checks, who
        assert _reported(page) == total, who


async def test_filters_inside_the_scope_narrow_the_numbers(api, lv, filed):
    street_id = filed["badaguan"]["streetId"]
    for session, params, count in (
        (lv.district_op, {"streetId": street_id}, 1),
        (lv.district_op, {"gridId": filed["jiangsu"]["gridId"]}, 1),
        (lv.district_op, {"districtId": filed["badaguan"]["districtId"]}, 2),
        (lv.supervisor, {"streetId": street_id}, 1),
        (lv.street_op, {"streetId": street_id}, 1),
        (lv.street_op, {"unitId": filed["badaguan"]["unitId"]}, 1),
        (lv.city_op, {"districtId": lv.units["north"]}, 1),
        (lv.city_op, {"streetId": street_id}, 1),
    ):
        page = await _stats(api, session, groupBy="source", **params)
        assert _reported(page) == count, params


async def test_filters_outside_the_scope_are_not_found(api, lv, filed):
    district_id = filed["badaguan"]["districtId"]
    outside = (
        (lv.district_op, {"districtId": lv.units["north"]}),
        (lv.supervisor, {"districtId": lv.units["north"]}),
        (lv.street_op, {"districtId": district_id}),  # wider than the street's area
        (lv.street_op, {"gridId": filed["jiangsu"]["gridId"]}),
        (lv.north_op, {"streetId": filed["badaguan"]["streetId"]}),
        (lv.north_op, {"unitId": filed["badaguan"]["unitId"]}),
        (lv.north_op, {"gridId": filed["badaguan"]["gridId"]}),
        (lv.district_op, {"gridId": filed["north"]["gridId"]}),
        # Nothing by that id, or not that kind of area: the same answer, for anyone.
        (lv.city_op, {"districtId": 999_999}),
        (lv.city_op, {"gridId": 999_999}),
        (lv.city_op, {"districtId": filed["badaguan"]["streetId"]}),
    )
    for session, params in outside:
        for fmt in ("json", "csv"):
            response = await api.get(
                STATS,
                params={**_window(), "groupBy": "unit", "format": fmt, **params},
                headers=session.headers,
            )
            assert_problem(response, 404, "stats.filter_not_found")
