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
    assert "0 demo cases filed" in second and "9 demo cases filed" in first
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
