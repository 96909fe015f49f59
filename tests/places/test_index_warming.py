"""A serving process builds the nearby index in the background when it starts: /readyz
says 503 until it is built, and no request waits for the build (a nearby search or a scan
sent meanwhile is refused at once with 503 places.index_warming); later rebuilds serve the
previous index meanwhile. The build is held at a gate here, so a request that waited for
it would never finish (each is given 10 s)."""

from __future__ import annotations

import asyncio

from core.db import raw
from places import index as nearby_index
from tests.helpers import assert_problem
from tests.places.util import CENTER, add_place, fresh_index, nearby  # noqa: F401
from tests.qr.util import add_signpost


def _gated(monkeypatch) -> asyncio.Event:
    gate = asyncio.Event()
    real = nearby_index.build_apart

    async def build_after_the_gate(*args, **kwargs):
        await gate.wait()
        return await real(*args, **kwargs)

    monkeypatch.setattr(nearby_index, "build_apart", build_after_the_gate)
    return gate


async def _get(api, path: str, **params):
    return await asyncio.wait_for(api.get(path, params=params), 10)


async def test_not_ready_until_built_and_no_request_waits_for_the_build(api, monkeypatch):
    admin = await api.staff("admin")
    await add_place(api, admin, name="公厕甲")
    sign = await add_signpost(api, admin)
    nearby_index.reset()
    gate = _gated(monkeypatch)
    nearby_index.start_background()  # what the app's lifespan does at start
    warming = [
        await _get(api, "/readyz"),
        await _get(api, "/api/citizen/places/nearby", lat=CENTER[0], lon=CENTER[1]),
        await _get(api, f"/api/citizen/signposts/{sign['code']}"),
    ]
    for response in warming:
        assert_problem(response, 503, "places.index_warming")
        assert response.headers["retry-after"] == "1"
    assert (await _get(api, f"/q/{sign['code']}")).status_code == 503
    gate.set()
    await nearby_index._state.build
    assert (await _get(api, "/readyz")).status_code == 200
    assert [item["name"] for item in (await nearby(api))["items"]] == ["公厕甲"]


async def test_a_rebuild_serves_the_previous_index_meanwhile(api, monkeypatch):
    admin = await api.staff("admin")
    await add_place(api, admin, name="公厕甲")
    nearby_index.start_background()
    await nearby_index._state.build
    assert [item["name"] for item in (await nearby(api))["items"]] == ["公厕甲"]
    gate = _gated(monkeypatch)
    # A restore: the tables' epoch moves, which asks for a full rebuild.
    await raw("UPDATE version_stamp SET version = version + 1 WHERE name = 'places.epoch'")
    await raw("UPDATE place SET name = '公厕乙'")
    nearby_index.invalidate()  # look at the stamp now, not at the next check
    answer = await asyncio.wait_for(nearby(api), 10)
    assert [item["name"] for item in answer["items"]] == ["公厕甲"]  # the old index
    assert (await _get(api, "/readyz")).status_code == 200
    gate.set()
    await nearby_index._state.build
    assert [item["name"] for item in (await nearby(api))["items"]] == ["公厕乙"]
