"""`cityops demo` loads a working city and running it twice changes nothing."""

from api.demo import load_demo
from cases.tables import Case
from tests.helpers import assert_problem


async def test_demo_is_idempotent_and_covers_the_workflow(api):
    first = await load_demo()
    from collections import Counter

    counts = Counter(row["state"] for row in await Case.select(Case.state))
    assert {
        "reported",
        "accepted",
        "dispatched",
        "resolved",
        "closed",
        "rejected",
        "merged",
        "suspended",
    } <= set(counts)
    second = await load_demo()
    assert "0 demo cases filed" in second and "16 demo cases filed" in first
    assert sum(counts.values()) == await Case.count()
    # The printed passwords work.
    line = next(line for line in first.splitlines() if line.startswith("operator"))
    password = line.split("password=")[1]
    login = await api.post(
        "/api/inspector/auth/login", json={"username": "operator", "password": password}
    )
    assert login.status_code == 201
    token = login.json()["accessToken"]
    cases = await api.get("/api/admin/cases", headers={"Authorization": f"Bearer {token}"})
    assert len(cases.json()["items"]) == await Case.count()
    assert_problem(
        await api.post(
            "/api/inspector/auth/login", json={"username": "operator", "password": "wrong"}
        ),
        401,
        "auth.invalid_credentials",
    )


async def test_the_demo_fills_the_command_centres_queues(api):
    """A district and a street centre with their operators on duty, and a case behind each
    kind of alert the demo can show."""
    from cases.tables import Alert

    printed = await load_demo()
    kinds = {row["kind"] for row in await Alert.select(Alert.kind)}
    assert {
        "unit_unstaffed",
        "returned",
        "machine_alarm",
        "outside_city",
        "undispatched",
        "sla_red",
        "sla_yellow",
    } <= kinds

    async def sign_in(username: str) -> dict:
        line = next(line for line in printed.splitlines() if f"username={username} " in line)
        response = await api.post(
            "/api/inspector/auth/login",
            json={"username": username, "password": line.split("password=")[1]},
        )
        assert response.status_code == 201, response.text
        return {"Authorization": f"Bearer {response.json()['accessToken']}"}

    street = await api.get("/api/admin/alerts", headers=await sign_in("street_op"))
    district = await api.get("/api/admin/alerts", headers=await sign_in("district_op"))
    assert {a["kind"] for a in street.json()["items"]} >= {"returned", "sla_yellow"}
    assert {a["kind"] for a in district.json()["items"]} >= {"sla_red", "returned"}
    orders = await api.get("/api/admin/supervisions", headers=await sign_in("supervisor"))
    assert len(orders.json()) == 1
