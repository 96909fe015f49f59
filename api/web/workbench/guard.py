"""Who may open a workbench page: the cookie session gives the same ``Actor`` the Bearer
guard would build (on ``connection.state.actor``, so ``api.auth.provide_actor`` works), the
account's standing is checked on every request, and the roles are those of /api/admin."""

from __future__ import annotations

from litestar.connection import ASGIConnection
from litestar.handlers.base import BaseRouteHandler

from accounts.errors import AuthRequired, RoleNotAllowed
from accounts.web_session import web_session_actor
from api.auth import supervisors_read_only
from core.i18n import negotiate_locale
from core.settings import get_settings

SESSION_COOKIE = "cityops_wb"
COOKIE_PATH = "/workbench"
WORKBENCH_ROLES = ("operator", "supervisor", "admin")


async def workbench_guard(connection: ASGIConnection, handler: BaseRouteHandler) -> None:
    """Routes marked ``opt={"public": True}`` (sign-in) need no session; others need one
    with a role in ``opt["roles"]`` (default: operators, supervisors, admins). Supervisors
    only read, except routes marked ``opt={"supervisors": True}``, as on /api/admin."""
    if handler.opt.get("public"):
        connection.state.actor = None
        return
    token = connection.cookies.get(SESSION_COOKIE)
    if not token:
        raise AuthRequired()
    locale = negotiate_locale(
        connection.headers.get("accept-language"), get_settings().default_locale
    )
    actor = await web_session_actor(token, locale=locale)
    connection.state.actor = actor
    if actor.role not in handler.opt.get("roles", WORKBENCH_ROLES):
        raise RoleNotAllowed()
    await supervisors_read_only(connection, handler)
