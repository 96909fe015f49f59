"""The Litestar application factory."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from litestar import Litestar, Response, get
from litestar.config.compression import CompressionConfig
from litestar.openapi import OpenAPIConfig
from litestar.openapi.plugins import ScalarRenderPlugin, SwaggerRenderPlugin
from litestar.openapi.spec import Components, SecurityScheme
from litestar.plugins.prometheus import PrometheusController
from litestar.types import ASGIApp
from piccolo.apps.user.tables import BaseUser
from uvicorn.middleware.proxy_headers import ProxyHeadersMiddleware

from api import limits
from api.admin.router import admin_router
from api.admin_ui import ADMIN_UI
from api.citizen.router import citizen_places_router, citizen_router
from api.errors import EXCEPTION_HANDLERS
from api.health import HealthController, calendar_coverage
from api.inspector.router import inspector_router
from api.intake.router import intake_router
from api.media import SignedMediaController
from api.merchant.router import merchant_router
from api.observability import ObservabilityMiddleware
from api.open311.router import OPEN311_PREFIX, open311_router
from api.problems import georeport_error_responses, problem_responses
from api.session import SessionController
from api.types import TYPE_DECODERS, ApiTypesSchema
from api.untrusted import CheckedRequest, InputTextMiddleware
from api.web.signposts import SignpostPageController
from api.web.wechat_verify import wechat_verify_routes
from core import db, periodic
from core.logging import configure_logging
from core.settings import Settings, get_settings

log = logging.getLogger(__name__)


class MetricsController(PrometheusController):
    path = "/metrics"
    include_in_schema = False

    @get()
    async def get(self) -> Response:
        # Gauges read from the database are current when scraped, in whichever process.
        try:
            await calendar_coverage()
        except Exception:  # the metrics still answer while the database is away
            log.warning("metrics: calendar coverage unavailable", exc_info=True)
        return await PrometheusController.get.fn(self)


def create_app(settings: Settings | None = None) -> Litestar:
    settings = settings or get_settings()
    configure_logging(settings)
    BaseUser._pbkdf2_iteration_count = settings.password_iterations

    @asynccontextmanager
    async def lifespan(_: Litestar) -> AsyncIterator[None]:
        await db.open_pool(settings)
        scheduler = periodic.start_default() if settings.worker_in_process else periodic.start([])
        periodic.stop_soon_on_signals()
        try:
            yield
        finally:
            # uvicorn has drained the requests (or given up on them) by now; the ticks in
            # flight get what is left of the stop's budget.
            budget = settings.shutdown_timeout_seconds
            await periodic.stop(scheduler, budget=budget)
            try:
                async with asyncio.timeout(max(periodic.remaining(budget), 0.5)):
                    await limits.drain()  # their counts are written beside the requests
            except TimeoutError:
                log.warning("rate limit counts not written at shutdown: the database is slow")
            await db.close_pool()

    app = Litestar(
        route_handlers=[
            HealthController,
            MetricsController,
            SessionController,
            citizen_router,
            citizen_places_router,
            inspector_router,
            admin_router,
            merchant_router,
            intake_router,
            open311_router,
            *ADMIN_UI,
            SignpostPageController,
            SignedMediaController,
            *wechat_verify_routes(settings),
        ],
        lifespan=[lifespan],
        exception_handlers=EXCEPTION_HANDLERS,
        # Bodies, texts and date-times are checked before Litestar decodes them (api/untrusted,
        # api/types); routes that take files raise the body limit on their own.
        request_class=CheckedRequest,
        middleware=[InputTextMiddleware()],
        request_max_body_size=settings.request_max_bytes,
        type_decoders=TYPE_DECODERS,
        plugins=[ApiTypesSchema()],
        compression_config=CompressionConfig(
            backend="gzip", minimum_size=1024, exclude_opt_key="skip_compression"
        ),
        openapi_config=OpenAPIConfig(
            title="cityops",
            version="0.1.0",
            description="City operation and service platform. Errors are "
            "application/problem+json (RFC 9457) with a stable `code`.",
            path="/schema",
            render_plugins=[ScalarRenderPlugin(), SwaggerRenderPlugin(path="/swagger")],
            components=Components(
                security_schemes={
                    "BearerAuth": SecurityScheme(type="http", scheme="bearer", bearer_format="JWT"),
                    "ApiKey": SecurityScheme(
                        type="apiKey", name="X-Api-Key", security_scheme_in="header"
                    ),
                },
                schemas={},
            ),
        ),
        debug=False,
        # Ours (core.logging: JSON in production, secrets masked) is already on the root
        # logger; Litestar's default config would replace it when the app starts.
        logging_config=None,
    )
    _document_problems(app)
    _document_public_routes(app)
    return app


def _document_problems(app: Litestar) -> None:
    """Litestar declares error responses per handler only; every route can answer with these,
    so add them to each one for the OpenAPI document."""
    statuses = (400, 401, 403, 404, 409, 413, 415, 422, 429, 503)
    common = problem_responses(*statuses, 500)
    # The Open311 router answers in GeoReport's own error format; only an unexpected error
    # reaches the app's handler and is a problem document.
    open311 = {**common, **georeport_error_responses(*statuses)}
    for route in app.routes:
        errors = open311 if route.path.startswith(OPEN311_PREFIX) else common
        for handler in getattr(route, "route_handlers", []):
            handler.responses = {**errors, **(handler.responses or {})}


def _document_public_routes(app: Litestar) -> None:
    """A router's BearerAuth requirement also lands on its public routes (sign-in, the
    category tree, nearby places, signposts), which read a token only if one is sent: say
    so with the empty requirement, OpenAPI's "no authentication also works"."""
    for route in app.routes:
        for handler in getattr(route, "route_handlers", []):
            if handler.opt.get("public") and hasattr(handler, "resolve_security"):
                handler.security = [*(handler.security or []), {}]


def create_asgi_app(settings: Settings | None = None) -> ASGIApp:
    """The app as served: request ids and metrics wrap everything, and the client's address
    is taken from X-Forwarded-For only when the peer is a trusted proxy (here, whatever
    server runs the app: `cityops serve` turns uvicorn's own handling off)."""
    settings = settings or get_settings()
    app: ASGIApp = ObservabilityMiddleware(create_app(settings))
    if settings.trusted_proxy_list:
        app = ProxyHeadersMiddleware(app, trusted_hosts=settings.trusted_proxy_list)
    return app
