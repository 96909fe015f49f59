"""The admin web UI in headless Chromium (Debian ``chromium``, driven by Playwright with
the system browser): sign in to piccolo-admin with a staff account, edit a place, see the
change in the API, load the dashboard. The app runs under uvicorn on a loopback port with
its own SQLite database."""

from __future__ import annotations

import shutil

import httpx
import pytest

from tests.helpers import require_system
from tests.servers import app_env, free_port, running_apps, seed

PASSWORD = "correct-horse-battery"
SEED = """
import asyncio
from core import db
from core.settings import get_settings
from core.schema import migrate
from core.actors import SYSTEM

async def main():
    await db.open_pool(get_settings())
    await migrate()
    from accounts.passwords import hash_new_password
    from accounts.service import create_staff
    from org.demo import load_org_demo
    from places import service as places
    async with db.transaction():
        hashed = await hash_new_password("PASSWORD")
        await create_staff(username="chief", password_hash=hashed, role="admin")
        await load_org_demo()
        place = await places.create_place(actor=SYSTEM, kind="toilet", name="栈桥公厕",
                                          lat=36.0611, lon=120.385)
    await db.close_pool()
    print(place.id)

asyncio.run(main())
""".replace("PASSWORD", PASSWORD)
BROWSER_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    binary = shutil.which("chromium") or shutil.which("chromium-browser")
    require_system("chromium", binary is not None, "apt-get install -y chromium (as .ci/run does)")
    root = tmp_path_factory.mktemp("adminui")
    port = free_port()
    env = app_env(root, port, "ui.db", CITYOPS_PASSWORD_ITERATIONS="1000")
    place_id = int(seed(env, SEED))
    with running_apps(env, port=port) as (base,):
        yield {"base": base, "binary": binary, "root": root, "place_id": place_id}


async def test_sign_in_edit_a_place_and_load_the_dashboard(server):
    from playwright.async_api import async_playwright

    base, place_id = server["base"], server["place_id"]
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(
            executable_path=server["binary"], args=BROWSER_ARGS
        )
        try:
            page = await browser.new_page()
            # The pages run under their Content-Security-Policy: nothing they need is refused.
            refused: list[str] = []
            page.on(
                "console",
                lambda m: refused.append(m.text) if "Content Security Policy" in m.text else None,
            )
            await page.goto(f"{base}/admin/")
            await page.fill("input[name=username]", "chief")
            await page.fill("input[name=password]", PASSWORD)
            await page.click("[data-uitest=login_button]")
            await page.wait_for_selector("text=place", timeout=15_000)

            await page.goto(f"{base}/admin/#/place/{place_id}")
            name = page.locator("input[name=name]")
            await name.wait_for(timeout=15_000)
            assert await name.input_value() == "栈桥公厕"
            await name.fill("栈桥公厕（已翻新）")
            async with page.expect_response(
                lambda r: r.request.method == "PATCH" and "/place/" in r.url
            ) as saved:
                await page.click("[data-uitest=save_button]")
            assert (await saved.value).status == 200

            await page.goto(f"{base}/admin/dashboard")
            await page.wait_for_selector("#map", timeout=15_000)
            assert await page.inner_text("#reported .n") == "0"
            assert "一屏通览" in await page.title()
            await page.screenshot(path=str(server["root"] / "dashboard.png"))
            assert not refused, refused
        finally:
            await browser.close()

    async with httpx.AsyncClient(base_url=base) as client:
        login = await client.post(
            "/api/inspector/auth/login", json={"username": "chief", "password": PASSWORD}
        )
        headers = {"Authorization": f"Bearer {login.json()['accessToken']}"}
        place = await client.get(f"/api/admin/places/{place_id}", headers=headers)
        assert place.json()["name"] == "栈桥公厕（已翻新）"
        audit = await client.get(
            "/api/admin/audit", params={"action": "admin_ui.place.update"}, headers=headers
        )
        assert audit.json()["items"][0]["after"]["name"] == "栈桥公厕（已翻新）"
    assert (server["root"] / "dashboard.png").stat().st_size > 1000
