"""``/q/{code}``: the page a phone camera opens on scanning a signpost. Server-rendered
HTML, no script at all, small (a few KB), readable at 360 px; zh-CN, or en by
Accept-Language. Errors are pages too, never JSON: a person with a phone reads them."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import quote

from jinja2 import Environment, FileSystemLoader, select_autoescape
from litestar import Controller, Request, Response, get, post
from litestar.params import FromPath

from api.citizen.place_views import nearby_items
from api.limits import limit_scans
from core.db import transaction
from core.errors import DomainError, RateLimited
from core.i18n import negotiate_locale
from core.settings import get_settings
from notify import wechat_links
from qr import service as signposts
from qr.errors import CounterfeitCode, MalformedCode, SignpostNotFound

_env = Environment(
    loader=FileSystemLoader(Path(__file__).parent / "templates"),
    autoescape=select_autoescape(["html"]),
    trim_blocks=True,
    lstrip_blocks=True,
)
KIND_NAMES = {
    "toilet": ("最近的公厕", "Nearest toilet"),
    "parking": ("最近的停车场", "Nearest parking"),
    "park": ("最近的公园", "Nearest park"),
}
HTML = "text/html"  # Litestar adds "; charset=utf-8"


def _page(template: str, locale: str, status: int = 200, **context) -> Response[str]:
    return _respond(_render(template, locale, **context), locale, status)


def _render(template: str, locale: str, **context) -> str:
    return _env.get_template(template).render(en=locale == "en", lang=locale, **context)


def _respond(html: str, locale: str, status: int = 200) -> Response[str]:
    return Response(
        html,
        status_code=status,
        media_type=HTML,
        headers={"Content-Language": locale, "Cache-Control": "no-store"},
    )


def _error_page(exc: DomainError, locale: str, code: str) -> Response[str]:
    if isinstance(exc, CounterfeitCode):
        return _page("counterfeit.html", locale, 400, code=code)
    if isinstance(exc, SignpostNotFound | MalformedCode):
        return _page("not_found.html", locale, 404, code=code)
    if isinstance(exc, RateLimited):
        return _page(
            "message.html", locale, 429, title=exc.title.render(locale), text=exc.detail(locale)
        )
    return _page(
        "message.html", locale, exc.status, title=exc.title.render(locale), text=exc.detail(locale)
    )


async def _report_link(sign: signposts.SignpostInfo) -> str:
    """A WeChat URL Link to the mini-program's report page (it opens from any browser or
    camera app, where the app's own ``cityops://`` link goes nowhere), or the app link when
    the URL Link is turned off or WeChat cannot give one now."""
    settings = get_settings()
    values = {
        "code": quote(sign.code),
        "lat": f"{sign.lat:.6f}",
        "lon": f"{sign.lon:.6f}",
        "grid": quote(sign.grid_code),
    }
    if settings.wechat_report_page:
        link = await wechat_links.url_link(
            key=f"report:{sign.code}",
            page=settings.wechat_report_page,
            query="signpost={code}&lat={lat}&lon={lon}&grid={grid}".format(**values),
            settings=settings,
        )
        if link:
            return link
    return settings.report_app_link.format(**values)


_rendered: dict[tuple, str] = {}
_RENDERED_MAX = 20_000


def _render_scan(view: signposts.ScanView, locale: str, report_link: str) -> str:
    nearest = []
    for kind, hits in view.nearby.items():
        zh, en = KIND_NAMES.get(kind, (kind, kind))
        nearest.append(
            {
                "kind": kind,
                "title": en if locale == "en" else zh,
                "place": nearby_items(hits, "gcj02")[0] if len(hits) else None,
            }
        )
    return _render(
        "signpost.html",
        locale,
        sign=view.signpost,
        nearest=nearest,
        report_link=report_link,
        app_name=get_settings().report_app_name,
    )


class SignpostPageController(Controller):
    path = "/q"
    include_in_schema = False

    @get("/{code:str}")
    async def page(self, request: Request, code: FromPath[str]) -> Response[str]:
        locale = negotiate_locale(
            request.headers.get("accept-language"), get_settings().default_locale
        )
        try:
            limit_scans(request)
            view = await signposts.scan(code=code[:32], channel="web")
        except DomainError as exc:
            return _error_page(exc, locale, code[:32])
        sign = view.signpost
        report_link = await _report_link(sign)
        # Rendered once per sign, index state, city minute, language and link: the people
        # scanning one crossing within a minute get the same page.
        key = (view.key, locale, report_link)
        html = _rendered.get(key)
        if html is None:
            html = _render_scan(view, locale, report_link)
            if len(_rendered) >= _RENDERED_MAX:
                _rendered.clear()
            _rendered[key] = html
        return _respond(html, locale)

    @get("/{code:str}/damaged")
    async def damaged_form(self, request: Request, code: FromPath[str]) -> Response[str]:
        locale = negotiate_locale(
            request.headers.get("accept-language"), get_settings().default_locale
        )
        try:
            sign = await signposts.get_signpost(code=code[:32])
        except DomainError as exc:
            return _error_page(exc, locale, code[:32])
        return _page("damaged.html", locale, sign=sign, done=False)

    @post("/{code:str}/damaged", status_code=200)
    async def damaged(self, request: Request, code: FromPath[str]) -> Response[str]:
        locale = negotiate_locale(
            request.headers.get("accept-language"), get_settings().default_locale
        )
        form = await request.form()
        note = str(form.get("note") or "")[:500]
        try:
            limit_scans(request)
            async with transaction():
                await signposts.report_damage(code=code[:32], note=note, channel="web")
            sign = await signposts.get_signpost(code=code[:32])
        except DomainError as exc:
            return _error_page(exc, locale, code[:32])
        return _page("damaged.html", locale, sign=sign, done=True)
