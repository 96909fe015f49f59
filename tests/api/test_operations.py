"""Metrics and the OpenAPI document."""


async def test_metrics_count_requests(api):
    await api.get("/api/citizen/me")
    metrics = await api.get("/metrics")
    assert metrics.status_code == 200
    assert "cityops_requests_total" in metrics.text


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
