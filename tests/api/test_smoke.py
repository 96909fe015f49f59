from tests.helpers import assert_problem


async def test_health_ready_and_request_id(api):
    response = await api.get("/healthz")
    assert response.json() == {"status": "ok"}
    assert len(response.headers["x-request-id"]) == 32
    ready = await api.get("/readyz", headers={"X-Request-ID": "abc-123"})
    assert ready.status_code == 200 and ready.json()["status"] == "ok"
    assert ready.headers["x-request-id"] == "abc-123"


async def test_unknown_route_is_a_404_problem_with_request_id(api):
    response = await api.get("/api/citizen/nowhere")
    body = assert_problem(response, 404, "route.not_found")
    assert body["requestId"] == response.headers["x-request-id"]


async def test_wrong_method_is_405_problem(api):
    response = await api.delete("/healthz")
    assert_problem(response, 405, "route.method_not_allowed")
