"""Guards: who may call a router, decided from the access token before the handler runs.
Object-level checks happen in the services, which receive the actor."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from litestar.connection import ASGIConnection
from litestar.handlers.base import BaseRouteHandler

from accounts.errors import AuthRequired, RoleNotAllowed
from accounts.standing import actor_for_token
from accounts.tokens import Audience, decode_access_token
from core.actors import Actor
from core.i18n import negotiate_locale

Guard = Callable[[ASGIConnection, BaseRouteHandler], Awaitable[None]]


def bearer_token(connection: ASGIConnection) -> str | None:
    header = connection.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return None
    return token.strip()


async def _authenticate(connection: ASGIConnection, audience: Audience) -> Actor | None:
    token = bearer_token(connection)
    if token is None:
        return None
    claims = decode_access_token(token, audience=audience)
    # The phone's current language wins over the one saved in the profile.
    header = connection.headers.get("accept-language")
    actor = await actor_for_token(
        kind="citizen" if audience == "citizen" else "staff",
        subject=claims.sub,
        role=claims.role,
        locale=negotiate_locale(header, claims.locale) if header else claims.locale,
    )
    connection.state.actor = actor
    return actor


def audience_guard(audience: Audience, roles: tuple[str, ...]) -> Guard:
    """Every route of a router needs a token of ``audience`` with one of ``roles``, except
    routes marked ``opt={"public": True}``, which still read a token if one is sent."""

    async def guard(connection: ASGIConnection, handler: BaseRouteHandler) -> None:
        public = handler.opt.get("public", False)
        if public and bearer_token(connection) is None:
            connection.state.actor = None
            return
        actor = await _authenticate(connection, audience)
        if actor is None:
            raise AuthRequired()
        allowed = handler.opt.get("roles", roles)
        if actor.role not in allowed:
            raise RoleNotAllowed()

    return guard


async def supervisors_read_only(connection: ASGIConnection, handler: BaseRouteHandler) -> None:
    """Supervisors see what their centre's operators see and give orders, but do not work
    cases or configuration: only reads and the routes marked ``opt={"supervisors": True}``."""
    actor = optional_actor(connection)
    supervisor = actor is not None and actor.role == "supervisor"
    writes = connection.scope["method"] not in ("GET", "HEAD")
    if supervisor and writes and not handler.opt.get("supervisors"):
        raise RoleNotAllowed()


def optional_actor(connection: ASGIConnection) -> Actor | None:
    return getattr(connection.state, "actor", None)


async def provide_actor(request: ASGIConnection) -> Actor:
    actor = getattr(request.state, "actor", None)
    if actor is None:
        raise AuthRequired()
    return actor


async def provide_optional_actor(request: ASGIConnection) -> Actor | None:
    return optional_actor(request)


def client_ip(connection: ASGIConnection) -> str:
    return connection.client.host if connection.client else "unknown"
