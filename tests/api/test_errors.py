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


async def _headers_of(api, path, **kw):
    response = await api.get(path, **kw)
    return response, {k.lower(): v for k, v in response.headers.items()}


async def test_every_response_says_nosniff_and_no_framing(api):
    for path in ("/healthz", "/api/citizen/categories", "/no/such/route", "/schema/openapi.json"):
        _, headers = await _headers_of(api, path)
        assert headers["x-content-type-options"] == "nosniff", path
        assert headers["x-frame-options"] == "DENY", path
        assert "frame-ancestors 'none'" in headers["content-security-policy"], path


async def test_html_pages_send_a_policy_for_what_they_load(api):
    from tests.api.admin_ui.test_admin_ui_http import PASSWORD, _login

    page, headers = await _headers_of(api, "/q/NOT-A-CODE")
    assert headers["content-type"] == "text/html; charset=utf-8"
    policy = headers["content-security-policy"]
    assert "script-src" not in policy and "default-src 'none'" in policy
    _, headers = await _headers_of(api, "/admin/")
    assert "script-src 'self'" in headers["content-security-policy"]
    assert "unsafe-eval" not in headers["content-security-policy"]
    for viewer in ("/schema", "/schema/swagger"):
        _, headers = await _headers_of(api, viewer)
        assert headers["content-type"].startswith("text/html")
        assert "frame-ancestors 'none'" in headers["content-security-policy"]
    await api.staff("admin", username="chief", password=PASSWORD)
    await _login(api, "chief")
    dashboard, headers = await _headers_of(api, "/admin/dashboard")
    assert dashboard.status_code == 200
    assert headers["content-type"] == "text/html; charset=utf-8"
    assert "script-src" not in headers["content-security-policy"]
    api.client.cookies.clear()
