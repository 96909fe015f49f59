"""The OpenAPI document declares the headers clients need (Idempotency-Key, Idempotent-Replayed,
Retry-After) and, per operation, only the error statuses it can give (api/openapi_docs.py).

The schema fuzzing (tests/api/test_schema_fuzz.py) fails on any status an operation gives
that its document does not list; here, for a sample of operations, every status listed is
produced through the API (500 and 503 are the faults suite's: tests/faults)."""

from __future__ import annotations

import pytest

from tests.cases_city import IN_GRID, OUTSIDE, build_city
from tests.helpers import assert_problem, upload_photo

REPORTS = "/api/citizen/reports"
PROBLEM = "application/problem+json"


@pytest.fixture
async def document(api):
    response = await api.get("/schema/openapi.json")
    assert response.status_code == 200
    return response.json()


def _errors(document: dict, method: str, path: str) -> set[int]:
    responses = document["paths"][path][method]["responses"]
    return {int(status) for status in responses if int(status) >= 400}


def _header_parameters(document: dict, method: str, path: str) -> dict[str, dict]:
    parameters = document["paths"][path][method].get("parameters", [])
    return {p["name"]: p for p in parameters if p["in"] == "header"}


async def test_idempotent_operations_declare_the_key_and_the_replay(document):
    create = document["paths"][REPORTS]["post"]
    key = _header_parameters(document, "post", REPORTS)["Idempotency-Key"]
    assert key["required"] is False and key["schema"]["maxLength"] == 255
    assert set(create["responses"]["201"]["headers"]) == {"Idempotent-Replayed"}
    for path, method, success in (
        ("/api/citizen/media", "post", "201"),
        ("/api/citizen/rewards/{reward_id}/redeem", "post", "201"),
        ("/api/citizen/reports/{case_id}/rating", "post", "200"),
        ("/api/inspector/patrols/{patrol_id}/track", "post", "200"),
    ):
        assert "Idempotency-Key" in _header_parameters(document, method, path), path
        operation = document["paths"][path][method]
        assert "Idempotent-Replayed" in operation["responses"][success]["headers"], path
    # Routes that do not store a first answer say nothing of it.
    for path, method in (("/api/citizen/me", "get"), ("/api/admin/categories", "post")):
        assert "Idempotency-Key" not in _header_parameters(document, method, path)
        responses = document["paths"][path][method]["responses"]
        assert not any(responses[s].get("headers") for s in responses if s.startswith("2"))


async def test_retry_after_is_declared_where_a_client_is_told_to_wait(document):
    for path, method in (
        (REPORTS, "post"),
        ("/api/citizen/auth/sms/request", "post"),
        ("/api/inspector/auth/login", "post"),
        ("/api/citizen/places/nearby", "get"),
    ):
        responses = document["paths"][path][method]["responses"]
        for status in ("429", "503"):
            header = responses[status]["headers"]["Retry-After"]
            assert header["schema"]["type"] == "integer", (path, status)
    # Every operation can meet the database away, none without being told when to retry.
    for item in document["paths"].values():
        for operation in item.values():
            if isinstance(operation, dict) and "responses" in operation:
                assert "Retry-After" in operation["responses"]["503"]["headers"]


async def test_each_operation_lists_the_errors_it_can_give(document):
    everywhere = {400, 500, 503}
    assert _errors(document, "get", "/healthz") == everywhere
    assert _errors(document, "get", "/api/citizen/places/kinds") == everywhere
    signed_in = everywhere | {401, 403}
    assert _errors(document, "get", "/api/citizen/me") == signed_in
    assert _errors(document, "get", "/api/citizen/reports/{case_id}") == signed_in | {404, 422}
    assert _errors(document, "get", "/api/citizen/places/nearby") == everywhere | {404, 422, 429}
    writes = signed_in | {404, 409, 422, 413}
    assert _errors(document, "post", REPORTS) == writes | {429}
    assert _errors(document, "delete", "/api/citizen/devices/{device_id}") == writes - {413}
    assert _errors(document, "post", "/api/auth/refresh") == everywhere | {
        401, 404, 409, 413, 422
    }  # fmt: skip
    # Open311 answers in GeoReport's format; problem documents for the unexpected and for
    # the database away (test_open311_meets_the_database_away_with_a_documented_problem).
    georeport = document["paths"]["/open311/v2/requests.json"]["post"]["responses"]
    assert "application/json" in georeport["403"]["content"]
    assert PROBLEM in georeport["500"]["content"] and PROBLEM in georeport["503"]["content"]


async def test_schema_names_are_unique(document):
    """Generators name a class by a schema's title: two schemas titled alike (Litestar
    prefixes the keys of structs that share a class name) make one of them vanish."""
    for name, schema in document["components"]["schemas"].items():
        assert schema.get("title", name) == name, name


async def test_every_error_documented_for_a_report_is_one_it_gives(api, document):
    """POST /api/citizen/reports and GET /api/citizen/me, status by status; the report's
    429 is tests/api/citizen/test_reports.py's, 500 and 503 tests/faults'."""
    await build_city(api)
    citizen = await api.citizen()
    photo = await upload_photo(api.client, citizen)
    body = {"category": "E0102", "location": {"lat": IN_GRID[0], "lon": IN_GRID[1]}}
    given = {}

    async def post(status, code, *, json=None, headers=None, **kw):
        response = await api.post(
            REPORTS, json=json, headers={**citizen.headers, **(headers or {})}, **kw
        )
        given[status] = assert_problem(response, status, code)

    staff = await api.staff("inspector")
    await post(400, "request.malformed", content=b"{", headers={"content-type": "text/json"})
    given[401] = assert_problem(await api.post(REPORTS, json=body), 401, "auth.required")
    await post(403, "auth.wrong_audience", json=body, headers=staff.headers)
    await post(404, "media.not_found", json={**body, "mediaIds": ["no-such-photo"]})
    await post(422, "case.outside_city", json={**body, "mediaIds": [photo], "location": {
        "lat": OUTSIDE[0], "lon": OUTSIDE[1]}})  # fmt: skip
    filed = await api.post(REPORTS, json={**body, "mediaIds": [photo]}, headers=citizen.headers)
    assert filed.status_code == 201, filed.text
    await post(409, "media.already_attached", json={**body, "mediaIds": [photo]})
    await post(413, "request.too_large", content=b'{"a": "' + b"x" * 3_000_000 + b'"}')
    assert set(given) | {429, 500, 503} == _errors(document, "post", REPORTS)

    me = "/api/citizen/me"
    bad_token = {"Authorization": "Bearer x"}
    assert_problem(await api.get(me, headers=bad_token), 401, "auth.invalid_token")
    assert_problem(await api.get(me, headers=staff.headers), 403, "auth.wrong_audience")
    assert_problem(
        await api.get(me + "?x=%00", headers=citizen.headers), 400, "request.invalid_text"
    )


async def test_open311_meets_the_database_away_with_a_documented_problem(
    api, document, monkeypatch
):
    """GeoReport's error list for what the router maps; the database away is the app's."""
    import sqlite3

    from org import admin_queries

    async def locked():
        raise sqlite3.OperationalError("database is locked")

    monkeypatch.setattr(admin_queries, "list_categories", locked)
    response = await api.get("/open311/v2/services.json")
    body = assert_problem(response, 503, "service.unavailable")
    assert int(response.headers["retry-after"]) == body["retryAfter"]
    declared = document["paths"]["/open311/v2/services.json"]["get"]["responses"]["503"]
    assert list(declared["content"]) == [PROBLEM] and "Retry-After" in declared["headers"]
