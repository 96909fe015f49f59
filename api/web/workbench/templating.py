"""The workbench's Jinja environment and the context every page shares (``chrome``).

One Environment over api/web/templates with StrictUndefined, so a missing value is an error
in the tests rather than an empty cell on a screen; the /q pages keep their own."""

from __future__ import annotations

import datetime as dt
import hashlib
from functools import cache
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined
from litestar import Request
from litestar.plugins.jinja import JinjaTemplateEngine
from litestar.template.config import TemplateConfig

from accounts import service as accounts
from api.web.workbench.texts import TEXTS
from cases.wording import state_label
from core import clock
from core.actors import Actor

WEB = Path(__file__).resolve().parent.parent
STATIC = WEB / "static"
STATIC_PREFIX = "/workbench/static"


class NavItem:
    __slots__ = ("key", "href", "roles")

    def __init__(self, key: str, href: str, roles: tuple[str, ...] = ()) -> None:
        self.key, self.href, self.roles = key, href, roles


# The pages' order in the navigation; ``roles`` empty = every workbench role. Helpers adding a
# page add its entry here (the route itself goes in pages.py).
NAV: list[NavItem] = [
    NavItem("queue", "/workbench/queue"),
    NavItem("alerts", "/workbench/alerts"),
    NavItem("map", "/workbench/map"),
    NavItem("places", "/workbench/places"),
    NavItem("signposts", "/workbench/signposts"),
    NavItem("stats", "/workbench/stats"),
]


@cache
def asset_version(path: str) -> str:
    """Content hash for ``?v=``: the static router lets browsers keep files for a year."""
    return hashlib.sha256((STATIC / path).read_bytes()).hexdigest()[:12]


def asset(path: str) -> str:
    return f"{STATIC_PREFIX}/{path}?v={asset_version(path)}"


def _t(ctx: Any, key: str, **params: object) -> str:
    return TEXTS[key].render(ctx["lang"], **params)


def _t_or(ctx: Any, key: str, fallback: str) -> str:
    """A text for a value that may have none (an event or photo role added later)."""
    msg = TEXTS.get(key)
    return msg.render(ctx["lang"]) if msg else fallback


def local_time(value: dt.datetime | None) -> str:
    """A moment in the city's zone, as people there read it (the <time> has the ISO form)."""
    return "" if value is None else value.astimezone(clock.city_zone()).strftime("%Y-%m-%d %H:%M")


def environment() -> Environment:
    return Environment(
        loader=FileSystemLoader(WEB / "templates"),
        autoescape=True,
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )


def template_config() -> TemplateConfig:
    return TemplateConfig(instance=engine())


@cache
def engine() -> JinjaTemplateEngine:
    """One per process: the app's template config and the live stream render through it."""
    env = environment()
    env.globals["asset"] = asset
    env.globals["local_time"] = local_time
    engine = JinjaTemplateEngine.from_environment(env)
    engine.register_template_callable("t", _t)
    engine.register_template_callable("t_or", _t_or)
    engine.register_template_callable(
        "state_name", lambda ctx, state: state_label(state, ctx["lang"])
    )
    return engine


def page_headers(locale: str) -> dict[str, str]:
    """Full pages and fragments of one URL differ by HX-Request; nothing is cached."""
    return {"Vary": "HX-Request", "Cache-Control": "no-store", "Content-Language": locale}


def is_partial(request: Request) -> bool:
    """An htmx request for a region (not a boosted navigation or a history restore)."""
    headers = request.headers
    return headers.get("hx-request") == "true" and headers.get("hx-boosted") != "true"


async def chrome(request: Request, actor: Actor | None, *, active: str = "") -> dict[str, Any]:
    """What base.html needs: language, navigation, who is signed in."""
    user = None
    if actor is not None:
        staff = await accounts.staff_profile(actor=actor)
        user = {"name": staff.display_name or staff.user.username, "role": actor.role}
    nav = [
        {"key": item.key, "href": item.href, "current": item.key == active}
        for item in NAV
        if actor is not None and (not item.roles or actor.role in item.roles)
    ]
    return {"lang": actor.locale if actor else request_locale(request), "user": user, "nav": nav}


def request_locale(request: Request) -> str:
    from core.i18n import negotiate_locale
    from core.settings import get_settings

    return negotiate_locale(request.headers.get("accept-language"), get_settings().default_locale)
