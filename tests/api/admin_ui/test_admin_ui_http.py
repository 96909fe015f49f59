"""piccolo-admin at /admin and /admin/dashboard over HTTP (the browser test drives the same
pages in Chromium): admin staff only, edits audited and seen by the API."""

import pytest

from core.actors import SYSTEM
from core.db import transaction
from places import service as places
from tests.helpers import assert_problem

PASSWORD = "correct-horse-battery"


async def _login(api, username):
    api.client.cookies.clear()
    await api.get("/admin/")  # sets the CSRF cookie
    csrf = api.client.cookies.get("csrftoken")
    return await api.post(
        "/admin/public/login/",
        headers={"X-CSRFToken": csrf},
        json={"username": username, "password": PASSWORD},
    )


@pytest.fixture
async def admin(api):
    session = await api.staff("admin", username="chief", password=PASSWORD)
    yield session
    api.client.cookies.clear()


async def test_admin_signs_in_with_the_staff_account_and_edits_a_place(api, admin):
    async with transaction():
        place = await places.create_place(
            actor=SYSTEM, kind="toilet", name="栈桥公厕", lat=36.0611, lon=120.385
        )
    assert (await _login(api, "chief")).status_code == 200
    tables = (await api.get("/admin/api/tables/")).json()
    assert {"place", "signpost", "category", "reward", "org_unit", "staff"} <= set(tables)
    assert "piccolo_user" not in tables
    csrf = api.client.cookies.get("csrftoken")
    patched = await api.patch(
        f"/admin/api/tables/place/{place.id}/",
        json={"name": "栈桥公厕（新）"},
        headers={"X-CSRFToken": csrf},
    )
    assert patched.status_code == 200, patched.text
    seen = await api.get(f"/api/admin/places/{place.id}", headers=admin.headers)
    assert seen.json()["name"] == "栈桥公厕（新）"
    entry = (
        await api.get("/api/admin/audit", params={"targetKind": "place"}, headers=admin.headers)
    ).json()["items"][0]
    assert entry["action"] == "admin_ui.place.update" and entry["actorId"] == admin.subject_id
    assert entry["before"]["name"] == "栈桥公厕" and entry["after"]["name"] == "栈桥公厕（新）"
    assert entry["after"]["revision"] > entry["before"]["revision"]  # the index will see it


async def test_only_admins_get_in(api, admin):
    await api.staff("operator", username="op1", password=PASSWORD)
    refused = await _login(api, "op1")
    assert_problem(refused, 403, "auth.role_forbidden")
    assert "id" not in api.client.cookies  # no session at all, not one without the flag
    assert (await api.get("/admin/api/tables/")).status_code in (401, 403)
    assert_problem(await api.get("/admin/dashboard"), 401, "auth.required")
    api.client.cookies.clear()
    assert (await api.get("/admin/api/tables/")).status_code in (401, 403)
    assert_problem(await api.get("/admin/dashboard"), 401, "auth.required")
    wrong = await api.post(
        "/admin/public/login/",
        json={"username": "chief", "password": "x"},
        headers={"X-CSRFToken": api.client.cookies.get("csrftoken") or ""},
    )
    assert wrong.status_code in (401, 403)
    # A Bearer token does not open the web UI: it is cookie-based.
    assert_problem(await api.get("/admin/dashboard", headers=admin.headers), 401, "auth.required")


async def test_the_web_sign_in_is_the_staff_sign_in(api, admin):
    """Lockout, disabled accounts and the audit trail hold for the web UI as for the API."""
    from piccolo.apps.user.tables import BaseUser

    for _ in range(5):
        api.client.cookies.clear()
        await api.get("/admin/")
        csrf = api.client.cookies.get("csrftoken")
        bad = await api.post(
            "/admin/public/login/",
            headers={"X-CSRFToken": csrf},
            json={"username": "chief", "password": "not-the-password"},
        )
        assert_problem(bad, 401, "auth.invalid_credentials")
    assert_problem(await _login(api, "chief"), 429, "auth.locked")
    # The lock is the API's too: one count per account.
    api_login = await api.post(
        "/api/inspector/auth/login", json={"username": "chief", "password": PASSWORD}
    )
    assert_problem(api_login, 429, "auth.locked")

    await api.staff("admin", username="retired", password=PASSWORD)
    await BaseUser.update({BaseUser.active: False}).where(BaseUser.username == "retired")
    assert_problem(await _login(api, "retired"), 403, "auth.account_disabled")
    assert "id" not in api.client.cookies
    trail = (
        await api.get("/api/admin/audit", params={"targetKind": "sign_in"}, headers=admin.headers)
    ).json()["items"]
    outcomes = [(e["targetId"], e["after"]["outcome"]) for e in trail]
    assert outcomes.count(("chief", "wrong_password")) == 5
    assert ("retired", "auth.account_disabled") in outcomes


async def test_the_web_sign_in_needs_the_csrf_token(api, admin):
    api.client.cookies.clear()
    await api.get("/admin/")
    for headers in ({}, {"X-CSRFToken": "forged"}):
        response = await api.post(
            "/admin/public/login/",
            headers=headers,
            json={"username": "chief", "password": PASSWORD},
        )
        assert response.status_code == 403
    assert "id" not in api.client.cookies


async def test_the_web_ui_hashes_passwords_off_the_event_loop(api, admin, monkeypatch):
    import threading

    from piccolo.apps.user.tables import BaseUser

    threads: list[str] = []
    original = BaseUser.hash_password.__func__

    def spying(cls, *args, **kwargs):
        threads.append(threading.current_thread().name)
        return original(cls, *args, **kwargs)

    monkeypatch.setattr(BaseUser, "hash_password", classmethod(spying))
    assert (await _login(api, "chief")).status_code == 200
    assert threads and threading.main_thread().name not in threads


async def test_its_change_password_route_is_closed(api, admin):
    assert (await _login(api, "chief")).status_code == 200
    csrf = api.client.cookies.get("csrftoken")
    response = await api.post(
        "/admin/api/change-password/",
        headers={"X-CSRFToken": csrf},
        json={"old_password": PASSWORD, "new_password": "y" * 12, "confirm_new_password": "y" * 12},
    )
    assert response.status_code == 403
    relogin = await api.post(
        "/api/inspector/auth/login", json={"username": "chief", "password": PASSWORD}
    )
    assert relogin.status_code == 201


async def test_dashboard_shows_todays_numbers_and_open_cases(api, admin):
    from tests.api.admin.test_stats import _report
    from tests.cases_city import AUTO_CATEGORY, build_city

    await build_city(api)
    citizen = await api.citizen()
    await _report(api, citizen, AUTO_CATEGORY, 1)
    await _report(api, citizen, "E0102", 2)
    assert (await _login(api, "chief")).status_code == 200
    page = await api.get("/admin/dashboard")
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    html = page.text
    assert '<div class="tile" id="reported"><div class="n">2</div>' in html
    assert '<div class="tile" id="open"><div class="n">2</div>' in html
    assert html.count('class="case green"') == 1 and html.count('class="case none"') == 1


async def test_signposts_made_here_carry_signed_codes(api, admin):
    from qr import codes

    assert (await _login(api, "chief")).status_code == 200
    csrf = {"X-CSRFToken": api.client.cookies.get("csrftoken")}
    sign = {  # as the admin's form sends it
        "name": "建新北路与北城天街交叉口",
        "kind": "intersection",
        "lat": 36.0611,
        "lon": 120.385,
        "grid_code": "",
        "status": "active",
        "created_at": "2026-11-29T08:00:00+08:00",
        "updated_at": "2026-11-29T08:00:00+08:00",
    }
    made = await api.post("/admin/api/tables/signpost/", json={**sign, "code": ""}, headers=csrf)
    assert made.status_code == 201, made.text
    row = (await api.get(f"/admin/api/tables/signpost/{made.json()[0]['id']}/")).json()
    minted = row["code"]
    assert codes.verify(minted) == minted  # signed: the /q page shows it as genuine
    page = await api.get(f"/q/{minted}")
    assert page.status_code == 200 and "仿冒" not in page.text

    printed = codes.new_code()  # re-entering a sticker's code keeps it
    kept = await api.post(
        "/admin/api/tables/signpost/", json={**sign, "code": printed.lower()}, headers=csrf
    )
    assert kept.status_code == 201, kept.text
    row = (await api.get(f"/admin/api/tables/signpost/{kept.json()[0]['id']}/")).json()
    assert row["code"] == printed

    forged = printed[:5] + ("0" if printed[5] != "0" else "1") + printed[6:]
    for bad in (forged, "HELLO", "x" * 10):
        refused = await api.post(
            "/admin/api/tables/signpost/", json={**sign, "code": bad}, headers=csrf
        )
        assert refused.status_code == 400, refused.text
        patched = await api.patch(
            f"/admin/api/tables/signpost/{kept.json()[0]['id']}/",
            json={"code": bad},
            headers=csrf,
        )
        assert patched.status_code == 400, patched.text
    row = (await api.get(f"/admin/api/tables/signpost/{kept.json()[0]['id']}/")).json()
    assert row["code"] == printed  # refused writes changed nothing
    renamed = await api.patch(
        f"/admin/api/tables/signpost/{kept.json()[0]['id']}/", json={"name": "新名"}, headers=csrf
    )
    assert renamed.status_code == 200, renamed.text
