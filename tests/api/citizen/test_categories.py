"""GET /api/citizen/categories: the category tree for the report form, public, localized."""

from core.db import transaction
from org.categories_seed import seed_categories, seed_count
from org.service import update_category


async def seed():
    async with transaction():
        await seed_categories()


def find(body, code):
    for kind in body["kinds"]:
        for major in kind["children"]:
            if major["code"] == code:
                return major
            for leaf in major["children"]:
                if leaf["code"] == code:
                    return leaf
    return None


async def test_the_tree_is_public_and_chinese_by_default(api):
    await seed()
    response = await api.get("/api/citizen/categories")
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["locale"] == "zh-CN"
    assert [(kind["kind"], kind["name"]) for kind in body["kinds"]] == [
        ("component", "部件"),
        ("event", "事件"),
    ]
    assert find(body, "C0101")["name"] == "上水井盖"
    assert find(body, "E05")["name"] == "街面秩序"
    parking = find(body, "E0505")
    assert parking == {
        "code": "E0505",
        "name": "机动车乱停放",
        "urgent": False,
        "defaultPriority": 3,
        "verifiedOnSiteFirst": True,
    }
    assert find(body, "E0403")["urgent"] is True
    leaves = sum(len(major["children"]) for kind in body["kinds"] for major in kind["children"])
    assert leaves == seed_count() >= 60


async def test_the_tree_follows_accept_language(api):
    await seed()
    body = (
        await api.get(
            "/api/citizen/categories", headers={"Accept-Language": "en-GB,en;q=0.9,zh;q=0.5"}
        )
    ).json()
    assert body["locale"] == "en"
    assert [kind["name"] for kind in body["kinds"]] == ["Components", "Events"]
    assert find(body, "E0505")["name"] == "Illegally parked motor vehicle"
    assert find(body, "C0118")["name"] == "Street light"
    body = (
        await api.get("/api/citizen/categories", headers={"Accept-Language": "en;q=0.4, zh-CN"})
    ).json()
    assert body["locale"] == "zh-CN"


async def test_signed_in_citizens_see_the_same_tree(api):
    await seed()
    citizen = await api.citizen()
    response = await api.get("/api/citizen/categories", headers=citizen.headers)
    assert response.status_code == 200
    assert find(response.json(), "E0504")["name"] == "店外经营"


async def test_retired_categories_leave_the_tree(api):
    await seed()
    async with transaction():
        await update_category(code="E0512", active=False)
    body = (await api.get("/api/citizen/categories")).json()
    assert find(body, "E0512") is None
    assert find(body, "E0511") is not None


async def test_an_empty_catalogue_is_an_empty_tree(api):
    response = await api.get("/api/citizen/categories")
    assert response.status_code == 200
    assert response.json() == {"locale": "zh-CN", "kinds": []}
