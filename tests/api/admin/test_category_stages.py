"""GB/T 30428 depth: a category's filing and closing conditions (立案条件, 结案条件) and the
limits of its timed stages (受理 accept, 派遣 dispatch, 处置 handle, 核查 verify), and each
stage's deadline and light in the staff case views, read from the case's history."""

import datetime as dt

import pytest

from core import clock
from core.db import transaction
from org.categories_conditions import CONDITIONS
from org.categories_seed import seed_categories
from org.stages import GENERIC_CLOSING, GENERIC_FILING
from org.tables import Category
from tests.cases_city import AUTO_CATEGORY, IN_GRID, build_city
from tests.helpers import assert_problem, upload_photo

CASES = "/api/admin/cases"
CATEGORIES = "/api/admin/categories"
VERIFIED = "E0102"  # 暴露垃圾: a citizen's report waits for an operator (受理)


@pytest.fixture
async def city(api, settings_env):
    settings_env(CITYOPS_ACCESS_TOKEN_TTL_SECONDS=str(90 * 86400))  # the clock travels days
    return await build_city(api)


async def _file(api, category=VERIFIED):
    citizen = await api.citizen()
    body = {
        "category": category,
        "location": {"lat": IN_GRID[0], "lon": IN_GRID[1]},
        "mediaIds": [await upload_photo(api.client, citizen)],
    }
    response = await api.post("/api/citizen/reports", json=body, headers=citizen.headers)
    assert response.status_code == 201, response.text
    return response.json()["id"], citizen


async def _act(api, city, case_id, action, **body):
    response = await api.post(
        f"{CASES}/{case_id}/{action}", json=body, headers=city.operator.headers
    )
    assert response.status_code == 200, response.text
    return response.json()


async def _detail(api, city, case_id, headers=None):
    response = await api.get(f"{CASES}/{case_id}", headers=headers or city.operator.headers)
    assert response.status_code == 200, response.text
    return response.json()


def _stages(detail):
    return {stage["stage"]: stage for stage in detail["stages"]}


def _at(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text.replace("Z", "+00:00"))


def _travel_to(moment: dt.datetime) -> None:
    clock.travel(moment - clock.now())


async def _patch(api, city, code, **body):
    return await api.patch(f"{CATEGORIES}/{code}", json=body, headers=city.admin.headers)


@pytest.fixture
async def admin(api, city):
    city.admin = await api.staff("admin")
    return city


async def test_each_stage_turns_yellow_then_red_and_closes_with_its_event(api, city):
    case_id, _ = await _file(api)
    stages = _stages(await _detail(api, city, case_id))
    assert list(stages) == ["accept", "dispatch", "handle", "verify"]
    accept = stages["accept"]
    assert accept["limit"] == {"value": 1, "unit": "working_hours"}
    assert accept["light"] == "green" and accept["finishedAt"] is None
    for later in ("dispatch", "handle", "verify"):
        assert stages[later]["startedAt"] is None and stages[later]["light"] is None
        assert stages[later]["deadline"] is None

    # Past 80 % of the working hour: yellow; past the deadline: red.
    _travel_to(_at(accept["deadline"]) - dt.timedelta(minutes=1))
    assert _stages(await _detail(api, city, case_id))["accept"]["light"] == "yellow"
    _travel_to(_at(accept["deadline"]) + dt.timedelta(minutes=1))
    assert _stages(await _detail(api, city, case_id))["accept"]["light"] == "red"

    # Accepting ends 受理 (late: it stays red) and starts 派遣 with a fresh limit.
    stages = _stages(await _act(api, city, case_id, "accept", autoDispatch=False))
    assert stages["accept"]["finishedAt"] is not None and stages["accept"]["light"] == "red"
    dispatch = stages["dispatch"]
    assert dispatch["startedAt"] == stages["accept"]["finishedAt"]
    assert dispatch["light"] == "green" and dispatch["finishedAt"] is None
    _travel_to(_at(dispatch["deadline"]) - dt.timedelta(minutes=1))
    assert _stages(await _detail(api, city, case_id))["dispatch"]["light"] == "yellow"

    # Dispatching in time ends 派遣 yellow and starts 处置 on the case's own SLA clock.
    body = await _act(api, city, case_id, "dispatch", unitId=city.unit_ids["370202-HW"])
    stages = _stages(body)
    assert stages["dispatch"]["finishedAt"] is not None
    assert stages["dispatch"]["light"] == "yellow"
    handle = stages["handle"]
    assert handle["startedAt"] == stages["dispatch"]["finishedAt"]
    assert handle["deadline"] == body["case"]["deadline"]
    assert handle["light"] == body["case"]["light"] == "green"
    # The handling unit's handler sees the same stages and the conditions in the field app.
    mine = await api.get(f"/api/inspector/cases/{case_id}", headers=city.handler_hw.headers)
    assert mine.status_code == 200, mine.text
    assert mine.json()["stages"] == body["stages"]
    assert mine.json()["conditions"]["closing"] == CONDITIONS[VERIFIED][2]
    category = (await api.get(f"{CATEGORIES}/{VERIFIED}", headers=city.operator.headers)).json()
    assert handle["limit"] == {"value": category["slaValue"], "unit": category["slaUnit"]}
    _travel_to(_at(handle["deadline"]) + dt.timedelta(minutes=1))
    detail = await _detail(api, city, case_id)
    assert _stages(detail)["handle"]["light"] == detail["case"]["light"] == "red"

    # Resolving ends 处置 and starts 核查; closing ends 核查.
    stages = _stages(await _act(api, city, case_id, "resolve", note="已清运"))
    assert stages["handle"]["finishedAt"] is not None and stages["handle"]["light"] == "red"
    verify = stages["verify"]
    assert verify["limit"] == {"value": 4, "unit": "working_hours"}
    assert verify["startedAt"] == stages["handle"]["finishedAt"] and verify["light"] == "green"
    _travel_to(_at(verify["deadline"]) - dt.timedelta(minutes=1))
    assert _stages(await _detail(api, city, case_id))["verify"]["light"] == "yellow"
    stages = _stages(await _act(api, city, case_id, "close"))
    assert stages["verify"]["finishedAt"] is not None and stages["verify"]["light"] == "yellow"
    # A finished stage's light is fixed: time passing changes nothing.
    clock.travel(dt.timedelta(days=10))
    later = _stages(await _detail(api, city, case_id))
    assert [s["light"] for s in later.values()] == ["red", "yellow", "red", "yellow"]


async def test_a_failed_check_ends_verify_and_starts_a_new_handling_round(api, city):
    case_id, _ = await _file(api, category=AUTO_CATEGORY)  # accepted and dispatched at once
    first = _stages(await _detail(api, city, case_id))
    assert first["accept"]["finishedAt"] is not None and first["accept"]["light"] == "green"
    assert first["dispatch"]["finishedAt"] is not None
    clock.travel(dt.timedelta(hours=1))
    await _act(api, city, case_id, "resolve", note="已劝离")
    clock.travel(dt.timedelta(minutes=30))
    body = await _act(api, city, case_id, "rework", note="人员仍在")
    stages = _stages(body)
    assert stages["verify"]["finishedAt"] is not None
    assert stages["handle"]["startedAt"] == stages["verify"]["finishedAt"]
    assert stages["handle"]["startedAt"] > first["handle"]["startedAt"]
    assert stages["handle"]["finishedAt"] is None
    assert stages["handle"]["deadline"] == body["case"]["deadline"]


async def test_urgent_categories_count_their_stages_in_minutes(api, admin):
    burst = (await api.get(f"{CATEGORIES}/E0402", headers=admin.operator.headers)).json()
    assert (burst["acceptLimitValue"], burst["acceptLimitUnit"]) == (10, "minutes")
    assert (burst["dispatchLimitValue"], burst["dispatchLimitUnit"]) == (10, "minutes")
    assert (burst["verifyLimitValue"], burst["verifyLimitUnit"]) == (2, "hours")
    response = await _patch(api, admin, VERIFIED, acceptLimitValue=5, acceptLimitUnit="minutes")
    assert response.status_code == 200, response.text
    case_id, _ = await _file(api)
    accept = _stages(await _detail(api, admin, case_id))["accept"]
    assert accept["limit"] == {"value": 5, "unit": "minutes"}
    # Clock minutes: 4 of 5 is 80 % whatever the day.
    clock.travel(dt.timedelta(minutes=4, seconds=1))
    assert _stages(await _detail(api, admin, case_id))["accept"]["light"] == "yellow"
    clock.travel(dt.timedelta(minutes=1))
    assert _stages(await _detail(api, admin, case_id))["accept"]["light"] == "red"


async def test_conditions_reach_operators_and_inspectors_but_not_citizens(api, city):
    case_id, citizen = await _file(api)
    filing_zh, filing_en, closing_zh, closing_en = CONDITIONS[VERIFIED]
    operator = await _detail(api, city, case_id)
    assert operator["conditions"] == {"filing": filing_zh, "closing": closing_zh}
    english = await _detail(
        api, city, case_id, headers={**city.operator.headers, "Accept-Language": "en"}
    )
    assert english["conditions"] == {"filing": filing_en, "closing": closing_en}

    field = await api.get(f"/api/inspector/cases/{case_id}", headers=city.inspector.headers)
    assert field.status_code == 200, field.text
    assert field.json()["conditions"] == {"filing": filing_zh, "closing": closing_zh}
    assert [s["stage"] for s in field.json()["stages"]] == [
        "accept",
        "dispatch",
        "handle",
        "verify",
    ]
    tree = await api.get("/api/inspector/categories", headers=city.inspector.headers)
    assert tree.status_code == 200, tree.text
    leaf = _leaf(tree.json(), VERIFIED)
    assert leaf["filingConditions"] == filing_zh and leaf["closingConditions"] == closing_zh
    assert [(s["stage"], s["value"], s["unit"]) for s in leaf["stageLimits"]][0] == (
        "accept",
        1,
        "working_hours",
    )
    # A category without its own text shows the generic one.
    assert _leaf(tree.json(), "C0503")["filingConditions"] == (GENERIC_FILING.zh)
    admin_view = await api.get(f"{CATEGORIES}/{VERIFIED}", headers=city.operator.headers)
    assert admin_view.json()["closingConditionsZh"] == closing_zh

    mine = await api.get(f"/api/citizen/reports/{case_id}", headers=citizen.headers)
    assert mine.status_code == 200, mine.text
    public_tree = await api.get("/api/citizen/categories")
    for response in (mine, public_tree):
        assert "onditions" not in response.text and "stageLimits" not in response.text
        assert filing_zh not in response.text and GENERIC_CLOSING.zh not in response.text


def _leaf(tree, code):
    for kind in tree["kinds"]:
        for major in kind["children"]:
            for leaf in major["children"]:
                if leaf["code"] == code:
                    return leaf
    raise AssertionError(f"{code} not in the tree")


async def test_admins_edit_conditions_and_limits(api, admin):
    response = await _patch(
        api,
        admin,
        VERIFIED,
        filingConditionsZh="  面积超过 1 平方米的暴露垃圾  ",
        closingConditionsEn="Cleared, nothing left.",
        dispatchLimitValue=30,
        dispatchLimitUnit="minutes",
        verifyLimitValue=2,  # the unit in force stays: working hours
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["filingConditionsZh"] == "面积超过 1 平方米的暴露垃圾"
    assert body["closingConditionsEn"] == "Cleared, nothing left."
    assert (body["dispatchLimitValue"], body["dispatchLimitUnit"]) == (30, "minutes")
    assert (body["verifyLimitValue"], body["verifyLimitUnit"]) == (2, "working_hours")
    case_id, _ = await _file(api)
    detail = await _detail(api, admin, case_id)
    assert detail["conditions"]["filing"] == "面积超过 1 平方米的暴露垃圾"
    assert _stages(detail)["dispatch"]["limit"] == {"value": 30, "unit": "minutes"}

    # "" puts the generic text back; a reset puts a stage back on its default.
    body = (
        await _patch(api, admin, VERIFIED, filingConditionsZh="", resetStageLimits=["dispatch"])
    ).json()
    assert body["filingConditionsZh"] == GENERIC_FILING.zh
    assert (body["dispatchLimitValue"], body["dispatchLimitUnit"]) == (1, "working_hours")


@pytest.mark.parametrize(
    ("body", "code", "stage"),
    [
        ({"acceptLimitValue": -1}, "category.invalid_stage_limit", "accept"),
        ({"acceptLimitValue": 0}, "category.invalid_stage_limit", "accept"),
        ({"dispatchLimitValue": 241, "dispatchLimitUnit": "working_hours"}, None, "dispatch"),
        ({"verifyLimitValue": 10_081, "verifyLimitUnit": "minutes"}, None, "verify"),
        ({"verifyLimitValue": 2**40}, None, "verify"),
        ({"acceptLimitUnit": "weeks"}, None, "accept"),
        ({"resetStageLimits": ["handle"]}, None, "handle"),
        ({"resetStageLimits": ["accept"], "acceptLimitValue": 2}, None, "accept"),
    ],
)
async def test_bad_stage_limits_are_refused(api, admin, body, code, stage):
    before = (await api.get(f"{CATEGORIES}/{VERIFIED}", headers=admin.operator.headers)).json()
    problem = assert_problem(
        await _patch(api, admin, VERIFIED, **body), 422, code or "category.invalid_stage_limit"
    )
    assert problem["stage"] == stage
    after = (await api.get(f"{CATEGORIES}/{VERIFIED}", headers=admin.operator.headers)).json()
    assert after == before


async def test_bad_conditions_and_writes_by_operators_are_refused(api, admin):
    problem = assert_problem(
        await _patch(api, admin, VERIFIED, closingConditionsZh="长" * 2001),
        422,
        "category.invalid_conditions",
    )
    assert problem["field"] == "closing_conditions_zh"
    response = await api.patch(
        f"{CATEGORIES}/{VERIFIED}",
        json={"acceptLimitValue": 2},
        headers=admin.operator.headers,
    )
    assert response.status_code == 403, response.text
    created = await api.post(
        CATEGORIES,
        json={
            "code": "E0199",
            "nameZh": "自定义",
            "nameEn": "Own",
            "slaValue": 4,
            "acceptLimitValue": 0,
        },
        headers=admin.admin.headers,
    )
    assert_problem(created, 422, "category.invalid_stage_limit")
    created = await api.post(
        CATEGORIES,
        json={"code": "E0199", "nameZh": "自定义", "nameEn": "Own", "slaValue": 4},
        headers=admin.admin.headers,
    )
    assert created.status_code == 201, created.text
    own = created.json()
    assert own["filingConditionsZh"] == GENERIC_FILING.zh
    assert (own["verifyLimitValue"], own["verifyLimitUnit"]) == (4, "working_hours")


async def test_the_seed_fills_what_is_missing_and_keeps_admin_edits(api, admin):
    assert (await _patch(api, admin, VERIFIED, acceptLimitValue=3)).status_code == 200
    # An older database: rows seeded before stages existed have no stage columns set.
    await Category.update(
        {
            Category.filing_conditions_zh: None,
            Category.verify_limit_value: None,
            Category.verify_limit_unit: None,
        }
    ).where(Category.code.is_in([VERIFIED, "E0505"]))
    async with transaction():
        assert await seed_categories() == 0
    parking = (await api.get(f"{CATEGORIES}/E0505", headers=admin.operator.headers)).json()
    assert parking["filingConditionsZh"] == CONDITIONS["E0505"][0]
    assert (parking["verifyLimitValue"], parking["verifyLimitUnit"]) == (4, "working_hours")
    rubbish = (await api.get(f"{CATEGORIES}/{VERIFIED}", headers=admin.operator.headers)).json()
    assert rubbish["acceptLimitValue"] == 3
    stored = (
        await Category.select(Category.filing_conditions_zh)
        .where(Category.code == VERIFIED)
        .first()
    )
    assert stored["filing_conditions_zh"] == CONDITIONS[VERIFIED][0]
