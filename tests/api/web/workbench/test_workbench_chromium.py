"""The workbench in headless Chromium (Debian's ``chromium`` driven by Playwright; never
``playwright install``) on the demo city: an operator signs in, finds a case in the queue,
opens it and dispatches it while a second operator's queue changes without a reload, and
acknowledges an alert. Every page: axe-core with no serious or critical violation (after
load and after each kind of swap), no Content-Security-Policy error in the console, nothing
fetched off 127.0.0.1, screenshots at 1440x900 and 1024x768 in pytest's tmp dir.

Runs once, on the SQLite pass: the app under test has its own SQLite file either way."""

from __future__ import annotations

import os
import re
import shutil

import pytest

from tests.api.admin_ui.test_admin_ui_chromium import BROWSER_ARGS
from tests.api.web.workbench.quiet import quiet
from tests.helpers import require_system
from tests.servers import app_env, free_port, running_apps, seed

SEED = """
import asyncio
from core import db
from core.settings import get_settings
from core.schema import migrate

async def main():
    await db.open_pool(get_settings())
    await migrate()
    from api.demo import load_demo
    from org import units
    await load_demo()
    unit = await units.get_unit_by_code(code="370202-HW")
    await db.close_pool()
    print(unit.id)

asyncio.run(main())
"""
SIZES = [(1440, 900), (1024, 768)]
SERIOUS = ("serious", "critical")

pytestmark = pytest.mark.skipif(
    bool(os.environ.get("CITYOPS_TEST_DATABASE_URL")),
    reason="browser tests run once, on the SQLite pass (the app has its own SQLite file)",
)


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    binary = shutil.which("chromium") or shutil.which("chromium-browser")
    require_system("chromium", binary is not None, "apt-get install -y chromium (as .ci/run does)")
    root = tmp_path_factory.mktemp("workbench")
    port = free_port()
    env = app_env(root, port, "wb.db", CITYOPS_PASSWORD_ITERATIONS="1000")
    unit_id = int(seed(env, SEED))
    credentials = {}
    for line in (root / "demo-credentials.txt").read_text().splitlines():
        found = re.search(r"username=(\S+)\s+password=(\S+)", line)
        if found:
            credentials[found.group(1)] = found.group(2)
    with running_apps(env, port=port) as (base,):
        yield {"base": base, "binary": binary, "root": root, "unit": unit_id, "who": credentials}


class Watch:
    """What a page did wrong: CSP refusals in the console, requests off the machine."""

    def __init__(self) -> None:
        self.csp: list[str] = []
        self.errors: list[str] = []
        self.stage = ""

    async def attach(self, context) -> None:
        async def only_local(route):
            if route.request.url.startswith("http://127.0.0.1"):
                await route.continue_()
            else:
                self.errors.append(route.request.url)
                await route.abort()

        await context.route("**/*", only_local)

    def page(self, page) -> None:
        def console(message) -> None:
            if "Content Security Policy" in message.text:
                self.csp.append(f"{page.url} [after {STAGE[0]}] {message.location} {message.text}")

        page.on("console", console)


STAGE: list[str] = [""]


async def _axe(page, where: str) -> None:
    from axe_playwright_python.async_playwright import Axe

    STAGE[0] = where

    await quiet(page)
    results = await Axe().run(page)
    bad = [v for v in results.response["violations"] if v.get("impact") in SERIOUS]
    assert not bad, f"{where}: {results.generate_report()}"


async def _shots(page, tmp_path, name: str) -> None:
    for width, height in SIZES:
        await page.set_viewport_size({"width": width, "height": height})
        await page.screenshot(path=str(tmp_path / f"{name}-{width}x{height}.png"), full_page=True)


async def _sign_in(page, base: str, username: str, password: str) -> None:
    await page.goto(f"{base}/workbench/queue")
    await page.wait_for_url(re.compile(r"/workbench/signin"))
    await page.fill("#username", username)
    await page.fill("#password", password)
    await page.click("form button[type=submit]")
    await page.wait_for_url(re.compile(r"/workbench/queue"))


async def test_operator_runs_a_case_and_a_second_screen_sees_it_live(server, tmp_path):
    from playwright.async_api import async_playwright, expect

    base, who = server["base"], server["who"]
    watch = Watch()
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(
            executable_path=server["binary"], args=BROWSER_ARGS
        )
        try:
            a_context = await browser.new_context(locale="zh-CN")
            b_context = await browser.new_context(locale="en")
            for context in (a_context, b_context):
                await watch.attach(context)
            a, b = await a_context.new_page(), await b_context.new_page()
            watch.page(a)
            watch.page(b)

            signin = await a_context.new_page()
            watch.page(signin)
            await signin.goto(f"{base}/workbench/signin")
            await _axe(signin, "sign-in")
            await _shots(signin, tmp_path, "signin")
            await signin.close()

            await _sign_in(a, base, "operator", who["operator"])
            await _sign_in(b, base, "district_op", who["district_op"])
            await _axe(a, "queue (zh)")
            await _axe(b, "queue (en)")
            await _shots(a, tmp_path, "queue")

            # Find the accepted demo case by its words, through the filter form (a swap).
            await a.fill("#f-q", "公厕洗手池")
            await a.click("form.filters button[type=submit]")
            row = a.locator("#queue-body tr", has_text="公厕洗手池")
            await expect(row).to_have_count(1)
            await _axe(a, "queue after filtering")
            case_link = row.locator("a").first
            href = await case_link.get_attribute("href")
            case_id = href.rsplit("/", 1)[1]
            b_row = b.locator(f"#case-{case_id}")
            await expect(b_row).to_contain_text("Accepted")

            await case_link.click()
            await a.wait_for_url(re.compile(f"/workbench/cases/{case_id}$"))
            await _axe(a, "case")
            await _shots(a, tmp_path, "case")

            # No unit chosen first: the API's message beside the field (a 422 swap).
            await a.click("button[data-action=dispatch]")
            await expect(a.locator("#f-dispatch-unitId-err")).to_be_visible()
            await expect(a.locator("#f-dispatch-unitId")).to_have_attribute("aria-invalid", "true")
            await _axe(a, "case with a field error")

            await a.select_option("#f-dispatch-unitId", str(server["unit"]))
            await a.click("button[data-action=dispatch]")
            await expect(a.locator("#case-state")).to_have_text("处置中")
            await _axe(a, "case after dispatching")

            # The second screen, never reloaded, shows the new state.
            await expect(b_row).to_contain_text("Being handled", timeout=15000)
            await expect(b.locator("#queue-status")).to_contain_text("updated")
            await _axe(b, "queue after a live update")

            await a.goto(f"{base}/workbench/alerts")
            await _axe(a, "alerts")
            await _shots(a, tmp_path, "alerts")
            buttons = a.locator("#alerts button[type=submit]")
            before = await buttons.count()
            assert before > 0, "the demo city has unacknowledged alerts"
            await buttons.first.click()
            await expect(a.locator("#alerts [role=status]")).to_be_visible()
            await expect(buttons).to_have_count(before - 1)
            await _axe(a, "alerts after acknowledging")

            await b.goto(f"{base}/workbench/alerts")
            await _axe(b, "alerts (en)")
        finally:
            await browser.close()
    assert not watch.csp, "\n".join(watch.csp)
    assert not watch.errors, watch.errors
