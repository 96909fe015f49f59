"""The /workbench router: cookie-session guard, CSRF (this router only: /api, /q and
piccolo-admin keep theirs), a strict Content-Security-Policy, and HTML error pages."""

from __future__ import annotations

import hashlib
from urllib.parse import quote

from litestar import Request, Response, Router
from litestar.config.csrf import CSRFConfig
from litestar.datastructures import CacheControlHeader, ResponseHeader
from litestar.di import Provide
from litestar.exceptions import HTTPException, NotFoundException
from litestar.middleware.base import DefineMiddleware
from litestar.middleware.csrf import CSRFMiddleware
from litestar.response import Redirect, Template
from litestar.static_files import create_static_files_router

from accounts.errors import AuthRequired
from accounts.web_session import cookie_secure
from api.auth import provide_actor
from api.web.workbench.guard import COOKIE_PATH, workbench_guard
from api.web.workbench.pages import PAGES
from api.web.workbench.templating import (
    STATIC,
    STATIC_PREFIX,
    page_headers,
    request_locale,
)
from api.web.workbench.texts import text
from core.errors import DomainError
from core.map_tiles import tile_hosts
from core.settings import get_settings

CSRF_COOKIE = "cityops_csrf"


def content_security_policy() -> str:
    """Nothing inline anywhere: no nonces needed. Extra image origins (map tiles, S3 media)
    join img-src through ``IMG_SOURCES``."""
    img = " ".join(["'self'", "data:", *IMG_SOURCES, *tile_hosts(get_settings())])
    return (
        "default-src 'none'; script-src 'self'; style-src 'self'; "
        f"img-src {img}; connect-src 'self'; font-src 'self'; form-action 'self'; "
        "frame-ancestors 'none'; base-uri 'none'"
    )


# Origins the pages load images from besides their own (tile hosts, the S3 origin): the map
# page's settings add theirs here before the app is built.
IMG_SOURCES: list[str] = []


def _csrf_secret() -> str:
    # Derived, so no new secret to configure; distinct from the JWT key's use.
    return hashlib.sha256(f"workbench-csrf:{get_settings().jwt_secret}".encode()).hexdigest()


def _htmx(request: Request) -> bool:
    return request.headers.get("hx-request") == "true"


def _error_page(request: Request, status: int, message: str) -> Response:
    lang = request_locale(request)
    actor = getattr(request.state, "actor", None)
    name = "workbench/partials/_error.html" if _htmx(request) else "workbench/error.html"
    return Template(
        template_name=name,
        context={
            "lang": lang,
            "user": None,
            "nav": [],
            "message": message,
            "status": status,
            "signed_in": actor is not None,
        },
        status_code=status,
        headers=page_headers(lang),
    )


def _sign_in_redirect(request: Request) -> Response:
    target = f"{COOKIE_PATH}/signin?next={quote(request.url.path)}"
    if _htmx(request):  # htmx would swap a redirect's page into a region: send the browser
        return Response(b"", status_code=204, headers={"HX-Redirect": target})
    return Redirect(target, status_code=303)


def domain_error_page(request: Request, exc: DomainError) -> Response:
    if isinstance(exc, AuthRequired) or exc.code in ("auth.account_disabled", "auth.role_changed"):
        return _sign_in_redirect(request)
    return _error_page(request, exc.status, exc.detail(request_locale(request)))


def http_error_page(request: Request, exc: HTTPException) -> Response:
    lang = request_locale(request)
    if exc.status_code == 404:
        message = text(lang, "error.not_found")
    elif exc.status_code == 403:  # CSRF: a stale token after signing in again elsewhere
        message = text(lang, "error.reload")
    else:
        message = text(lang, "error.title")
    return _error_page(request, exc.status_code, message)


def workbench_router() -> Router:
    secure = cookie_secure()
    csrf = CSRFConfig(
        secret=_csrf_secret(),
        cookie_name=CSRF_COOKIE,
        cookie_path=COOKIE_PATH,
        cookie_httponly=True,
        cookie_samesite="strict",
        cookie_secure=secure,
        header_name="x-csrftoken",
    )
    return Router(
        path=COOKIE_PATH,
        guards=[workbench_guard],
        dependencies={"actor": Provide(provide_actor)},
        middleware=[DefineMiddleware(CSRFMiddleware, config=csrf)],
        response_headers=[
            ResponseHeader(name="Content-Security-Policy", value=content_security_policy()),
            ResponseHeader(name="X-Content-Type-Options", value="nosniff"),
            ResponseHeader(name="Referrer-Policy", value="same-origin"),
        ],
        exception_handlers={
            DomainError: domain_error_page,
            NotFoundException: http_error_page,
            HTTPException: http_error_page,
        },
        route_handlers=PAGES,
        include_in_schema=False,
    )


def static_router() -> Router:
    """Vendored and own assets, public (the sign-in page needs them), cached for a year:
    our URLs carry ``?v=<content hash>``, the vendored ones a version in the path."""
    return create_static_files_router(
        path=STATIC_PREFIX,
        directories=[STATIC],
        cache_control=CacheControlHeader(max_age=31536000, public=True),
        include_in_schema=False,
        opt={"public": True},
    )
