"""Base map tiles of the workbench: the hosts they come from (for the Content-Security-Policy)
and what the browser needs to draw them."""

from __future__ import annotations

from typing import TYPE_CHECKING
from urllib.parse import urlsplit

import msgspec

if TYPE_CHECKING:
    from core.settings import Settings


class TileConfig(msgspec.Struct, frozen=True, rename="camel"):
    url: str  # "" = no tiles
    coord_sys: str  # the system every point on the map is sent in
    subdomains: list[str]
    attribution: str


def subdomains(settings: Settings) -> list[str]:
    value = settings.map_tile_subdomains.strip()
    if "," in value:
        return [item.strip() for item in value.split(",") if item.strip()]
    return list(value)  # Leaflet's convention: "abc" is a, b, c


def tile_config(settings: Settings) -> TileConfig:
    return TileConfig(
        url=settings.map_tile_url,
        coord_sys=settings.map_tile_coord_sys,
        subdomains=subdomains(settings),
        attribution=settings.map_tile_attribution,
    )


def tile_hosts(settings: Settings) -> list[str]:
    """The origins (scheme://host[:port]) tiles load from, each ``{s}`` expanded, for img-src.
    ValueError for a URL that is not http(s) with a host."""
    url = settings.map_tile_url.strip()
    if not url:
        return []
    subs = subdomains(settings)
    if "{s}" in url and not subs:
        raise ValueError("the URL has {s} but CITYOPS_MAP_TILE_SUBDOMAINS is empty")
    expanded = [url.replace("{s}", sub) for sub in subs] if "{s}" in url else [url]
    hosts: list[str] = []
    for item in expanded:
        parts = urlsplit(item)
        if parts.scheme not in ("http", "https") or not parts.netloc or "{" in parts.netloc:
            raise ValueError(f"{item!r} is not an http(s) URL with a host")
        origin = f"{parts.scheme}://{parts.netloc}"
        if origin not in hosts:
            hosts.append(origin)
    return hosts
