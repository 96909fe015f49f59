"""The Litestar application factory."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from litestar import Litestar, Response, get
from litestar._openapi.plugin import OpenAPIPlugin
from litestar.config.compression import CompressionConfig
from litestar.openapi import OpenAPIConfig
from litestar.openapi.plugins import ScalarRenderPlugin, SwaggerRenderPlugin
from litestar.openapi.spec import Components, OpenAPIMediaType, OpenAPIType, Schema, SecurityScheme
from litestar.plugins.prometheus import PrometheusController
from litestar.types import ASGIApp
from piccolo.apps.user.tables import BaseUser
from uvicorn.middleware.proxy_headers import ProxyHeadersMiddleware

from api import limits
from api.admin.router import admin_router
from api.admin_ui import ADMIN_UI
from api.citizen.router import citizen_places_router, citizen_router
from api.domain_metrics import refresh_domain_metrics
from api.errors import EXCEPTION_HANDLERS
from api.health import HealthController, calendar_coverage
from api.hotline.router import hotline_router
from api.inspector.router import inspector_router
from api.intake.router import intake_router
from api.media import SignedMediaController
from api.merchant.router import merchant_router
from api.observability import ObservabilityMiddleware
from api.open311.router import OPEN311_PREFIX, open311_router
from api.openapi_docs import document_operations
from api.public.router import public_router
from api.session import SessionController
from api.types import TYPE_DECODERS, ApiTypesSchema
from api.untrusted import CheckedRequest, InputTextMiddleware
from api.web.signposts import SignpostPageController
from api.web.wechat_verify import wechat_verify_routes
from api.web.workbench.router import static_router, workbench_router
from api.web.workbench.templating import template_config
from core import db, periodic
from core.logging import configure_logging
from core.settings import Settings, get_settings
from places import index as nearby_index
from qr import scans

log = logging.getLogger(__name__)


class MetricsController(PrometheusController):
    path = "/metrics"
    include_in_schema = False

    @get()
    async def get(self) -> Response:
        # Gauges read from the database are current when scraped, in whichever process.
        try:
            await calendar_coverage()
            await refresh_domain_metrics()
        except Exception:  # the metrics still answer while the database is away
            log.warning("metrics: domain figures unavailable", exc_info=True)
        return await PrometheusController.get.fn(self)


def create_app(settings: Settings | None = None) -> Litestar:
    settings = settings or get_settings()
    configure_logging(settings)
    BaseUser._pbkdf2_iteration_count = settings.password_iterations

    @asynccontextmanager
    async def lifespan(_: Litestar) -> AsyncIterator[None]:
        await db.open_pool(settings)
        nearby_index.start_background()  # /readyz says 503 until it is built
        # Every API process writes its own counts (qr.scans), worker or not.
        api_tasks = [("scan-counts", settings.scan_flush_seconds, scans.flush)]
        scheduler = (
            periodic.start_default(api_tasks)
            if settings.worker_in_process
            else periodic.start(api_tasks)
        )
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
                    await scans.flush()  # a clean stop loses no scan counts
            except TimeoutError:
                log.warning("rate limit or scan counts not written at shutdown: database slow")
            await nearby_index.stop_background()
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
            hotline_router,
            merchant_router,
            intake_router,
            open311_router,
            public_router,
            *ADMIN_UI,
            SignpostPageController,
            SignedMediaController,
            *wechat_verify_routes(settings),
            workbench_router(),
            static_router(),
        ],
        template_config=template_config(),
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
    _document_public_routes(app)
    # After the line above: it reads the routes' security, which Litestar resolves once.
    document_operations(app, open311_prefix=OPEN311_PREFIX)
    _document_georeport_xml(app)
    return app


def _document_georeport_xml(app: Litestar) -> None:
    """Open311 answers in XML as well as JSON, by the path's extension (api/open311/formats):
    declare ``text/xml`` beside each JSON answer of its operations, when the document is
    first built (lazily, as Litestar builds it: not on every app start). Litestar always
    makes its own plugin and its methods are slotted, so the instance takes our subclass."""
    plugin = app.plugins.get(OpenAPIPlugin)
    plugin.__class__ = _GeoReportXmlOpenAPI


class _GeoReportXmlOpenAPI(OpenAPIPlugin):
    __slots__ = ()

    def _build_openapi(self):
        document = super()._build_openapi()
        xml = OpenAPIMediaType(
            schema=Schema(type=OpenAPIType.STRING, description="GeoReport v2 XML")
        )
        for path, item in (document.paths or {}).items():
            if not path.startswith(OPEN311_PREFIX):
                continue
            for operation in (item.get, item.post):
                for response in (operation.responses or {}).values() if operation else ():
                    content = getattr(response, "content", None)
                    if content and "application/json" in content:
                        content["text/xml"] = xml
        return document


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
