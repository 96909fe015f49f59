"""/q/{code} in a real browser: headless Chromium (Debian ``chromium``) against the app run
by uvicorn on a loopback port with its own SQLite database. The page renders at 360 px, the
links are right, a screenshot is taken; an SVG code rendered by Chromium decodes (zxing-cpp)."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest
from PIL import Image

from tests.helpers import require_system
from tests.qr.util import decode_qr
from tests.servers import app_env, free_port, running_apps, seed

SEED = """
import asyncio
from core import db
from core.settings import get_settings
from core.schema import migrate
from core.actors import SYSTEM

async def main():
    await db.open_pool(get_settings())
    await migrate()
    from places import service as places
    from qr import service as signposts
    async with db.transaction():
        sign = await signposts.create_signpost(name="建新北路与北城天街交叉口", lat=36.06,
                                               lon=120.385)
        await places.create_place(actor=SYSTEM, kind="toilet", name="栈桥公厕", lat=36.0611,
                                  lon=120.385, hours="24/7")
        await places.create_place(actor=SYSTEM, kind="parking", name="栈桥停车场",
                                  lat=36.06, lon=120.3875,
                                  attributes={"total_spaces": 80, "free_spaces": 12})
    await db.close_pool()
    print(sign.code)

asyncio.run(main())
"""


def _chromium() -> str | None:
    return shutil.which("chromium") or shutil.which("chromium-browser")


def _run_chromium(binary: str, profile: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [
            binary,
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--no-first-run",
            f"--user-data-dir={profile}",
            "--hide-scrollbars",
            *args,
        ],
        capture_output=True,
        text=True,
        timeout=90,
        check=False,
    )


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    binary = _chromium()
    require_system("chromium", binary is not None, "apt-get install -y chromium (as .ci/run does)")
    root = tmp_path_factory.mktemp("qpage")
    port = free_port()
    env = app_env(root, port, "page.db")
    code = seed(env, SEED)
    with running_apps(env, port=port) as (base,):
        yield {"base": base, "code": code, "binary": binary, "root": root}


def test_the_page_renders_in_chromium_with_the_right_links(server):
    url = f"{server['base']}/q/{server['code']}"
    dom = _run_chromium(
        server["binary"], server["root"] / "profile-dom", "--accept-lang=zh-CN", "--dump-dom", url
    )
    assert dom.returncode == 0, dom.stderr[-2000:]
    html = dom.stdout
    assert "您在这里" in html and "建新北路与北城天街交叉口" in html
    assert "栈桥公厕" in html and "栈桥停车场" in html
    assert f'href="cityops://report?signpost={server["code"]}' in html
    assert f'href="/q/{server["code"]}/damaged"' in html
    assert "https://uri.amap.com/navigation?to=" in html
    assert "https://api.map.baidu.com/direction?destination=latlng:" in html
    assert "https://apis.map.qq.com/uri/v1/routeplan?" in html
    assert "https://maps.apple.com/?daddr=" in html

    shot = server["root"] / "page.png"
    result = _run_chromium(
        server["binary"],
        server["root"] / "profile-shot",
        f"--screenshot={shot}",
        "--window-size=360,800",
        url,
    )
    assert result.returncode == 0 and shot.exists(), result.stderr[-2000:]
    image = Image.open(shot).convert("RGB")
    assert image.size == (360, 800)
    # The blue header is drawn and the page is not blank.
    assert image.getpixel((180, 10)) == (11, 107, 203)
    assert len(image.resize((90, 200)).getcolors(maxcolors=100_000)) > 20


def test_an_svg_code_rendered_by_chromium_decodes(server):
    from qr import render

    url = f"{server['base']}/q/{server['code']}"
    svg = server["root"] / "code.svg"
    svg.write_bytes(render.svg(url, "建新北路与北城天街交叉口", box=8))
    shot = server["root"] / "svg.png"
    result = _run_chromium(
        server["binary"],
        server["root"] / "profile-svg",
        f"--screenshot={shot}",
        "--window-size=600,700",
        svg.as_uri(),
    )
    assert result.returncode == 0 and shot.exists(), result.stderr[-2000:]
    assert decode_qr(Image.open(shot)) == [url]
