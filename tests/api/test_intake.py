"""Machines report through /api/intake with a per-source API key."""

import asyncio

import pytest

from accounts.api_keys import create_api_client
from core.db import transaction
from tests.cases_city import IN_GRID, build_city
from tests.helpers import assert_problem

EVENTS = "/api/intake/events"


@pytest.fixture
async def city(api):
    return await build_city(api)


async def _client(name="ai-camera-1", kind="camera", trusted=True):
    async with transaction():
        return await create_api_client(name=name, kind=kind, trusted=trusted)


def _event(**extra):
    return {
        "externalId": "det-001",
        "kind": "camera",
        "category": "E0504",
        "location": {"lat": IN_GRID[0], "lon": IN_GRID[1]},
        "level": 3,
        "description": "AI 摄像头识别：店外经营",
        **extra,
    }


async def test_camera_detection_becomes_a_dispatched_case(api, city):
    key = (await _client()).key
    response = await api.post(EVENTS, json=_event(), headers={"X-Api-Key": key})
    assert response.status_code == 201, response.text
    body = response.json()
    assert body["state"] == "dispatched" and body["duplicate"] is False
    assert body["unitId"] == city.unit_ids["370202001-ZF"]
    detail = (await api.get(f"/api/admin/cases/{body['id']}", headers=city.operator.headers)).json()
    assert detail["case"]["source"] == "camera"


async def test_repeated_event_returns_the_same_case(api, city):
    key = (await _client()).key
    first = await api.post(EVENTS, json=_event(), headers={"X-Api-Key": key})
    again = await api.post(EVENTS, json=_event(), headers={"X-Api-Key": key})
    assert (first.status_code, again.status_code) == (201, 200)
    assert again.json()["id"] == first.json()["id"] and again.json()["duplicate"] is True


async def test_parallel_repeats_create_one_case(api, city):
    key = (await _client()).key
    responses = await asyncio.gather(
        *[
            api.post(EVENTS, json=_event(externalId="burst"), headers={"X-Api-Key": key})
            for _ in range(8)
        ]
    )
    assert sorted(r.status_code for r in responses) == [200] * 7 + [201]
    assert len({r.json()["id"] for r in responses}) == 1


async def test_same_external_id_from_another_source_is_another_case(api, city):
    one, two = (await _client("cam-a")).key, (await _client("cam-b")).key
    a = await api.post(EVENTS, json=_event(), headers={"X-Api-Key": one})
    b = await api.post(EVENTS, json=_event(), headers={"X-Api-Key": two})
    assert a.json()["id"] != b.json()["id"]


async def test_alarm_level_one_gas_leak_is_urgent(api, city):
    key = (await _client("gas-sensors", "sensor")).key
    response = await api.post(
        EVENTS,
        json=_event(kind="sensor", category="E0403", level=1, externalId="gas-77"),
        headers={"X-Api-Key": key},
    )
    body = response.json()
    assert body["priority"] == 1 and body["state"] == "dispatched"
    assert body["unitId"] == city.unit_ids["370200-GAS"]


@pytest.mark.parametrize("level", [1, 2, 3])
async def test_levels_map_to_priorities(api, city, level):
    key = (await _client()).key
    body = (
        await api.post(
            EVENTS, json=_event(externalId=f"l{level}", level=level), headers={"X-Api-Key": key}
        )
    ).json()
    assert body["priority"] == level


async def test_untrusted_source_waits_for_verification(api, city):
    key = (await _client("new-vendor", trusted=False)).key
    body = (await api.post(EVENTS, json=_event(), headers={"X-Api-Key": key})).json()
    assert body["state"] == "reported"


@pytest.mark.parametrize("headers", [{}, {"X-Api-Key": "co_unknown-key-value"}, {"X-Api-Key": "x"}])
async def test_unknown_key(api, city, headers):
    assert_problem(
        await api.post(EVENTS, json=_event(), headers=headers), 401, "intake.key_invalid"
    )


async def test_bad_events(api, city):
    key = (await _client()).key
    for change, status, code in (
        ({"category": "E9999"}, 422, "category.unknown"),
        ({"level": 4}, 400, "request.invalid"),
        ({"externalId": ""}, 400, "request.invalid"),
        ({"location": {"lat": 200, "lon": 0}}, 400, "request.invalid"),
    ):
        assert_problem(
            await api.post(EVENTS, json=_event(**change), headers={"X-Api-Key": key}), status, code
        )


async def test_parallel_events_get_distinct_numbers(api, city):
    key = (await _client()).key
    responses = await asyncio.gather(
        *[
            api.post(EVENTS, json=_event(externalId=f"many-{i}"), headers={"X-Api-Key": key})
            for i in range(20)
        ]
    )
    assert {r.status_code for r in responses} == {201}
    numbers = sorted(r.json()["number"] for r in responses)
    assert len(set(numbers)) == 20
    assert [int(n.split("-")[1]) for n in numbers] == list(range(1, 21))


async def test_the_key_decides_the_source_not_the_body(api, city):
    camera = (await _client(name="cam-kind")).key
    sensor = (await _client(name="water-level-7", kind="sensor")).key
    assert_problem(
        await api.post(EVENTS, json=_event(kind="sensor"), headers={"X-Api-Key": camera}),
        422,
        "intake.kind_mismatch",
    )
    untold = {k: v for k, v in _event(externalId="no-kind").items() if k != "kind"}
    for key, event, source in (
        (camera, untold, "camera"),
        (sensor, _event(kind="sensor"), "sensor"),
    ):
        response = await api.post(EVENTS, json=event, headers={"X-Api-Key": key})
        assert response.status_code == 201, response.text
        detail = await api.get(
            f"/api/admin/cases/{response.json()['id']}", headers=city.operator.headers
        )
        assert detail.json()["case"]["source"] == source
