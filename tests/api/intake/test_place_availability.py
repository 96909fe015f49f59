"""PUT /api/intake/places/{id}/availability: the parking system bound to a car park sets its
free spaces; PUT /api/admin/places/{id}/feed binds one."""

import itertools

from accounts.api_keys import create_api_client
from core.db import transaction
from tests.helpers import assert_problem
from tests.places.util import add_place, fresh_index, nearby  # noqa: F401

_names = itertools.count(1)


async def _client(kind: str = "parking") -> tuple[int, dict]:
    """A machine client's id and the header carrying its key."""
    async with transaction():
        issued = await create_api_client(name=f"{kind}-{next(_names)}", kind=kind)
    return issued.client_id, {"X-Api-Key": issued.key}


async def _bind(api, admin, place_id: int, client_id: int | None):
    return await api.put(
        f"/api/admin/places/{place_id}/feed", json={"clientId": client_id}, headers=admin.headers
    )


async def _lot(api, admin, **attributes) -> dict:
    return await add_place(api, admin, kind="parking", name="停车场", attributes=attributes)


async def test_free_spaces_are_live(api):
    admin = await api.staff("admin")
    lot = await _lot(api, admin, total_spaces=50, free_spaces=50)
    client_id, key = await _client()
    assert (await _bind(api, admin, lot["id"], client_id)).json() == {
        "placeId": lot["id"],
        "clientId": client_id,
    }
    response = await api.put(
        f"/api/intake/places/{lot['id']}/availability", json={"freeSpaces": 3}, headers=key
    )
    assert response.status_code == 200, response.text
    assert response.json() == {"id": lot["id"], "freeSpaces": 3, "totalSpaces": 50}
    item = (await nearby(api, kinds="parking"))["items"][0]
    assert item["attributes"]["free_spaces"] == 3


async def test_only_the_bound_key_reports_a_car_park(api):
    admin = await api.staff("admin")
    lot = await _lot(api, admin, total_spaces=20)
    (first_id, first), (second_id, second) = await _client(), await _client()
    url = f"/api/intake/places/{lot['id']}/availability"

    # Unbound, no key may write: a parking key is not a key to every car park in the city.
    assert_problem(
        await api.put(url, json={"freeSpaces": 1}, headers=first), 403, "place.feed_not_yours"
    )
    await _bind(api, admin, lot["id"], first_id)
    assert (await api.put(url, json={"freeSpaces": 4}, headers=first)).status_code == 200
    assert_problem(
        await api.put(url, json={"freeSpaces": 0}, headers=second), 403, "place.feed_not_yours"
    )

    await _bind(api, admin, lot["id"], second_id)  # the car park changed operators
    assert_problem(
        await api.put(url, json={"freeSpaces": 0}, headers=first), 403, "place.feed_not_yours"
    )
    assert (await api.put(url, json={"freeSpaces": 9}, headers=second)).status_code == 200
    feed = await api.get(f"/api/admin/places/{lot['id']}/feed", headers=admin.headers)
    assert feed.json() == {"placeId": lot["id"], "clientId": second_id}

    await _bind(api, admin, lot["id"], None)
    assert_problem(
        await api.put(url, json={"freeSpaces": 1}, headers=second), 403, "place.feed_not_yours"
    )
    # The refused writes changed nothing.
    assert (await nearby(api, kinds="parking"))["items"][0]["attributes"]["free_spaces"] == 9


async def test_bad_feed_binding(api):
    admin = await api.staff("admin")
    lot = await _lot(api, admin, total_spaces=20)
    toilet = await add_place(api, admin, name="公厕")
    camera_id, _ = await _client(kind="camera")
    revoked_id, _ = await _client()
    revoked = await api.post(f"/api/admin/api-clients/{revoked_id}/revoke", headers=admin.headers)
    assert revoked.status_code in (200, 201), revoked.text
    for client_id in (99999, camera_id, revoked_id):
        assert_problem(
            await _bind(api, admin, lot["id"], client_id), 422, "place.feed_client_invalid"
        )
    parking_id, _ = await _client()
    assert_problem(await _bind(api, admin, toilet["id"], parking_id), 422, "place.not_parking")
    assert_problem(await _bind(api, admin, 99999, parking_id), 404, "place.not_found")
    url = f"/api/admin/places/{lot['id']}/feed"
    for body in ({"clientId": [7]}, {"clientId": 2**40}, {"client": 7}, {}):
        assert_problem(await api.put(url, json=body, headers=admin.headers), 400, "request.invalid")
    # Nothing above bound anything.
    assert (await api.get(url, headers=admin.headers)).json()["clientId"] is None


async def test_bad_availability(api):
    admin = await api.staff("admin")
    lot = await _lot(api, admin, total_spaces=10)
    toilet = await add_place(api, admin, name="公厕")
    client_id, key = await _client()
    await _bind(api, admin, lot["id"], client_id)
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


async def test_an_import_binds_car_parks_to_their_feeds(api):
    admin = await api.staff("admin")
    client_id, key = await _client()
    camera_id, _ = await _client("camera")
    revoked_id, _ = await _client()
    await api.post(f"/api/admin/api-clients/{revoked_id}/revoke", headers=admin.headers)
    header = "name,kind,lat,lon,total_spaces,feed_client_id"

    async def upload(*lines):
        return await api.post(
            "/api/admin/places/import",
            content="\n".join([header, *lines]).encode(),
            headers={**admin.headers, "Content-Type": "text/csv"},
        )

    body = assert_problem(
        await upload(
            f"公厕,toilet,36.06,120.38,,{client_id}",  # line 2: not a car park
            f"停车场,parking,36.06,120.38,10,{camera_id}",  # 3: not a parking client
            f"停车场,parking,36.06,120.38,10,{revoked_id}",  # 4: revoked
            "停车场,parking,36.06,120.38,10,abc",  # 5
            "停车场,parking,36.06,120.38,10,99999",  # 6: no such client
        ),
        422,
        "import.rejected",
    )
    assert [row["line"] for row in body["rows"]] == [2, 3, 4, 5, 6]
    assert "car parks" in body["rows"][0]["reason"] and "client id" in body["rows"][3]["reason"]

    imported = await upload(
        f"有系统的停车场,parking,36.0601,120.38,10,{client_id}",
        "无系统的停车场,parking,36.06,120.38,5,",
    )
    assert imported.status_code == 201, imported.text
    lots = {item["name"]: item["id"] for item in (await nearby(api, kinds="parking"))["items"]}
    fed, unfed = lots["有系统的停车场"], lots["无系统的停车场"]
    feed = await api.get(f"/api/admin/places/{fed}/feed", headers=admin.headers)
    assert feed.json() == {"placeId": fed, "clientId": client_id}
    url = "/api/intake/places/{}/availability"
    ok = await api.put(url.format(fed), json={"freeSpaces": 2}, headers=key)
    assert ok.status_code == 200, ok.text
    assert_problem(
        await api.put(url.format(unfed), json={"freeSpaces": 2}, headers=key),
        403,
        "place.feed_not_yours",
    )
