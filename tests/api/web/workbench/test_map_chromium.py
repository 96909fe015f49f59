"""The map, places, signposts and stats pages in headless Chromium (Debian ``chromium`` driven by
Playwright): a place created by clicking the map while the tiles are GCJ-02 (no real tiles:
the map stays offline) is stored as the right WGS-84; a CSV with a bad row shows the row;
axe-core finds no violations; nothing is refused by the CSP; nothing loads from elsewhere.
Screenshots at 1440x900 and 1024x768 go to pytest's tmp dir. SQLite only: the browser is
the point, not the database."""

from __future__ import annotations

import datetime as dt
import re
import shutil

import httpx
import pytest

from org.geo import to_wgs84
from tests.api.admin_ui.test_admin_ui_chromium import BROWSER_ARGS
from tests.api.web.workbench.quiet import quiet
from tests.cases_city import IN_GRID
from tests.helpers import jpeg_bytes, require_system
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
    from qr import service as signposts
    async with db.transaction():
        hashed = await hash_new_password("PASSWORD")
        await create_staff(username="chief", password_hash=hashed, role="admin")
        inspector = await create_staff(username="walker", password_hash=hashed, role="inspector")
        await load_org_demo(inspector_staff_ids=[inspector.id])
        await places.create_place(actor=SYSTEM, kind="toilet", name="栈桥公厕",
                                  lat=36.0611, lon=120.385)
        await signposts.create_signpost(name="香港中路路口", lat=36.0611, lon=120.385)
    await db.close_pool()
    print("ok")

asyncio.run(main())
""".replace("PASSWORD", PASSWORD)
SIZES = [(1440, 900), (1024, 768)]
PAGES = [
    "/workbench/map",
    "/workbench/places",
    "/workbench/places/new",
    "/workbench/signposts",
    "/workbench/signposts/new",
    "/workbench/stats",
]


def _open_case(base: str) -> None:
    """An inspector's report: an open case for the map's markers and table."""
    with httpx.Client(base_url=base, timeout=30) as client:
        login = client.post(
            "/api/inspector/auth/login", json={"username": "walker", "password": PASSWORD}
        )
        headers = {"Authorization": f"Bearer {login.json()['accessToken']}"}
        photo = client.post(
            "/api/inspector/media",
            headers=headers,
            files={"file": ("p.jpg", jpeg_bytes(seed=3), "image/jpeg")},
        )
        assert photo.status_code == 201, photo.text
        second = client.post(
            "/api/inspector/media",
            headers=headers,
            files={"file": ("q.jpg", jpeg_bytes(seed=4), "image/jpeg")},
        ).json()["id"]
        # Two cases 220 m apart: a cluster at the zoom that shows the whole district.
        for index, (lat, lon) in enumerate([IN_GRID, (IN_GRID[0] + 0.002, IN_GRID[1])]):
            case = client.post(
                "/api/inspector/cases",
                headers=headers,
                json={
                    "category": ("E0102", "E0103")[index],
                    "location": {"lat": lat, "lon": lon},
                    "mediaIds": [photo.json()["id"]] if index == 0 else [second],
                    "description": "人行道上有暴露垃圾",
                },
            )
            assert case.status_code == 201, case.text
        # A patrol with a short track, for the supervisors' replay.
        start = client.post("/api/inspector/patrols", headers=headers, json={})
        assert start.status_code == 201, start.text
        now = dt.datetime.now(dt.UTC) - dt.timedelta(minutes=5)
        fixes = [
            {
                "at": (now + dt.timedelta(seconds=20 * i)).isoformat(),
                "lat": IN_GRID[0] + i * 2e-4,
                "lon": IN_GRID[1],
            }
            for i in range(6)
        ]
        track = client.post(
            f"/api/inspector/patrols/{start.json()['id']}/track",
            headers=headers,
            json={"fixes": fixes},
        )
        assert track.status_code == 200, track.text


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    binary = shutil.which("chromium") or shutil.which("chromium-browser")
    require_system("chromium", binary is not None, "apt-get install -y chromium (as .ci/run does)")
    root = tmp_path_factory.mktemp("wbmap")
    port = free_port()
    env = app_env(
        root,
        port,
        "wbmap.db",
        CITYOPS_PASSWORD_ITERATIONS="1000",
        CITYOPS_MAP_TILE_COORD_SYS="gcj02",  # AMap-like tiles, but none configured: offline
    )
    seed(env, SEED)
    with running_apps(env, port=port) as (base,):
        _open_case(base)
        yield {"base": base, "binary": binary, "root": root}


async def _context(browser, base: str, locale: str, refused: list[str], offsite: list[str]):
    context = await browser.new_context(locale=locale, viewport={"width": 1440, "height": 900})

    async def only_ours(route):
        if route.request.url.startswith(base):
            await route.continue_()
        else:
            offsite.append(route.request.url)
            await route.abort()

    await context.route("**/*", only_ours)
    page = await context.new_page()
    page.on(
        "console",
        lambda m: refused.append(m.text) if "Content Security Policy" in m.text else None,
    )
    await page.goto(f"{base}/workbench/signin")
    await page.fill("input[name=username]", "chief")
    await page.fill("input[name=password]", PASSWORD)
    await page.click("button[type=submit]")
    await page.wait_for_url("**/workbench/**", timeout=15_000)
    return context, page


async def _axe_clean(page, where: str) -> None:
    from axe_playwright_python.async_playwright import Axe

    await quiet(page)
    results = await Axe().run(page)
    assert results.violations_count == 0, (where, results.generate_report())


async def test_map_pages_in_chromium(server):
    from playwright.async_api import async_playwright

    base, root = server["base"], server["root"]
    refused: list[str] = []
    offsite: list[str] = []
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(
            executable_path=server["binary"], args=BROWSER_ARGS
        )
        try:
            for locale in ("zh-CN", "en"):
                context, page = await _context(browser, base, locale, refused, offsite)
                for path in PAGES:
                    await page.goto(f"{base}{path}")
                    if path == "/workbench/map":
                        # Markers and grids drawn from the JSON layers, on a plain background.
                        await page.wait_for_selector("path.leaflet-interactive", timeout=15_000)
                        await _map_layers(page, locale)
                    elif path.endswith("/new"):
                        await page.wait_for_selector(".leaflet-container", timeout=15_000)
                    await _axe_clean(page, f"{locale} {path}")
                    for width, height in SIZES:
                        await page.set_viewport_size({"width": width, "height": height})
                        name = f"{locale}{path.replace('/', '_')}_{width}x{height}.png"
                        await page.screenshot(path=str(root / name), full_page=True)
                    await page.set_viewport_size({"width": 1440, "height": 900})
                if locale == "zh-CN":
                    await _create_place_by_clicking(page, base)
                    await _import_with_a_bad_row(page, base)
                await context.close()
        finally:
            await browser.close()
    assert not refused, refused
    assert not offsite, offsite
    assert len(list(root.glob("*.png"))) == 2 * len(PAGES) * len(SIZES)


async def _map_layers(page, locale: str) -> None:
    """The two cases cluster with a text icon; zoomed in they are markers titled with their
    number and light in words; the heat map draws server-binned cells."""
    await page.wait_for_selector("#wb-map[data-ready]", timeout=15_000)
    cluster = page.locator(".wb-cluster").first
    await cluster.wait_for(timeout=15_000)
    label = await cluster.locator("span").first.get_attribute("aria-label")
    assert label == ("2 件，0 件超时" if locale == "zh-CN" else "2 cases, 0 overdue"), label
    await cluster.click()  # zooms to the two cases
    await page.locator(".wb-marker").first.wait_for(state="attached", timeout=15_000)
    title = await page.get_attribute(".wb-marker", "title")
    assert title and re.match(r"^\d{8}-\d{5} \S", title), title
    await page.click("#map-heat-form button[type=submit]")
    status = page.locator("#heat-status")
    await page.wait_for_selector("#heat-status:not(:empty)", timeout=15_000)
    # Two reports 220 m apart: two cells of the server's binning.
    assert await status.inner_text() == (
        "热力格 2 个，最多 1 件" if locale == "zh-CN" else "2 cells, at most 1 reports"
    )
    await page.wait_for_selector("canvas.leaflet-heatmap-layer", timeout=15_000)
    # Patrol replay: the track drawn, a slider over its fixes moves the cursor.
    await page.click("button[data-track-url]")
    await page.wait_for_selector("#replay:not([hidden])", timeout=15_000)
    assert await page.get_attribute("#replay-pos", "max") == "5"
    await page.fill("#replay-pos", "5")
    await page.wait_for_selector("#replay-time:not(:empty)", timeout=5_000)
    await page.click("#replay-play")
    await _axe_clean(page, f"{locale} map with replay and heat")


async def _create_place_by_clicking(page, base: str) -> None:
    await page.goto(f"{base}/workbench/places/new")
    await page.wait_for_selector("path.leaflet-interactive", timeout=15_000)  # grids fitted
    await page.fill("#f-name", "点选的公厕")
    await page.select_option("#f-kind", "toilet")
    box = await page.locator(".wb-map").bounding_box()
    await page.mouse.click(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    lat = float(await page.input_value("#f-lat"))
    lon = float(await page.input_value("#f-lon"))
    assert await page.input_value("#f-coordSys") == "gcj02"
    await page.wait_for_selector(".wb-pin", timeout=5_000)
    await page.click("#place-form button[type=submit]")
    await page.wait_for_selector("#saved", timeout=15_000)
    await _axe_clean(page, "place saved")
    place_id = page.url.split("/")[-1].split("?")[0]
    async with httpx.AsyncClient(base_url=base) as client:
        login = await client.post(
            "/api/inspector/auth/login", json={"username": "chief", "password": PASSWORD}
        )
        headers = {"Authorization": f"Bearer {login.json()['accessToken']}"}
        stored = (await client.get(f"/api/admin/places/{place_id}", headers=headers)).json()
    want = to_wgs84(lat, lon, "gcj02")
    got = (stored["location"]["lat"], stored["location"]["lon"])
    assert got == pytest.approx(want, abs=1e-6)
    assert abs(got[1] - lon) > 0.003  # GCJ-02's shift, hundreds of metres, was taken off
    # The edit form shows it back in the tiles' system, where it was clicked.
    assert float(await page.input_value("#f-lat")) == pytest.approx(lat, abs=1e-6)


async def _import_with_a_bad_row(page, base: str) -> None:
    await page.goto(f"{base}/workbench/places")
    csv = "kind,name,lat,lon\ntoilet,好的公厕,36.06,120.38\ntoilet,坏的公厕,north,120.38\n"
    await page.set_input_files(
        "#import-file",
        files=[{"name": "places.csv", "mimeType": "text/csv", "buffer": csv.encode()}],
    )
    await page.click("#import-form button[type=submit]")
    rows = page.locator("#import-rows tbody tr")
    await rows.first.wait_for(timeout=15_000)
    assert await rows.count() == 1
    assert (await rows.first.locator("td").first.inner_text()).strip() == "3"
    assert "1 行有误" in await page.inner_text("#import-error")
    assert "好的公厕" not in await page.inner_text("#places-table")
    await _axe_clean(page, "import refused")
