"""Workbench sign-in over HTTP: the one staff sign-in behind a form, cookie session, CSRF,
CSP on every page, roles."""

from __future__ import annotations

from tests.api.web.workbench.support import PASSWORD, csrf_of, sign_in, signed_in


async def test_sign_in_page_is_public_and_sends_a_strict_csp(api):
    page = await api.get("/workbench/signin")
    assert page.status_code == 200
    csp = page.headers["content-security-policy"]
    assert "script-src 'self';" in csp and "style-src 'self';" in csp and "'unsafe" not in csp
    assert "frame-ancestors 'none'" in csp
    assert "HX-Request" in page.headers["vary"] and page.headers["content-language"] == "zh-CN"
    assert '<html lang="zh-CN">' in page.text and "登录" in page.text
    en = await api.get("/workbench/signin", headers={"Accept-Language": "en"})
    assert '<html lang="en">' in en.text and "Sign in" in en.text


async def test_pages_need_a_session(api):
    response = await api.get("/workbench/queue")
    assert response.status_code == 303
    assert response.headers["location"] == "/workbench/signin?next=/workbench/queue"
    htmx = await api.get("/workbench/queue", headers={"HX-Request": "true"})
    assert htmx.status_code == 204 and htmx.headers["hx-redirect"].startswith("/workbench/signin")


async def test_operator_signs_in_and_out(api):
    await signed_in(api, "operator")
    cookie = api.client.cookies.get("cityops_wb")
    assert cookie and len(cookie) > 30
    home = await api.get("/workbench/")
    assert home.status_code == 303 and home.headers["location"] == "/workbench/queue"
    page = await api.get("/workbench/signin")
    out = await api.post("/workbench/signout", data={"_csrf_token": csrf_of(page.text)})
    assert out.status_code == 303
    api.client.cookies.set("cityops_wb", cookie, path="/workbench")  # a copy kept: dead too
    assert (await api.get("/workbench/")).status_code == 303
    assert (await api.get("/workbench/")).headers["location"].startswith("/workbench/signin")


async def test_the_cookie_session_is_not_a_refresh_token(api):
    await signed_in(api, "operator")
    cookie = api.client.cookies.get("cityops_wb")
    refused = await api.post("/api/auth/refresh", json={"refreshToken": cookie})
    assert refused.status_code == 401


async def test_wrong_password_and_wrong_role_are_refused_on_the_form(api):
    await api.staff("operator", username="wbop", password=PASSWORD)
    wrong = await sign_in(api, "wbop", "not-the-password")
    assert wrong.status_code == 401 and 'aria-invalid="true"' in wrong.text
    assert "cityops_wb" not in api.client.cookies
    await api.staff("inspector", username="wbinsp", password=PASSWORD)
    inspector = await sign_in(api, "wbinsp")
    assert inspector.status_code == 403 and "cityops_wb" not in api.client.cookies


async def test_posts_without_the_csrf_token_are_refused(api):
    await api.staff("operator", username="wbcsrf", password=PASSWORD)
    await api.get("/workbench/signin")
    refused = await api.post("/workbench/signin", data={"username": "wbcsrf", "password": PASSWORD})
    assert refused.status_code == 403
    assert "cityops_wb" not in api.client.cookies


async def test_static_assets_are_served_long_cached(api):
    js = await api.get("/workbench/static/vendor/htmx-2.0.10/htmx.min.js")
    assert js.status_code == 200 and "max-age=31536000" in js.headers["cache-control"]
    assert (await api.get("/workbench/static/workbench/app.css")).status_code == 200


async def test_supervisor_and_admin_sign_in_too(api):
    for role in ("supervisor", "admin"):
        await signed_in(api, role)
        page = await api.get("/workbench/queue")
        assert page.status_code == 200 and "cityops_wb" in api.client.cookies


async def test_a_disabled_account_loses_its_session_and_cannot_sign_in(api):
    from piccolo.apps.user.tables import BaseUser

    await api.staff("operator", username="wbgone", password=PASSWORD)
    assert (await sign_in(api, "wbgone")).status_code == 303
    assert (await api.get("/workbench/queue")).status_code == 200
    await BaseUser.update({BaseUser.active: False}).where(BaseUser.username == "wbgone")
    cut = await api.get("/workbench/queue")
    assert cut.status_code == 303 and cut.headers["location"].startswith("/workbench/signin")
    refused = await sign_in(api, "wbgone")
    assert refused.status_code == 403 and 'role="alert"' in refused.text


async def test_repeated_wrong_passwords_lock_the_username(api):
    from core.settings import get_settings

    await api.staff("operator", username="wblock", password=PASSWORD)
    for _ in range(get_settings().login_max_failures + 1):
        await sign_in(api, "wblock", "wrong-password")
    locked = await sign_in(api, "wblock")  # even the right password, while locked
    assert locked.status_code == 429 and "cityops_wb" not in api.client.cookies
