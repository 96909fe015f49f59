"""Each page's scripts and styles, as the page links them, stay within the gzip budget (a
map page 100 KB, others 40 KB), and the tile hosts join the CSP. The vendored files'
hashes and the templates' inline content are checked in test_assets.py."""

from __future__ import annotations

import gzip
import os
import re

import pytest

from api.web.workbench.router import content_security_policy
from core.map_tiles import tile_hosts
from core.settings import load_settings
from tests.api.web.workbench.support import signed_in

ASSET = re.compile(r'<(?:script defer src|link rel="stylesheet" href)="(/workbench/static/[^"]+)"')
KB = 1024


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
