"""Metrics and the OpenAPI document."""

import re


async def _count(api, metric: str, **labels: str) -> float:
    """One sample of /metrics, 0 if the series does not exist yet."""
    text = (await api.get("/metrics")).text
    wanted = {**labels, "app_name": "cityops"}
    for name, label_text, value in re.findall(r"^(\w+)\{(.*)\} (\S+)$", text, re.M):
        if name == metric and dict(re.findall(r'(\w+)="([^"]*)"', label_text)) == wanted:
            return float(value)
    return 0.0


async def test_metrics_count_requests_by_route_and_status(api):
    me = {"method": "GET", "path": "/api/citizen/me"}
    ok, refused = {**me, "status_code": "200"}, {**me, "status_code": "401"}
    before = await _count(api, "cityops_requests_total", **ok)
    refused_before = await _count(api, "cityops_requests_total", **refused)
    timed_before = await _count(api, "cityops_request_duration_seconds_count", **ok)
    citizen = await api.citizen()
    assert (await api.get("/api/citizen/me", headers=citizen.headers)).status_code == 200
    assert (await api.get("/api/citizen/me")).status_code == 401
    assert await _count(api, "cityops_requests_total", **ok) == before + 1
    assert await _count(api, "cityops_requests_total", **refused) == refused_before + 1
    assert await _count(api, "cityops_request_duration_seconds_count", **ok) == timed_before + 1


async def test_metrics_label_routes_not_raw_paths(api):
    """A path parameter or a scan of made-up paths must not make a series per value."""
    citizen = await api.citizen()
    await api.get("/api/citizen/places/987654", headers=citizen.headers)
    await api.get("/no/such/page/ab12cd")
    await api.request("BREW", "/api/citizen/me")
    text = (await api.get("/metrics")).text
    assert 'path="/api/citizen/places/{place_id}"' in text
    # Quoted: the bare digits can turn up inside a *_created timestamp.
    assert '/987654"' not in text and "ab12cd" not in text and "BREW" not in text
    assert (
        await _count(
            api, "cityops_requests_total", method="GET", path="<unmatched>", status_code="404"
        )
        >= 1
    )
    assert 'method="OTHER"' in text


async def test_probes_and_metrics_are_not_measured(api):
    await api.get("/healthz")
    await api.get("/metrics")
    assert 'path="/healthz"' not in (await api.get("/metrics")).text


async def test_a_failed_request_counts_as_an_error(api, monkeypatch):
    import accounts.service

    async def explode(**_):
        raise RuntimeError("boom")

    labels = {"method": "GET", "path": "/api/citizen/me", "status_code": "500"}
    before = await _count(api, "cityops_requests_error_total", **labels)
    monkeypatch.setattr(accounts.service, "citizen_profile", explode)
    citizen = await api.citizen()
    assert (await api.get("/api/citizen/me", headers=citizen.headers)).status_code == 500
    assert await _count(api, "cityops_requests_error_total", **labels) == before + 1


async def test_openapi_describes_routes_auth_and_errors(api):
    schema = (await api.get("/schema/openapi.json")).json()
    paths = schema["paths"]
    for path in (
        "/api/citizen/auth/wechat",
        "/api/citizen/auth/sms/request",
        "/api/citizen/auth/sms/verify",
        "/api/inspector/auth/login",
        "/api/auth/refresh",
        "/api/auth/logout",
        "/api/citizen/me",
        "/api/inspector/me",
        "/healthz",
        "/readyz",
    ):
        assert path in paths, path
    assert schema["components"]["securitySchemes"]["BearerAuth"]["scheme"] == "bearer"
    me = paths["/api/citizen/me"]["get"]
    assert me["security"] == [{"BearerAuth": []}]
    assert "401" in me["responses"] and "application/problem+json" in str(me["responses"]["401"])
    assert (await api.get("/schema")).status_code == 200
