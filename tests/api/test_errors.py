"""Bad input becomes a problem+json 4xx with a stable code; internals never leak."""

import logging

from tests.helpers import assert_problem

LOGIN = "/api/inspector/auth/login"


async def test_malformed_json(api):
    response = await api.post(
        LOGIN, content=b'{"username": ', headers={"content-type": "application/json"}
    )
    assert_problem(response, 400, "request.malformed")


async def test_missing_field_names_the_field(api):
    response = await api.post(LOGIN, json={"username": "a"})
    body = assert_problem(response, 400, "request.invalid")
    assert body["errors"][0]["field"] == "password"


async def test_wrong_type_names_the_field(api):
    response = await api.post(LOGIN, json={"username": 5, "password": "x"})
    body = assert_problem(response, 400, "request.invalid")
    assert body["errors"] == [{"field": "username", "message": "Expected `str`, got `int`"}]


async def test_empty_body(api):
    response = await api.post(LOGIN, content=b"", headers={"content-type": "application/json"})
    body = assert_problem(response, 400, "request.invalid")
    assert body["errors"][0]["field"] == "body"


async def test_array_instead_of_object(api):
    response = await api.post(LOGIN, json=[1, 2])
    assert_problem(response, 400, "request.invalid")


async def test_messages_follow_accept_language(api):
    zh = await api.post(LOGIN, json={"username": "nobody", "password": "x"})
    en = await api.post(
        LOGIN,
        json={"username": "nobody", "password": "x"},
        headers={"Accept-Language": "en-US,en;q=0.9"},
    )
    assert zh.json()["title"] == "用户名或密码错误"
    assert en.json()["title"] == "Wrong username or password"
    assert zh.json()["code"] == en.json()["code"] == "auth.invalid_credentials"


async def test_unhandled_exception_is_a_bare_500_logged_with_request_id(api, monkeypatch, caplog):
    import accounts.service

    async def explode(**_):
        raise RuntimeError("internal detail: SELECT secret FROM vault")

    monkeypatch.setattr(accounts.service, "citizen_profile", explode)
    citizen = await api.citizen()
    with caplog.at_level(logging.ERROR, logger="cityops.errors"):
        response = await api.get("/api/citizen/me", headers=citizen.headers)
    body = assert_problem(response, 500, "internal")
    assert "vault" not in response.text and "RuntimeError" not in response.text
    assert body["requestId"] == response.headers["x-request-id"]
    assert any(r.exc_info and "vault" in str(r.exc_info[1]) for r in caplog.records)


async def test_database_outage_is_a_503_problem(api, monkeypatch):
    import accounts.service

    async def unreachable(**_):
        raise ConnectionRefusedError("connect call failed")

    monkeypatch.setattr(accounts.service, "citizen_profile", unreachable)
    citizen = await api.citizen()
    response = await api.get("/api/citizen/me", headers=citizen.headers)
    assert_problem(response, 503, "service.unavailable")


async def test_path_parameter_of_wrong_type(api):
    citizen = await api.citizen()
    response = await api.delete("/api/citizen/devices/not-a-number", headers=citizen.headers)
    # "/{device_id:int}" does not match "not-a-number": no such route.
    assert_problem(response, 404, "route.not_found")


async def test_page_limits_out_of_bounds_are_refused(api):
    operator = await api.staff("operator")
    citizen = await api.citizen()
    for path, headers in (
        ("/api/admin/cases", operator.headers),
        ("/api/citizen/reports", citizen.headers),
        ("/api/citizen/points/history", citizen.headers),
    ):
        for limit in ("0", "101", "-5"):
            body = assert_problem(
                await api.get(f"{path}?limit={limit}", headers=headers), 400, "request.invalid"
            )
            assert body["errors"][0]["field"] == "limit"
        assert (await api.get(f"{path}?limit=100", headers=headers)).status_code == 200
