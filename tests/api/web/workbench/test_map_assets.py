"""The map's vendored libraries are the published files (VERSION.txt sha256s recomputed),
each page's scripts and styles stay within the gzip budget, and tile hosts join the CSP."""

from __future__ import annotations

import gzip
import hashlib
import os
import re
from pathlib import Path

import pytest

from api.web.workbench.router import content_security_policy
from core.map_tiles import tile_hosts
from core.settings import load_settings
from tests.api.web.workbench.support import signed_in

VENDOR = Path(__file__).resolve().parents[4] / "api" / "web" / "static" / "vendor"
MAP_LIBRARIES = {
    "leaflet-1.9.4": "leaflet@1.9.4",
    "leaflet.markercluster-1.5.3": "leaflet.markercluster@1.5.3",
    "leaflet.heat-0.2.0": "leaflet.heat@0.2.0",
}
ASSET = re.compile(r'<(?:script defer src|link rel="stylesheet" href)="(/workbench/static/[^"]+)"')
KB = 1024


@pytest.mark.parametrize(("folder", "name"), sorted(MAP_LIBRARIES.items()))
def test_vendored_map_libraries_are_the_published_files(folder, name):
    root = VENDOR / folder
    first, *lines = (root / "VERSION.txt").read_text().splitlines()
    assert first.split()[0] == name
    listed = {}
    for line in lines:
        digest, path = line.split("  ", 1)
        listed[path] = digest
    present = {
        str(p.relative_to(root)) for p in root.rglob("*") if p.is_file() and p.name != "VERSION.txt"
    }
    assert set(listed) == present
    assert "LICENSE.txt" in present
    for path, digest in listed.items():
        assert hashlib.sha256((root / path).read_bytes()).hexdigest() == digest, path


async def _page_assets_gzip(api, url: str) -> tuple[int, list[str]]:
    page = await api.get(url)
    assert page.status_code == 200, page.text
    assets = ASSET.findall(page.text)
    total = 0
    for asset in assets:
        response = await api.get(asset)
        assert response.status_code == 200, asset
        total += len(gzip.compress(response.content, 9))
    return total, assets


async def test_each_page_stays_within_the_asset_budget(api):
    await signed_in(api, "admin")
    budgets = {
        "/workbench/map": 100 * KB,
        "/workbench/places/new": 100 * KB,
        "/workbench/signposts/new": 100 * KB,
        "/workbench/places": 40 * KB,
        "/workbench/signposts": 40 * KB,
        "/workbench/stats": 40 * KB,
    }
    for url, budget in budgets.items():
        total, assets = await _page_assets_gzip(api, url)
        print(f"{url}: {total / KB:.1f} KB gzip in {len(assets)} files")
        assert total <= budget, (url, total, assets)
        has_map = any("leaflet" in a for a in assets)
        assert has_map == (budget > 40 * KB), (url, assets)


def test_tile_hosts_expand_subdomains_and_join_the_csp(settings_env):
    amap = "https://webrd0{s}.is.autonavi.com/appmaptile?style=8&x={x}&y={y}&z={z}"
    settings_env(CITYOPS_MAP_TILE_URL=amap, CITYOPS_MAP_TILE_SUBDOMAINS="1,2,3,4")
    csp = content_security_policy()
    img = next(part for part in csp.split("; ") if part.startswith("img-src"))
    assert img == (
        "img-src 'self' data: https://webrd01.is.autonavi.com https://webrd02.is.autonavi.com "
        "https://webrd03.is.autonavi.com https://webrd04.is.autonavi.com"
    )
    settings_env(CITYOPS_MAP_TILE_URL="")
    assert "img-src 'self' data:;" in content_security_policy()


@pytest.mark.parametrize(
    ("env", "hosts"),
    [
        (
            {"CITYOPS_MAP_TILE_URL": "https://tile.openstreetmap.org/{z}/{x}/{y}.png"},
            ["https://tile.openstreetmap.org"],
        ),
        (
            {
                "CITYOPS_MAP_TILE_URL": "http://t{s}.tianditu.gov.cn/vec_w/wmts?x={x}&y={y}&l={z}",
                "CITYOPS_MAP_TILE_SUBDOMAINS": "01",
            },
            ["http://t0.tianditu.gov.cn", "http://t1.tianditu.gov.cn"],
        ),
        (
            {"CITYOPS_MAP_TILE_URL": "http://10.0.0.5:8080/tiles/{z}/{x}/{y}.png"},
            ["http://10.0.0.5:8080"],
        ),
    ],
)
def test_tile_hosts(env, hosts):
    # The test run's var dir: the development secrets are written there, not into the repo.
    assert (
        tile_hosts(load_settings({"CITYOPS_VAR_DIR": os.environ["CITYOPS_VAR_DIR"], **env}))
        == hosts
    )


@pytest.mark.parametrize(
    "env",
    [
        {"CITYOPS_MAP_TILE_URL": "ftp://tiles.example/{z}/{x}/{y}.png"},
        {"CITYOPS_MAP_TILE_URL": "/tiles/{z}/{x}/{y}.png"},
        {
            "CITYOPS_MAP_TILE_URL": "https://{s}.tile.example/{z}.png",
            "CITYOPS_MAP_TILE_SUBDOMAINS": "",
        },
        {"CITYOPS_MAP_TILE_COORD_SYS": "bd09"},  # Baidu's own tiling is not supported
    ],
)
def test_bad_tile_settings_stop_the_start(env):
    with pytest.raises(SystemExit, match="invalid configuration"):
        load_settings(env)


MINE = [
    "map.html",
    "places.html",
    "place_form.html",
    "signposts.html",
    "signpost_form.html",
    "stats.html",
    "partials/_tool_field.html",
    "partials/_tool_picker.html",
    "partials/_tool_import.html",
    "partials/_tool_chart.html",
]
TEMPLATES = VENDOR.parent.parent / "templates" / "workbench"


@pytest.mark.parametrize("name", MINE)
def test_templates_hold_nothing_inline_the_csp_would_refuse(name):
    text = (TEMPLATES / name).read_text()
    assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", text), "inline script"
    assert not re.search(r"\sstyle\s*=", text), "style attribute"
    assert not re.search(r"<style", text), "style element"
    assert not re.search(r"\son[a-z]+\s*=", text), "event handler attribute"
    assert "javascript:" not in text
