"""The nearby route reads its own query string (api.query): the same answers Litestar's
parameter handling gave, the same 400 for bad input, and the same OpenAPI description."""

import datetime as dt

import pytest

from core import clock
from core import settings as settings_module
from tests.helpers import assert_problem
from tests.places.util import CENTER, add_place, fresh_index, offset  # noqa: F401

NEARBY = "/api/citizen/places/nearby"
POINT = f"lat={CENTER[0]}&lon={CENTER[1]}"


async def _names(api, query: str) -> list[str]:
    response = await api.get(f"{NEARBY}?{query}")
    assert response.status_code == 200, response.text
    return [item["name"] for item in response.json()["items"]]


async def test_escapes_repeats_and_blanks_read_as_litestar_read_them(api):
    admin = await api.staff("admin")
    await add_place(api, admin, name="公厕", east=100, hours="24/7")
    await add_place(api, admin, kind="park", name="公园", north=300)
    both = ["公厕", "公园"]
    assert await _names(api, f"{POINT}&kinds=toilet%2Cpark") == both
    assert await _names(api, f"{POINT}&kinds=toilet,+park") == both  # "+" is a space
    assert await _names(api, f"{POINT}&kinds=park&kinds=toilet") == ["公厕"]  # the last wins
    assert await _names(api, f"{POINT}&kinds=") == ["公厕"]  # blank: the default, toilets
    assert await _names(api, f"{POINT}&radius=200&unknown=1&&") == ["公厕"]
    lat, lon = offset(*CENTER, 0, 100)
    assert await _names(api, f"lat={lat}&lon={lon}&radius=10") == ["公厕"]
    assert await _names(api, f"{POINT}&openNow=true&accessible=0&limit=1") == ["公厕"]


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("lat=north&lon=120", "lat"),
        ("lat=36&lon=1e400", "lon"),
        ("lat=36", "lon"),
        ("lat=36&lon=120&limit=2.5", "limit"),
        ("lat=36&lon=120&openNow=yes", "openNow"),
        ("lat=36&lon=120&coordSys=mars", "coordSys"),
        ("lat=36&lon=120&kinds=" + "x" * 201, "kinds"),
        ("lat=%FF%FE&lon=120", "lat"),
        ("lat=\xff&lon=120", "lat"),
    ],
)
async def test_bad_query_values_name_their_field(api, query, field):
    body = assert_problem(await api.get(f"{NEARBY}?{query}"), 400, "request.invalid")
    assert [error["field"] for error in body["errors"]] == [field], body


async def test_bad_queries_count_against_the_rate_limit(api, monkeypatch):
    from api.limits import nearby_limiter

    monkeypatch.setenv("CITYOPS_PLACES_NEARBY_RATE_LIMIT", "2")
    settings_module.reload_settings()
    nearby_limiter.counts.clear()
    try:
        for _ in range(2):
            assert_problem(await api.get(f"{NEARBY}?lat=x&lon=y"), 400, "request.invalid")
        assert_problem(await api.get(f"{NEARBY}?{POINT}"), 429, "rate_limited")
    finally:
        monkeypatch.delenv("CITYOPS_PLACES_NEARBY_RATE_LIMIT")
        settings_module.reload_settings()
        clock.travel(dt.timedelta(minutes=1))


async def test_the_query_is_documented_as_parameters(api):
    spec = (await api.get("/schema/openapi.json")).json()
    parameters = {p["name"]: p for p in spec["paths"][NEARBY]["get"]["parameters"]}
    assert set(parameters) == {
        "lat",
        "lon",
        "kinds",
        "radius",
        "limit",
        "openNow",
        "accessible",
        "coordSys",
    }
    assert all(p["in"] == "query" for p in parameters.values())
    assert parameters["lat"]["required"] and parameters["lon"]["required"]
    assert not parameters["kinds"]["required"]
    assert parameters["kinds"]["schema"] == {
        "type": "string",
        "minLength": 1,
        "maxLength": 200,
        "default": "toilet",
    }
    assert parameters["coordSys"]["schema"]["enum"] == ["bd09", "gcj02", "wgs84"]
    assert parameters["limit"]["schema"]["type"] == "integer"
    assert parameters["openNow"]["schema"] == {"type": "boolean", "default": False}


async def test_the_printed_list_is_json_and_compressed_when_asked(api):
    admin = await api.staff("admin")
    for east in range(0, 1000, 50):
        await add_place(api, admin, name=f"公厕{east}", east=east)
    plain = await api.get(f"{NEARBY}?{POINT}", headers={"Accept-Encoding": "identity"})
    assert plain.headers["content-type"] == "application/json"
    assert int(plain.headers["content-length"]) == len(plain.content)
    assert "content-encoding" not in plain.headers and len(plain.json()["items"]) == 20
    packed = await api.get(f"{NEARBY}?{POINT}", headers={"Accept-Encoding": "gzip"})
    assert packed.headers["content-encoding"] == "gzip"
    assert int(packed.headers["content-length"]) < len(plain.content) / 3
    assert packed.json() == plain.json()
