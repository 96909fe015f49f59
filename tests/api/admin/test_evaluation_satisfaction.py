"""Satisfaction surveys (回访, cases.survey) in the evaluation: per unit and area, the answered
surveys, the share fixed and each dimension's mean; shown beside the score, not in it."""

import csv
import io

import pytest

from core import clock
from tests.api.admin.test_evaluation import EVALUATION, _act, _by_code, _evaluate, _window
from tests.levels_city import IN_GRID, build_levels, file_report

SQUAD = "370202001-ZF"
STREET = "370202001"


@pytest.fixture
async def lv(api, settings_env):
    settings_env(CITYOPS_ACCESS_TOKEN_TTL_SECONDS=str(90 * 86400))
    return await build_levels(api)


async def test_satisfaction_per_unit_and_area(api, lv):
    start = clock.now()
    filed = [await file_report(api, at=IN_GRID, seed=i) for i in range(3)]
    for case_id, _ in filed:
        await _act(api, lv.city_op, case_id, "resolve", note="已处置")
        await _act(api, lv.city_op, case_id, "close", note="已核查")
    before = _by_code(await _evaluate(api, lv.city_op, start, level="unit"))[SQUAD]
    assert before["satisfaction"] == {
        "surveyed": 0,
        "fixedRate": None,
        "speed": None,
        "attitude": None,
        "result": None,
    }
    answers = [
        {"fixed": True, "speed": 5, "attitude": 5, "result": 5},
        {"fixed": False, "speed": 1, "attitude": 3, "result": 2},
    ]  # the third reporter does not answer
    for (case_id, who), answer in zip(filed, answers, strict=False):
        url = f"/api/citizen/reports/{case_id}/survey"
        answered = await api.post(url, json=answer, headers=who.headers)
        assert answered.status_code == 200, answered.text
    expected = {"surveyed": 2, "fixedRate": 0.5, "speed": 3.0, "attitude": 4.0, "result": 3.5}

    units = await _evaluate(api, lv.city_op, start, level="unit")
    squad = _by_code(units)[SQUAD]
    assert squad["satisfaction"] == expected
    assert squad["score"] == before["score"]  # shown, not weighted
    assert "satisfaction" not in str(units["weights"])
    streets = _by_code(await _evaluate(api, lv.city_op, start, level="area", areaKind="street"))
    assert streets[STREET]["satisfaction"] == expected
    inspectors = await _evaluate(api, lv.city_op, start, level="inspector")
    assert all(row["satisfaction"] is None for row in inspectors["rows"])

    exported = await api.get(
        EVALUATION, params={**_window(start), "format": "csv"}, headers=lv.city_op.headers
    )
    rows = list(csv.DictReader(io.StringIO(exported.content.decode("utf-8-sig"))))
    row = {r["code"]: r for r in rows}[SQUAD]
    assert (row["surveyed"], row["fixedRate"], row["attitude"]) == ("2", "0.5", "4.0")

    # Another district's centre sees none of them (the scope applies to the surveys too).
    north = _by_code(await _evaluate(api, lv.north_op, start, level="unit"))
    assert SQUAD not in north
