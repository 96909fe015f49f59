"""Open311 GeoReport v2: discovery, services, service definitions, creating and listing
requests; our states appear as open and closed. Also driven by the PyPI ``georeport``
client, whose blocking ``requests`` calls are routed into the in-process app."""

import asyncio
import datetime as dt

import httpx
import pytest

from accounts.api_keys import create_api_client
from core import clock
from core.db import transaction
from tests.cases_city import AUTO_CATEGORY, IN_GRID

V2 = "/open311/v2"


def _form(key, **changes):
    body = {
        "api_key": key,
        "service_code": "E0102",
        "lat": str(IN_GRID[0]),
        "long": str(IN_GRID[1]),
        "description": "道路上有垃圾",
        "address_string": "香港中路",
    }
    body.update(changes)
    return {k: v for k, v in body.items() if v is not None}


async def _create(api, key, **changes):
    response = await api.post(f"{V2}/requests.json", data=_form(key, **changes))
    assert response.status_code == 201, response.text
    (created,) = response.json()
    return created["service_request_id"]


def _assert_error(response, status):
    assert response.status_code == status, response.text
    (error,) = response.json()
    assert error["code"] == status and error["description"]
    return error["description"]


async def test_discovery_services_and_definitions(api, city):
    discovery = (await api.get(f"{V2}/discovery.json")).json()
    assert discovery["endpoints"][0]["specification"] == "http://wiki.open311.org/GeoReport_v2"
    assert discovery["endpoints"][0]["url"].endswith("/open311/v2")
    services = (await api.get(f"{V2}/services.json")).json()
    codes = {s["service_code"]: s for s in services}
    assert "E0102" in codes and "E01" not in codes  # leaves only
    assert codes["E0102"]["type"] == "realtime" and codes["E0102"]["metadata"] is True
    english = (await api.get(f"{V2}/services.json", headers={"Accept-Language": "en"})).json()
    assert {s["service_code"]: s["service_name"] for s in english}["E0102"] != codes["E0102"][
        "service_name"
    ]
    definition = (await api.get(f"{V2}/services/E0102.json")).json()
    assert definition["service_code"] == "E0102"
    assert [a["code"] for a in definition["attributes"]] == ["occurred_at", "anonymous"]
    _assert_error(await api.get(f"{V2}/services/E9999.json"), 404)
    _assert_error(await api.get(f"{V2}/services/E01.json"), 404)
    _assert_error(await api.get(f"{V2}/services/E0102.yaml"), 404)


async def test_create_and_read_back_open_then_closed(api, city, key):
    request_id = await _create(api, key, **{"attribute[occurred_at]": "2026-11-28T08:00:00+08:00"})
    # The client that filed it follows it with its key; the public sees it once accepted.
    mine = {"X-Api-Key": key}
    (one,) = (await api.get(f"{V2}/requests/{request_id}.json", headers=mine)).json()
    assert one["status"] == "open" and one["service_code"] == "E0102"
    assert one["lat"] == pytest.approx(IN_GRID[0]) and one["long"] == pytest.approx(IN_GRID[1])
    assert one["address"] == "香港中路" and one["status_notes"] == "已上报"
    _assert_error(await api.get(f"{V2}/requests/{request_id}.json"), 404)
    auto = await _create(api, key, service_code=AUTO_CATEGORY)
    (dispatched,) = (await api.get(f"{V2}/requests/{auto}.json")).json()
    assert dispatched["status"] == "open" and dispatched["agency_responsible"]
    assert dispatched["expected_datetime"] is not None
    rejected = await api.post(
        f"/api/admin/cases/{request_id}/reject",
        json={"reason": "重复"},
        headers=city.operator.headers,
    )
    assert rejected.status_code == 200, rejected.text
    (closed,) = (await api.get(f"{V2}/requests/{request_id}.json", headers=mine)).json()
    assert closed["status"] == "closed"
    _assert_error(await api.get(f"{V2}/requests/{request_id}.json"), 404)
    # Filed as a hotline report by the machine client, as the command centre sees it.
    case = (await api.get(f"/api/admin/cases/{auto}", headers=city.operator.headers)).json()
    assert case["case"]["source"] == "hotline"
    _assert_error(await api.get(f"{V2}/requests/k_nothing.json"), 404)
    _assert_error(await api.get(f"{V2}/requests/{auto}.json", headers={"X-Api-Key": "x" * 20}), 403)


async def test_create_refuses_bad_keys_and_input(api, city, key):
    assert "api_key" in _assert_error(
        await api.post(f"{V2}/requests.json", data=_form("co_wrong-key-123")), 403
    )
    _assert_error(await api.post(f"{V2}/requests.json", data=_form(None)), 403)
    for change, fragment in (
        ({"service_code": None}, "service_code"),
        ({"lat": "north"}, "lat"),
        ({"long": "500"}, "long"),
        ({"lat": None}, "lat"),
        ({"attribute[occurred_at]": "soon"}, "occurred_at"),
        ({"description": "x" * 1001}, "description"),
    ):
        assert fragment in _assert_error(
            await api.post(f"{V2}/requests.json", data=_form(key, **change)), 400
        )
    _assert_error(await api.post(f"{V2}/requests.json", data=_form(key, service_code="E9999")), 422)
    async with transaction():
        revoked = await create_api_client(name="old", kind="system")
    from accounts.tables import ApiClient

    await ApiClient.update({ApiClient.active: False}).where(ApiClient.id == revoked.client_id)
    _assert_error(await api.post(f"{V2}/requests.json", data=_form(revoked.key)), 403)


async def test_list_with_filters(api, city, key):
    first = await _create(api, key)
    clock.travel(dt.timedelta(minutes=5))
    second = await _create(api, key, service_code=AUTO_CATEGORY)
    third = await _create(api, key, lat="36.2", long="120.9")  # outside the demo grids
    await api.post(
        f"/api/admin/cases/{first}/reject", json={"reason": "无效"}, headers=city.operator.headers
    )
    # The filing client sees its own requests, whatever their state; the public only the
    # accepted one (tests/api/test_visibility.py).
    mine = {"X-Api-Key": key}
    public = (await api.get(f"{V2}/requests.json")).json()
    assert [r["service_request_id"] for r in public] == [second]
    listed = (await api.get(f"{V2}/requests.json", headers=mine)).json()
    assert [r["service_request_id"] for r in listed] == [third, second, first]
    closed = (
        await api.get(f"{V2}/requests.json", headers=mine, params={"status": "closed"})
    ).json()
    assert [r["service_request_id"] for r in closed] == [first]
    both = await api.get(f"{V2}/requests.json", headers=mine, params={"status": "open,closed"})
    assert len(both.json()) == 3
    coded = (
        await api.get(f"{V2}/requests.json", headers=mine, params={"service_code": AUTO_CATEGORY})
    ).json()
    assert [r["service_request_id"] for r in coded] == [second]
    boxed = (
        await api.get(f"{V2}/requests.json", headers=mine, params={"bbox": "120.3,36.0,120.5,36.1"})
    ).json()
    assert {r["service_request_id"] for r in boxed} == {first, second}
    paged = (
        await api.get(f"{V2}/requests.json", headers=mine, params={"limit": 1, "offset": 1})
    ).json()
    assert [r["service_request_id"] for r in paged] == [second]
    now = clock.now()
    window = {
        "start_date": (now - dt.timedelta(minutes=2)).isoformat(),
        "end_date": (now + dt.timedelta(minutes=1)).isoformat(),
    }
    recent = (await api.get(f"{V2}/requests.json", headers=mine, params=window)).json()
    assert {r["service_request_id"] for r in recent} == {second, third}
    ids = (
        await api.get(
            f"{V2}/requests.json",
            headers=mine,
            params={"service_request_id": f"{first},{third}", "status": "open"},
        )
    ).json()
    assert {r["service_request_id"] for r in ids} == {first, third}  # ids override filters
    for params in (
        {"status": "pending"},
        {"bbox": "1,2,3"},
        {"bbox": "10,10,5,5"},
        {"limit": "0"},
        {"limit": "5000"},
        {"offset": "-1"},
        {"start_date": "2026-01-01T00:00:00Z", "end_date": "2026-06-01T00:00:00Z"},
        {"start_date": "yesterday"},
    ):
        _assert_error(await api.get(f"{V2}/requests.json", params=params), 400)


async def test_the_pypi_georeport_client(api, city, key, monkeypatch):
    """georeport 0.3.1 reads services, definitions and requests (it has no create call)."""
    import georeport.georeport as module
    import requests

    loop = asyncio.get_running_loop()

    def fake_get(url, params=None, **_):
        # Runs in the worker thread below; the app answers on the test's event loop.
        future = asyncio.run_coroutine_threadsafe(api.client.get(url, params=params), loop)
        answer: httpx.Response = future.result(timeout=30)
        response = requests.Response()
        response.status_code = answer.status_code
        response._content = answer.content
        response.headers.update(answer.headers)
        response.url = str(answer.url)
        return response

    monkeypatch.setattr(module.requests, "get", fake_get)
    # Accepted at once, so public: the client library sends no key.
    request_id = await _create(api, key, service_code=AUTO_CATEGORY)
    client = module.GeoReport("http://testserver/open311/v2", api_key=key)
    services = await asyncio.to_thread(client.get_service_list)
    assert any(s["service_code"] == "E0102" for s in services)
    definition = await asyncio.to_thread(client.get_service_definition, "E0102")
    assert definition["attributes"][0]["code"] == "occurred_at"
    listed = await asyncio.to_thread(client.get_service_requests, status="open")
    assert [r["service_request_id"] for r in listed] == [request_id]
    one = await asyncio.to_thread(client.get_service_request, request_id)
    assert one["status"] == "open" and one["service_code"] == AUTO_CATEGORY
    with pytest.raises(requests.HTTPError):
        await asyncio.to_thread(client.get_service_request, "k_missing")
