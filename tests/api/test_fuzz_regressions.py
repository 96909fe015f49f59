"""What schema fuzzing (tests/api/test_schema_fuzz.py) found, pinned one by one: numbers the
database cannot hold were server errors, and answers the OpenAPI document did not declare
(success codes, Open311's error form, the grid import's row errors, the QR size bounds)."""

from __future__ import annotations

import pytest

from tests.api.inspector.field import act, citizen_report, dispatched_case, photo
from tests.cases_city import IN_GRID, build_city
from tests.helpers import assert_problem

BEYOND_INT32 = [2**31, 2**40, 10**30]


@pytest.fixture
async def city(api):
    return await build_city(api)


@pytest.fixture
async def spec(api) -> dict:
    response = await api.get("/schema/openapi.json")
    assert response.status_code == 200
    return response.json()


def documented(spec: dict, method: str, path: str) -> dict:
    return spec["paths"][path][method.lower()]["responses"]


def ref_name(content: dict) -> str:
    return content["schema"]["$ref"].rsplit("/", 1)[-1]


@pytest.mark.parametrize("number", BEYOND_INT32)
@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("GET", "/api/admin/staff/{n}", None),
        ("PATCH", "/api/admin/org-units/{n}", {"phone": "1"}),
        ("DELETE", "/api/admin/dispatch-rules/{n}", None),
        ("POST", "/api/admin/api-clients/{n}/revoke", None),
        ("GET", "/api/admin/places/{n}", None),
        ("POST", "/api/admin/notifications/dead/{n}/retry", None),
        ("GET", "/api/admin/cases?unitId={n}", None),
        ("GET", "/api/admin/audit?actorId={n}", None),
        ("GET", "/api/admin/staff?afterId={n}", None),
        ("DELETE", "/api/admin/sla-policies?priority={n}", None),
        ("PATCH", "/api/admin/grids/370202001", {"unitId": "{n}"}),
        ("POST", "/api/admin/dispatch-rules", {"unitId": "{n}"}),
        ("POST", "/api/admin/place-kinds", {"code": "kiosk", "nameZh": "报亭", "sortOrder": "{n}"}),
    ],
)
async def test_numbers_beyond_32_bits_are_bad_input_not_server_errors(
    api, city, method, path, body, number
):
    admin = await api.staff("admin")
    if body is not None:
        body = {k: number if v == "{n}" else v for k, v in body.items()}
    response = await api.request(method, path.format(n=number), json=body, headers=admin.headers)
    assert_problem(response, 400, "request.invalid")


async def test_the_largest_id_is_still_a_plain_not_found(api, city):
    admin, citizen = await api.staff("admin"), await api.citizen()
    largest = 2**31 - 1
    assert_problem(
        await api.get(f"/api/admin/staff/{largest}", headers=admin.headers), 404, "staff.unknown"
    )
    response = await api.delete(f"/api/citizen/devices/{largest}", headers=citizen.headers)
    assert response.status_code == 404, response.text
    beyond = await api.delete(f"/api/citizen/devices/{largest + 1}", headers=citizen.headers)
    assert_problem(beyond, 400, "request.invalid")


@pytest.mark.parametrize("size", [-1131499, 1, 41])
@pytest.mark.parametrize("image", ["qr.png", "qr.svg"])
async def test_qr_sizes_outside_2_to_40_are_refused(api, city, spec, image, size):
    admin = await api.staff("admin")
    created = await api.post(
        "/api/admin/signposts",
        json={"name": "香港中路与燕儿岛路口", "location": {"lat": IN_GRID[0], "lon": IN_GRID[1]}},
        headers=admin.headers,
    )
    assert created.status_code == 201, created.text
    code = created.json()["code"]
    response = await api.get(
        f"/api/admin/signposts/{code}/{image}", params={"size": size}, headers=admin.headers
    )
    assert_problem(response, 400, "request.invalid")
    ok = await api.get(f"/api/admin/signposts/{code}/{image}?size=40", headers=admin.headers)
    assert ok.status_code == 200
    size_schema = next(
        p["schema"]
        for p in spec["paths"][f"/api/admin/signposts/{{code}}/{image}"]["get"]["parameters"]
        if p["name"] == "size"
    )
    assert (size_schema["minimum"], size_schema["maximum"]) == (2, 40)


async def test_case_steps_answer_200_as_documented(api, city, spec):
    citizen = await api.citizen_by_phone("13812345678")
    case_id = await citizen_report(api, citizen)
    shown = await act(api, city.inspector, case_id, "reporter-phone")
    assert shown.status_code == 200, shown.text
    verified = await act(api, city.inspector, case_id, "verify", {"valid": True})
    assert verified.status_code == 200, verified.text
    fellow = await api.citizen()  # a verified case is public: others may follow it
    followed = await api.post(f"/api/citizen/reports/{case_id}/follow", headers=fellow.headers)
    assert followed.status_code == 200, followed.text
    assert "200" in documented(spec, "POST", "/api/citizen/reports/{case_id}/follow")
    for step in ("reporter-phone", "verify", "resolve", "check", "close", "request-return"):
        responses = documented(spec, "POST", f"/api/inspector/cases/{{case_id}}/{step}")
        assert "200" in responses and "201" not in responses, step

    dispatched = await dispatched_case(api, city)
    after = await photo(api, city.handler_hw)
    resolved = await act(
        api, city.handler_hw, dispatched, "resolve", {"mediaIds": [after], "note": "已清运"}
    )
    assert resolved.status_code == 200, resolved.text
    for path in ("/api/citizen/reports/{case_id}/rating", "/api/citizen/reports/{case_id}/reopen"):
        assert "200" in documented(spec, "POST", path)
    assert "200" in documented(spec, "POST", "/api/citizen/redemptions/{redemption_id}/cancel")


async def test_a_repeated_intake_event_answers_the_documented_200(api, city, spec):
    admin = await api.staff("admin")
    issued = await api.post(
        "/api/admin/api-clients",
        json={"name": "cam-7", "kind": "camera", "trusted": True},
        headers=admin.headers,
    )
    key = {"X-Api-Key": issued.json()["apiKey"]}
    event = {
        "externalId": "cam-7-0001",
        "kind": "camera",
        "category": "E0102",
        "level": 2,
        "location": {"lat": IN_GRID[0], "lon": IN_GRID[1]},
    }
    first = await api.post("/api/intake/events", json=event, headers=key)
    assert first.status_code == 201, first.text
    again = await api.post("/api/intake/events", json=event, headers=key)
    assert again.status_code == 200 and again.json()["duplicate"] is True
    responses = documented(spec, "POST", "/api/intake/events")
    assert ref_name(responses["200"]["content"]["application/json"]) == "IntakeCaseOut"


async def test_open311_errors_are_documented_in_georeport_form(api, spec):
    response = await api.get("/open311/v2/requests.json", params={"limit": -1})
    assert response.status_code == 400
    assert response.headers["content-type"].startswith("application/json")
    assert [set(e) for e in response.json()] == [{"code", "description"}]
    declared = documented(spec, "GET", "/open311/v2/requests.json")["400"]["content"]
    # JSON, and XML by the .xml twin of the path (api/open311/formats): never a problem+json.
    assert sorted(declared) == ["application/json", "text/xml"]
    assert declared["application/json"]["schema"]["items"]["$ref"].endswith("/GeoReportError")


async def test_grid_import_row_errors_are_documented(api, spec):
    admin = await api.staff("admin")
    response = await api.post("/api/admin/grids/import", json={}, headers=admin.headers)
    body = assert_problem(response, 422, "grid.import_invalid")
    assert set(body["errors"][0]) == {"index", "code", "problems"}
    declared = documented(spec, "POST", "/api/admin/grids/import")["422"]["content"]
    assert ref_name(declared["application/problem+json"]) == "GridImportProblem"
    errors = spec["components"]["schemas"]["GridImportProblem"]["properties"]["errors"]
    assert errors["oneOf"][0]["items"]["$ref"].endswith("/RowError")


async def test_public_routes_document_that_a_token_is_optional(api, spec):
    assert {} in spec["paths"]["/api/citizen/categories"]["get"]["security"]
    assert {} in spec["paths"]["/api/inspector/auth/login"]["post"]["security"]
    assert {} not in spec["paths"]["/api/citizen/me"]["get"]["security"]
    categories = await api.get("/api/citizen/categories")
    assert categories.status_code == 200
    assert_problem(await api.get("/api/citizen/me"), 401, "auth.required")


@pytest.mark.parametrize("app", ["citizen", "inspector"])
async def test_marking_notifications_read_refuses_ids_beyond_32_bits(api, app):
    session = await (api.citizen() if app == "citizen" else api.staff("inspector"))
    response = await api.post(
        f"/api/{app}/notifications/read", json={"ids": [3, 2**40]}, headers=session.headers
    )
    assert_problem(response, 400, "request.invalid")


async def test_a_nul_character_is_bad_input_not_a_server_error(api, city):
    """PostgreSQL cannot store NUL in text; SQLite could, but the request is refused on both
    before it reaches either (core.inputs), so the API answers the same everywhere."""
    admin = await api.staff("admin")
    listed = await api.get(
        "/api/admin/cases", params={"source": "camera\x00"}, headers=admin.headers
    )
    place = {
        "kind": "toilet",
        "name": "公厕\x00",
        "location": {"lat": IN_GRID[0], "lon": IN_GRID[1]},
    }
    created = await api.post("/api/admin/places", json=place, headers=admin.headers)
    assert_problem(listed, 400, "request.invalid_text")
    assert_problem(created, 400, "request.invalid_text")
