"""Idempotency-Key on mobile POSTs, exercised through device registration."""

import asyncio

from core.tables import IdempotencyRecord
from tests.helpers import assert_problem

DEVICES = "/api/citizen/devices"
DEVICE = {"platform": "ios", "token": "a" * 64, "appVersion": "1.2.0", "locale": "zh-CN"}


def _with_key(session, key):
    return {**session.headers, "Idempotency-Key": key}


async def test_retry_replays_the_first_response(api):
    citizen = await api.citizen()
    first = await api.post(DEVICES, json=DEVICE, headers=_with_key(citizen, "k-1"))
    second = await api.post(DEVICES, json=DEVICE, headers=_with_key(citizen, "k-1"))
    assert first.status_code == second.status_code == 201
    assert first.json() == second.json()
    assert second.headers["idempotent-replayed"] == "true"
    assert "idempotent-replayed" not in first.headers


async def test_same_key_different_body_is_a_422(api):
    citizen = await api.citizen()
    await api.post(DEVICES, json=DEVICE, headers=_with_key(citizen, "k-2"))
    changed = {**DEVICE, "appVersion": "9.9.9"}
    assert_problem(
        await api.post(DEVICES, json=changed, headers=_with_key(citizen, "k-2")),
        422,
        "idempotency.key_reused",
    )


async def test_keys_are_per_user(api):
    alice, bob = await api.citizen(), await api.citizen()
    a = await api.post(DEVICES, json=DEVICE, headers=_with_key(alice, "shared"))
    b = await api.post(
        DEVICES, json={**DEVICE, "token": "b" * 64}, headers=_with_key(bob, "shared")
    )
    assert a.status_code == b.status_code == 201
    assert "idempotent-replayed" not in b.headers and a.json()["id"] != b.json()["id"]


async def test_invalid_key(api):
    citizen = await api.citizen()
    for key in ("x" * 256, "has space", "中文".encode()):
        headers = {**citizen.headers, "Idempotency-Key": key}
        assert_problem(
            await api.post(DEVICES, json=DEVICE, headers=headers), 400, "idempotency.key_invalid"
        )


async def test_failed_request_is_not_remembered(api):
    citizen = await api.citizen()
    bad = await api.post(
        DEVICES, json={**DEVICE, "platform": "symbian"}, headers=_with_key(citizen, "k-3")
    )
    assert bad.status_code == 400
    assert await IdempotencyRecord.count() == 0
    good = await api.post(DEVICES, json=DEVICE, headers=_with_key(citizen, "k-3"))
    assert good.status_code == 201


async def test_concurrent_requests_with_one_key_act_once(api):
    citizen = await api.citizen()
    responses = await asyncio.gather(
        *[api.post(DEVICES, json=DEVICE, headers=_with_key(citizen, "k-race")) for _ in range(10)]
    )
    assert {r.status_code for r in responses} == {201}
    assert len({r.json()["id"] for r in responses}) == 1
    assert sum("idempotent-replayed" not in r.headers for r in responses) == 1
    assert await IdempotencyRecord.count() == 1


async def test_devices_move_to_the_new_owner_and_are_removed_on_logout(api):
    alice, bob = await api.citizen(), await api.citizen()
    mine = (await api.post(DEVICES, json=DEVICE, headers=alice.headers)).json()
    taken = (await api.post(DEVICES, json=DEVICE, headers=bob.headers)).json()
    assert taken["id"] == mine["id"]
    assert (await api.get(DEVICES, headers=alice.headers)).json() == []
    assert_problem(
        await api.delete(f"{DEVICES}/{mine['id']}", headers=alice.headers), 404, "device.not_found"
    )
    assert (await api.delete(f"{DEVICES}/{mine['id']}", headers=bob.headers)).status_code == 204
    assert (await api.get(DEVICES, headers=bob.headers)).json() == []


async def test_staff_devices(api):
    staff = await api.staff("inspector")
    response = await api.post(
        "/api/inspector/devices", json={**DEVICE, "platform": "android"}, headers=staff.headers
    )
    assert response.status_code == 201
    assert len((await api.get("/api/inspector/devices", headers=staff.headers)).json()) == 1


async def test_bad_device_input(api):
    citizen = await api.citizen()
    for body in (
        {**DEVICE, "token": "short"},
        {**DEVICE, "platform": "nokia"},
        {**DEVICE, "locale": "fr"},
        {"platform": "ios"},
    ):
        assert_problem(
            await api.post(DEVICES, json=body, headers=citizen.headers), 400, "request.invalid"
        )


async def test_a_refusal_that_counts_leaves_the_key_free(api, settings_env):
    """A report refused by the hourly limit commits the limit's count, not the key: the
    phone's offline queue replays it later with the same key and it is filed then."""
    import datetime as dt

    # 21 photos for 21 reports: more than the upload burst, which is not the point here.
    settings_env(CITYOPS_MEDIA_UPLOAD_BURST="50")

    from api.citizen.reports import REPORTS_PER_HOUR
    from core import clock
    from tests.cases_city import AUTO_CATEGORY, IN_GRID, build_city
    from tests.helpers import refreshed, upload_photo

    await build_city(api)
    citizen = await api.citizen()
    queued_photo = await upload_photo(api.client, citizen, seed=999)

    async def report(key, photo=None):
        body = {
            "category": AUTO_CATEGORY,
            "location": {"lat": IN_GRID[0], "lon": IN_GRID[1]},
            "mediaIds": [photo or await upload_photo(api.client, citizen, seed=len(key))],
        }
        return await api.post("/api/citizen/reports", json=body, headers=_with_key(citizen, key))

    for n in range(REPORTS_PER_HOUR):
        assert (await report(f"filed-{n}")).status_code == 201
    refused = await report("queued", queued_photo)
    assert_problem(refused, 429, "rate_limited")
    assert_problem(await report("queued", queued_photo), 429, "rate_limited")
    clock.travel(dt.timedelta(hours=1, minutes=1))
    citizen = await refreshed(api.client, citizen)
    filed = await report("queued", queued_photo)
    assert filed.status_code == 201, filed.text
    assert "idempotent-replayed" not in filed.headers
    again = await report("queued", queued_photo)
    assert again.status_code == 201 and again.headers["idempotent-replayed"] == "true"
    assert again.json()["id"] == filed.json()["id"]


async def test_a_key_stored_without_a_response_is_taken_over(api):
    """Keys poisoned by an older release (claimed, committed, no response) never 500."""
    from core.ids import sha256_hex

    citizen = await api.citizen()
    first = await api.post(DEVICES, json=DEVICE, headers=_with_key(citizen, "k-poisoned"))
    record = await IdempotencyRecord.objects().first()
    await IdempotencyRecord.update(
        {IdempotencyRecord.status_code: None, IdempotencyRecord.response_body: None}
    ).where(IdempotencyRecord.id == record.id)
    await IdempotencyRecord.update({IdempotencyRecord.request_hash: sha256_hex("other")}).where(
        IdempotencyRecord.id == record.id
    )
    retry = await api.post(DEVICES, json=DEVICE, headers=_with_key(citizen, "k-poisoned"))
    assert retry.status_code == 201, retry.text
    assert retry.json()["id"] == first.json()["id"]  # registering a device is itself idempotent
    replay = await api.post(DEVICES, json=DEVICE, headers=_with_key(citizen, "k-poisoned"))
    assert replay.headers["idempotent-replayed"] == "true"
