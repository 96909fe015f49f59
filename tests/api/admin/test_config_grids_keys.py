"""Configuration API: grid import (all or nothing, overlaps and gaps reported), grid edits,
and intake API keys (secret shown once, rotation and revocation take effect at once)."""

import pytest

from core.db import transaction
from org.demo import load_org_demo
from tests.cases_city import IN_GRID
from tests.helpers import assert_problem

A = "/api/admin"


def _square(x0, y0, size=0.01):
    return {
        "type": "Polygon",
        "coordinates": [
            [[x0, y0], [x0 + size, y0], [x0 + size, y0 + size], [x0, y0 + size], [x0, y0]]
        ],
    }


def _feature(code, name, geometry, **props):
    return {
        "type": "Feature",
        "geometry": geometry,
        "properties": {"code": code, "name": name, **props},
    }


@pytest.fixture
async def admin(api):
    return await api.staff("admin")


def _collection():
    # A 0.02 x 0.02 parent; four children meant to tile it, except that 1001 and 1002 overlap
    # by a strip and the north-east corner is left uncovered.
    parent = _feature("9901", "parent", _square(121.0, 30.0, 0.02))
    children = [
        _feature("990101", "sw", _square(121.0, 30.0)),
        _feature(
            "990102",
            "se",
            {
                "type": "Polygon",
                "coordinates": [
                    [
                        [121.009, 30.0],
                        [121.02, 30.0],
                        [121.02, 30.01],
                        [121.009, 30.01],
                        [121.009, 30.0],
                    ]
                ],
            },
        ),
        _feature("990103", "nw", _square(121.0, 30.01), parent="9901"),
    ]
    for child in children:
        child["properties"]["parent"] = "9901"
    return {"type": "FeatureCollection", "features": [children[0], parent, *children[1:]]}


async def test_grid_import_reports_overlaps_and_gaps(api, admin):
    operator = await api.staff("operator")
    dry = await api.post(
        f"{A}/grids/import", params={"dryRun": "true"}, json=_collection(), headers=admin.headers
    )
    assert dry.status_code == 200, dry.text
    assert dry.json()["dryRun"] is True
    assert (await api.get(f"{A}/grids", headers=admin.headers)).json() == []

    report = await api.post(f"{A}/grids/import", json=_collection(), headers=admin.headers)
    assert report.status_code == 200, report.text
    body = report.json()
    assert body["created"] == ["9901", "990101", "990102", "990103"]
    assert [(o["a"], o["b"]) for o in body["overlaps"]] == [("990101", "990102")]
    assert body["overlaps"][0]["areaM2"] > 1000
    assert len(body["gaps"]) == 1 and body["gaps"][0]["parent"] == "9901"
    lon, lat = body["gaps"][0]["at"]
    assert lon > 121.01 and lat > 30.01  # the uncovered north-east quarter
    assert body["outsideParent"] == []
    grids = (await api.get(f"{A}/grids", headers=operator.headers)).json()
    assert {g["code"]: g["parentCode"] for g in grids} == {
        "9901": None,
        "990101": "9901",
        "990102": "9901",
        "990103": "9901",
    }
    # The new grids take reports at once (the index follows the version stamp).
    detail = await api.get(f"{A}/grids/990103", headers=operator.headers)
    assert detail.json()["grid"]["level"] == 2
    assert detail.json()["polygon"]["type"] == "Polygon"

    again = await api.post(f"{A}/grids/import", json=_collection(), headers=admin.headers)
    assert again.json()["created"] == [] and len(again.json()["updated"]) == 4
    entries = (
        await api.get(f"{A}/audit", params={"action": "grid.import"}, headers=admin.headers)
    ).json()["items"]
    assert len(entries) == 2 and entries[1]["after"]["created"][0] == "9901"
    assert_problem(
        await api.post(f"{A}/grids/import", json=_collection(), headers=operator.headers),
        403,
        "auth.role_forbidden",
    )


async def test_grid_import_refuses_the_whole_file_on_one_bad_feature(api, admin):
    collection = _collection()
    bowtie = {
        "type": "Polygon",
        "coordinates": [
            [[121.0, 30.0], [121.01, 30.01], [121.01, 30.0], [121.0, 30.01], [121.0, 30.0]]
        ],
    }
    collection["features"].append(_feature("990104", "bowtie", bowtie, parent="9901"))
    collection["features"].append(_feature("880101", "orphan", _square(122, 30), parent="8801"))
    collection["features"].append(_feature("x1", "", _square(122, 31)))
    collection["features"].append(_feature("990101", "dup", _square(121.0, 30.0), parent="9901"))
    response = await api.post(f"{A}/grids/import", json=collection, headers=admin.headers)
    body = assert_problem(response, 422, "grid.import_invalid")
    problems = {e["index"]: " ".join(e["problems"]) for e in body["errors"]}
    assert "Self-intersection" in problems[4]
    assert "parent 8801" in problems[5]
    assert "code" in problems[6] and "name" in problems[6]
    assert "repeats" in problems[7]
    assert (await api.get(f"{A}/grids", headers=admin.headers)).json() == []
    for bad in ({"type": "Feature"}, {"type": "FeatureCollection", "features": []}, []):
        assert_problem(
            await api.post(f"{A}/grids/import", json=bad, headers=admin.headers),
            *((422, "grid.import_invalid") if isinstance(bad, dict) else (400, "request.invalid")),
        )


async def test_grid_create_and_update(api, admin):
    async with transaction():
        await load_org_demo()
    units = (await api.get(f"{A}/org-units", headers=admin.headers)).json()
    hw = next(u for u in units if u["code"] == "370202-HW")
    body = {"code": "9902", "name": "新区", "polygon": _square(121.5, 30.5), "unitId": hw["id"]}
    created = await api.post(f"{A}/grids", json=body, headers=admin.headers)
    assert created.status_code == 201, created.text
    assert created.json()["grid"]["unitId"] == hw["id"]
    assert_problem(
        await api.post(f"{A}/grids", json=body, headers=admin.headers), 409, "grid.code_taken"
    )
    open_ring = {"type": "Polygon", "coordinates": [[[1, 1], [2, 1], [2, 2], [1, 2]]]}
    assert_problem(
        await api.post(
            f"{A}/grids", headers=admin.headers, json={**body, "code": "9903", "polygon": open_ring}
        ),
        422,
        "grid.invalid_polygon",
    )
    patched = await api.patch(
        f"{A}/grids/9902", headers=admin.headers, json={"name": "新区二", "active": False}
    )
    assert patched.json()["grid"]["name"] == "新区二"
    assert patched.json()["grid"]["active"] is False
    assert_problem(
        await api.patch(f"{A}/grids/9999", headers=admin.headers, json={"name": "x"}),
        422,
        "grid.unknown",
    )
    entry = (
        await api.get(f"{A}/audit", params={"action": "grid.update"}, headers=admin.headers)
    ).json()["items"][0]
    assert entry["before"]["grid"]["name"] == "新区" and entry["after"]["grid"]["active"] is False


async def test_api_keys_shown_once_rotated_and_revoked(api, admin, settings_env):
    # The client behind a key is cached: a rotation or revocation still holds at once.
    settings_env(CITYOPS_CACHE_CHECK_SECONDS="3600")
    async with transaction():
        await load_org_demo()
    created = await api.post(
        f"{A}/api-clients",
        headers=admin.headers,
        json={"name": "hikvision-ai", "kind": "camera", "trusted": True},
    )
    assert created.status_code == 201, created.text
    key = created.json()["apiKey"]
    client = created.json()["client"]
    assert client["keyHint"] == key[:7] and client["active"] is True
    listed = (await api.get(f"{A}/api-clients", headers=admin.headers)).json()
    assert key not in str(listed) and listed[0]["name"] == "hikvision-ai"
    assert_problem(
        await api.post(
            f"{A}/api-clients",
            headers=admin.headers,
            json={"name": "hikvision-ai", "kind": "camera"},
        ),
        409,
        "api_client.name_taken",
    )
    assert_problem(
        await api.post(
            f"{A}/api-clients", headers=admin.headers, json={"name": "x", "kind": "drone"}
        ),
        400,
        "request.invalid",
    )

    event = {
        "externalId": "evt-1",
        "kind": "camera",
        "category": "E0102",
        "location": {"lat": IN_GRID[0], "lon": IN_GRID[1]},
    }
    ok = await api.post("/api/intake/events", json=event, headers={"X-Api-Key": key})
    assert ok.status_code == 201, ok.text

    rotated = await api.post(f"{A}/api-clients/{client['id']}/rotate", headers=admin.headers)
    new_key = rotated.json()["apiKey"]
    assert new_key != key
    refused = await api.post(
        "/api/intake/events", json={**event, "externalId": "evt-2"}, headers={"X-Api-Key": key}
    )
    assert refused.status_code == 401, refused.text
    ok = await api.post(
        "/api/intake/events", json={**event, "externalId": "evt-2"}, headers={"X-Api-Key": new_key}
    )
    assert ok.status_code == 201

    revoked = await api.post(f"{A}/api-clients/{client['id']}/revoke", headers=admin.headers)
    assert revoked.json()["active"] is False
    refused = await api.post(
        "/api/intake/events", json={**event, "externalId": "evt-3"}, headers={"X-Api-Key": new_key}
    )
    assert refused.status_code == 401
    assert_problem(
        await api.post(f"{A}/api-clients/{client['id']}/rotate", headers=admin.headers),
        404,
        "api_client.unknown",
    )
    assert_problem(
        await api.post(f"{A}/api-clients/9999/revoke", headers=admin.headers),
        404,
        "api_client.unknown",
    )

    entries = (
        await api.get(f"{A}/audit", params={"targetKind": "api_client"}, headers=admin.headers)
    ).json()["items"]
    assert [e["action"] for e in entries] == [
        "api_client.revoke",
        "api_client.rotate",
        "api_client.create",
    ]
    assert key not in str(entries) and new_key not in str(entries)
    assert entries[1]["before"]["key_hint"] == key[:7]
    assert entries[1]["after"]["key_hint"] == new_key[:7]


async def test_import_children_of_a_stored_parent_reports_spill_over(api, admin):
    parent = {
        "type": "FeatureCollection",
        "features": [_feature("9901", "parent", _square(121.0, 30.0, 0.02))],
    }
    assert (
        await api.post(f"{A}/grids/import", json=parent, headers=admin.headers)
    ).status_code == 200
    # One child covers the parent's south half and spills 0.005 degrees past its east edge.
    spill = {
        "type": "Polygon",
        "coordinates": [
            [[121.0, 30.0], [121.025, 30.0], [121.025, 30.01], [121.0, 30.01], [121.0, 30.0]]
        ],
    }
    children = {
        "type": "FeatureCollection",
        "features": [_feature("990101", "south", spill, parent="9901")],
    }
    report = await api.post(
        f"{A}/grids/import", json=children, headers=admin.headers, params={"coordSys": "wgs84"}
    )
    body = report.json()
    assert body["created"] == ["990101"], body
    assert [o["code"] for o in body["outsideParent"]] == ["990101"]
    assert body["outsideParent"][0]["areaM2"] > 100_000
    assert len(body["gaps"]) == 1 and body["gaps"][0]["at"][1] > 30.01  # the north half
