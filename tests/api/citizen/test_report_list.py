"""What the app's lists need: each report with its category's name and a thumbnail, and a
category tree that says whether a report will be verified on site first."""

import pytest

from tests.api.citizen.test_categories import find
from tests.api.citizen.test_reports import REPORTS, _act, _report, _state
from tests.cases_city import AUTO_CATEGORY, build_city


@pytest.fixture
async def city(api):
    return await build_city(api)


async def test_list_items_carry_category_name_and_thumbnail(api, city):
    alice, bob = await api.citizen(), await api.citizen()
    case_id = (await _report(api, alice, category="C0301")).json()["id"]
    (item,) = (await api.get(REPORTS, headers=alice.headers)).json()["items"]
    tree = (await api.get("/api/citizen/categories")).json()
    assert item["categoryName"] == find(tree, "C0301")["name"]
    en = (await api.get(REPORTS, headers={**alice.headers, "Accept-Language": "en"})).json()
    en_tree = (await api.get("/api/citizen/categories", headers={"Accept-Language": "en"})).json()
    assert en["items"][0]["categoryName"] == find(en_tree, "C0301")["name"] != item["categoryName"]
    thumb = await api.get(item["thumbUrl"], headers=alice.headers)
    assert thumb.status_code == 200 and thumb.headers["content-type"] == "image/jpeg"
    # A follower's line shows a photo the public may see, and they may fetch it.
    await _act(api, city, case_id, "accept")
    await api.post(f"{REPORTS}/{case_id}/follow", headers=bob.headers)
    (followed,) = (
        await api.get(REPORTS, params={"scope": "following"}, headers=bob.headers)
    ).json()["items"]
    assert followed["thumbUrl"] == item["thumbUrl"]
    assert (await api.get(followed["thumbUrl"], headers=bob.headers)).status_code == 200


async def test_the_tree_says_which_reports_are_verified_first_and_filing_agrees(api, city):
    tree = (await api.get("/api/citizen/categories")).json()
    citizen = await api.citizen()
    for code in ("E0102", AUTO_CATEGORY):
        first = find(tree, code)["verifiedOnSiteFirst"]
        case_id = (await _report(api, citizen, category=code)).json()["id"]
        state = (await _state(api, city, case_id))["case"]["state"]
        assert (state == "reported") is first, (code, state)
    assert find(tree, "E0102")["verifiedOnSiteFirst"] is True
    assert find(tree, AUTO_CATEGORY)["verifiedOnSiteFirst"] is False


async def test_urgent_and_unverified_categories_are_not_verified_first(api, city):
    admin = await api.staff("admin")
    for body in (
        {"needsOnsiteVerification": False},
        {"needsOnsiteVerification": True, "urgent": True},
    ):
        response = await api.patch("/api/admin/categories/E0102", json=body, headers=admin.headers)
        assert response.status_code == 200, response.text
        tree = (await api.get("/api/citizen/categories")).json()
        assert find(tree, "E0102")["verifiedOnSiteFirst"] is False, body
