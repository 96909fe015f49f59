"""Watch areas (cases.watch): a citizen draws a polygon or a circle, or picks a grid, and is
told of new public cases inside it, at once or in one daily digest (cases.watch_digest)."""

from __future__ import annotations

import asyncio
import datetime as dt

import pytest

from cases.watch_digest import send_digests
from core import clock
from core.db import is_sqlite
from notify.worker import Outbox
from org import grids
from org.geo import wgs84_to_gcj02
from tests.api.visibility_support import World, build_world, operator, report
from tests.helpers import Session, assert_problem

AREAS = "/api/citizen/watch-areas"
INBOX = "/api/citizen/notifications"
P1 = (36.0574, 120.3745)
CENTRE = (36.057, 120.37375)  # the centre of P1's private cell
FAR = (36.0665, 120.3935)


@pytest.fixture
async def w(api) -> World:
    return await build_world(api)


def _square(lat: float, lon: float, half: float) -> dict:
    ring = [
        [lon - half, lat - half],
        [lon + half, lat - half],
        [lon + half, lat + half],
        [lon - half, lat + half],
        [lon - half, lat - half],
    ]
    return {"type": "Polygon", "coordinates": [ring]}


async def _watch(w: World, who: Session, **body) -> dict:
    response = await w.api.post(AREAS, json=body, headers=who.headers)
    assert response.status_code == 201, response.text
    return response.json()


async def _inbox(w: World, who: Session) -> list[dict]:
    await Outbox(providers={}).drain()
    return (await w.api.get(INBOX, headers=who.headers)).json()["items"]


def _of(items: list[dict], kind: str) -> list[dict]:
    return [item for item in items if item["type"] == kind]


async def test_create_list_and_delete_in_the_system_asked_for(w):
    lat, lon = wgs84_to_gcj02(*P1)
    drawn = await _watch(
        w, w.bob, name="家门口", polygon=_square(lat, lon, 0.002), coordSys="gcj02"
    )
    assert drawn["kind"] == "polygon" and drawn["coordSys"] == "gcj02"
    assert drawn["polygon"]["coordinates"][0][0] == pytest.approx([lon - 0.002, lat - 0.002])
    assert 0.1 < drawn["areaKm2"] < 0.2  # 0.004° x 0.004° at 36°N: ~0.16 km²
    wgs = (await w.api.get(AREAS, headers=w.bob.headers)).json()[0]
    assert wgs["coordSys"] == "wgs84" and wgs["polygon"] != drawn["polygon"]
    circle = await _watch(w, w.bob, circle={"center": {"lat": P1[0], "lon": P1[1]}, "radiusM": 500})
    assert circle["circle"]["radiusM"] == 500 and 0.7 < circle["areaKm2"] < 0.8  # π·0.25
    grid = (await grids.locate(lat=P1[0], lon=P1[1])).code
    picked = await _watch(w, w.bob, grid=grid, digest=True)
    assert picked["grid"] == grid and picked["digest"] is True
    listed = await w.api.get(AREAS, params={"coordSys": "gcj02"}, headers=w.bob.headers)
    assert [a["id"] for a in listed.json()] == [drawn["id"], circle["id"], picked["id"]]
    assert listed.json()[0]["polygon"] == drawn["polygon"]

    # Another citizen's area is a 404, as one that does not exist; its owner may delete it.
    gone = await w.api.delete(f"{AREAS}/{circle['id']}", headers=w.alice.headers)
    assert_problem(gone, 404, "watch.not_found")
    assert (await w.api.delete(f"{AREAS}/{circle['id']}", headers=w.bob.headers)).status_code == 204
    assert len((await w.api.get(AREAS, headers=w.bob.headers)).json()) == 2
    assert (await w.api.get(AREAS, headers=w.alice.headers)).json() == []


async def test_watchers_are_told_of_new_public_cases_inside_at_once(w):
    carol = await w.api.citizen()
    await _watch(
        w, w.bob, name="家门口", circle={"center": {"lat": P1[0], "lon": P1[1]}, "radiusM": 300}
    )
    await _watch(w, carol, circle={"center": {"lat": FAR[0], "lon": FAR[1]}, "radiusM": 300})
    await _watch(w, w.alice, circle={"center": {"lat": P1[0], "lon": P1[1]}, "radiusM": 300})
    filed = await report(w, at=P1)  # alice's
    assert _of(await _inbox(w, w.bob), "watch.new_case") == []  # not public yet
    await operator(w, filed.id, "accept")

    (told,) = _of(await _inbox(w, w.bob), "watch.new_case")
    assert told["caseId"] == filed.id and "家门口" in told["body"]
    assert set(told["params"]) == {"caseId", "number", "area"}  # nothing of the reporter's
    assert _of(await _inbox(w, carol), "watch.new_case") == []  # elsewhere
    assert _of(await _inbox(w, w.alice), "watch.new_case") == []  # her own report
    # The watcher opens the case: its public view.
    seen = await w.api.get(f"/api/public/cases/{filed.id}")
    assert (
        seen.status_code == 200 and seen.json()["properties"]["number"] == told["params"]["number"]
    )


async def test_private_cases_match_areas_by_their_public_position(w):
    # A small square around the exact point, away from its cell's centre: a citizen cannot
    # learn that someone begs at their neighbour's door; one around the centre is told.
    nosy, fair = await w.api.citizen(), await w.api.citizen()
    await _watch(w, nosy, polygon=_square(P1[0], P1[1], 0.0002))
    await _watch(w, fair, polygon=_square(CENTRE[0], CENTRE[1], 0.0002))
    await report(w, category="E0502", at=P1)  # accepted at once
    assert _of(await _inbox(w, nosy), "watch.new_case") == []
    assert len(_of(await _inbox(w, fair), "watch.new_case")) == 1


async def _digests_at(day: int, hour: int, runs: int = 1) -> list[int]:
    """Run the digest task ``runs`` times at once at ``hour`` of the city's day ``day``
    from today (the clock comes back after: tokens must not expire)."""
    delta = clock.start_of_city_day() + dt.timedelta(days=day, hours=hour) - clock.now()
    clock.travel(delta)
    try:
        sent = sorted(await asyncio.gather(*(send_digests() for _ in range(runs))))
        await Outbox(providers={}).drain()  # due at that time
        return sent
    finally:
        clock.travel(-delta)


async def test_the_digest_goes_out_once_a_day_per_citizen(w, settings_env):
    settings_env(CITYOPS_WATCH_DIGEST_HOUR="19")
    circle = {"center": {"lat": P1[0], "lon": P1[1]}, "radiusM": 300}
    await _watch(w, w.bob, digest=True, circle=circle)
    await _watch(w, w.bob, digest=True, circle={**circle, "radiusM": 400})  # both hold them
    first, second = await report(w, at=P1), await report(w, at=P1)
    for filed in (first, second):
        await operator(w, filed.id, "accept")
    assert _of(await _inbox(w, w.bob), "watch.new_case") == []  # the digest, not at once

    assert await _digests_at(1, 9) == [0]  # before the hour
    # Two workers at once (serialised on SQLite): one digest.
    assert await _digests_at(1, 19, runs=2) == [0, 1]
    assert await _digests_at(1, 23) == [0]  # the same day again
    (digest,) = _of(await _inbox(w, w.bob), "watch.digest")
    assert digest["params"]["count"] == 2 and digest["link"] == "cityops://watch-areas"
    assert set(digest["params"]["numbers"].split("、")) == {
        c["number"] for c in await _numbers(w, first.id, second.id)
    }

    # A case after that day's digest waits for the next one, which counts it alone.
    third = await report(w, at=P1)
    await operator(w, third.id, "accept")
    assert await _digests_at(1, 22) == [0]
    assert await _digests_at(2, 20, runs=2) == [0, 1]
    digests = _of(await _inbox(w, w.bob), "watch.digest")
    assert [d["params"]["count"] for d in digests] == [1, 2]  # newest first


async def _numbers(w: World, *ids: str) -> list[dict]:
    out = []
    for case_id in ids:
        response = await w.api.get(f"/api/citizen/reports/{case_id}", headers=w.alice.headers)
        out.append(response.json())
    return out


async def test_limits_on_number_and_size(w, settings_env):
    settings_env(CITYOPS_WATCH_AREAS_MAX="2", CITYOPS_WATCH_AREA_MAX_KM2="1")
    circle = {"center": {"lat": P1[0], "lon": P1[1]}, "radiusM": 500}
    big = await w.api.post(
        AREAS, json={"circle": {**circle, "radiusM": 600}}, headers=w.bob.headers
    )
    assert_problem(big, 422, "watch.area_too_large")
    if is_sqlite():
        made = [
            await w.api.post(AREAS, json={"circle": circle}, headers=w.bob.headers)
            for _ in range(3)
        ]
    else:  # parallel requests cannot pass the limit together
        made = await asyncio.gather(
            *(w.api.post(AREAS, json={"circle": circle}, headers=w.bob.headers) for _ in range(4))
        )
    assert sorted(r.status_code for r in made).count(201) == 2
    refused = [r for r in made if r.status_code != 201]
    for response in refused:
        assert_problem(response, 409, "watch.too_many")


BAD = [
    ({}, 422, "watch.invalid_area"),
    ({"grid": "nope"}, 422, "watch.invalid_area"),
    (
        {"circle": {"center": {"lat": 36.05, "lon": 120.37}, "radiusM": 10}},
        422,
        "watch.invalid_area",
    ),
    (
        {"circle": {"center": {"lat": 36.05, "lon": 120.37}, "radiusM": 100}, "grid": "x"},
        422,
        "watch.invalid_area",
    ),
    ({"polygon": {"type": "Point", "coordinates": [1, 2]}}, 422, "watch.invalid_area"),
    ({"polygon": {"type": "Polygon", "coordinates": "x"}}, 422, "watch.invalid_area"),
    (  # a bow tie
        {"polygon": {"type": "Polygon", "coordinates": [[[0, 0], [1, 1], [1, 0], [0, 1], [0, 0]]]}},
        422,
        "watch.invalid_area",
    ),
    (  # not closed
        {
            "polygon": {
                "type": "Polygon",
                "coordinates": [[[0, 0], [0.01, 0], [0.01, 0.01], [0, 0.01]]],
            }
        },
        422,
        "watch.invalid_area",
    ),
    (
        {"polygon": {"type": "Polygon", "coordinates": [[[0, 0]] * 201]}},
        422,
        "watch.invalid_area",
    ),
    ({"polygon": {"type": "Polygon", "coordinates": [[[0, 91]] * 5]}}, 422, "watch.invalid_area"),
    ({"polygon": _square(36.05, 120.37, 0.002), "coordSys": "mars"}, 400, "request.invalid"),
    ({"name": "x" * 41, "grid": "g"}, 400, "request.invalid"),
]


@pytest.mark.parametrize(("body", "status", "code"), BAD)
async def test_bad_areas_are_problems(api, body, status, code):
    citizen = await api.citizen()
    assert_problem(await api.post(AREAS, json=body, headers=citizen.headers), status, code)


async def test_watch_areas_need_a_citizen(api):
    assert_problem(await api.get(AREAS), 401, "auth.required")
