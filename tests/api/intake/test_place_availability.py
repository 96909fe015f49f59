"""PUT /api/intake/places/{id}/availability: a parking system sets its free spaces."""

from accounts.api_keys import create_api_client
from core.db import transaction
from tests.helpers import assert_problem
from tests.places.util import add_place, fresh_index, nearby  # noqa: F401


async def _key() -> str:
    async with transaction():
        return (await create_api_client(name="停车诱导系统", kind="parking")).key


async def test_free_spaces_are_live(api):
    admin = await api.staff("admin")
    lot = await add_place(
        api,
        admin,
        kind="parking",
        name="停车场",
        attributes={"total_spaces": 50, "free_spaces": 50},
    )
    key = await _key()
    response = await api.put(
        f"/api/intake/places/{lot['id']}/availability",
        json={"freeSpaces": 3},
        headers={"X-Api-Key": key},
    )
    assert response.status_code == 200, response.text
    assert response.json() == {"id": lot["id"], "freeSpaces": 3, "totalSpaces": 50}
    item = (await nearby(api, kinds="parking"))["items"][0]
    assert item["attributes"]["free_spaces"] == 3


async def test_bad_availability(api):
    admin = await api.staff("admin")
    lot = await add_place(
        api, admin, kind="parking", name="停车场", attributes={"total_spaces": 10}
    )
    toilet = await add_place(api, admin, name="公厕")
    key = {"X-Api-Key": await _key()}
    url = f"/api/intake/places/{lot['id']}/availability"
    assert_problem(await api.put(url, json={"freeSpaces": 1}), 401, "intake.key_invalid")
    assert_problem(
        await api.put(url, json={"freeSpaces": 1}, headers={"X-Api-Key": "co_wrong-key-000000"}),
        401,
        "intake.key_invalid",
    )
    assert_problem(await api.put(url, json={"freeSpaces": -1}, headers=key), 400, "request.invalid")
    assert_problem(await api.put(url, json={"freeSpaces": 11}, headers=key), 422, "place.invalid")
    assert_problem(
        await api.put(
            f"/api/intake/places/{toilet['id']}/availability", json={"freeSpaces": 1}, headers=key
        ),
        422,
        "place.not_parking",
    )
    assert_problem(
        await api.put("/api/intake/places/99999/availability", json={"freeSpaces": 1}, headers=key),
        404,
        "place.not_found",
    )
