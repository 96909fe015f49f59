"""Cookie sessions of the staff web pages (the workbench at /workbench).

A browser holds an opaque random token in an HttpOnly cookie; the database keeps only its
hash, in the refresh-token table (audience ``web``), so sign-out, disabling an account and
expiry work as they do for the apps' refresh tokens. A web token cannot be exchanged for a
Bearer token (``refresh_session`` refuses the audience): the cookie only opens web pages."""

from __future__ import annotations

import datetime as dt
import secrets

from accounts import errors
from accounts.service import authenticate_staff
from accounts.standing import check_standing
from accounts.tables import RefreshToken
from accounts.tokens import hash_refresh_token, new_refresh_token
from core import clock
from core.actors import Actor
from core.db import transaction
from core.settings import get_settings

WEB_AUDIENCE = "web"
# A command-centre shift is long; a browser left signed in for longer signs in again.
WEB_SESSION_HOURS = 12


async def start_web_session(
    *, username: str, password: str, ip: str, roles: tuple[str, ...]
) -> tuple[str, Actor]:
    """Through the one staff sign-in (lockout, disabled accounts, roles, audit)."""
    staff = await authenticate_staff(username=username, password=password, ip=ip, roles=roles)
    token, token_hash = new_refresh_token()
    now = clock.now()
    async with transaction():
        await RefreshToken.insert(
            RefreshToken(
                token_hash=token_hash,
                family=secrets.token_hex(16),
                audience=WEB_AUDIENCE,
                subject_id=staff.id,
                role=staff.role,
                created_at=now,
                expires_at=now + dt.timedelta(hours=WEB_SESSION_HOURS),
            )
        )
    return token, Actor(kind="staff", id=staff.id, role=staff.role, locale=staff.locale)


async def web_session_actor(token: str, *, locale: str) -> Actor:
    """The staff member a cookie speaks for, if the session is live and the account may
    still act in its role; else AuthRequired (or the standing's own refusal)."""
    if not token or len(token) > 200:
        raise errors.AuthRequired()
    row = (
        await RefreshToken.select(
            RefreshToken.subject_id, RefreshToken.role, RefreshToken.expires_at
        )
        .where(
            (RefreshToken.token_hash == hash_refresh_token(token))
            & (RefreshToken.audience == WEB_AUDIENCE)
            & RefreshToken.revoked_at.is_null()
        )
        .first()
    )
    if row is None or clock.as_utc(row["expires_at"]) <= clock.now():
        raise errors.AuthRequired()
    actor = Actor(kind="staff", id=row["subject_id"], role=row["role"], locale=locale)
    await check_standing(actor)
    return actor


async def end_web_session(token: str) -> None:
    async with transaction():
        await RefreshToken.update({RefreshToken.revoked_at: clock.now()}).where(
            (RefreshToken.token_hash == hash_refresh_token(token))
            & (RefreshToken.audience == WEB_AUDIENCE)
            & RefreshToken.revoked_at.is_null()
        )


def cookie_secure() -> bool:
    """An http intranet would drop a Secure cookie and loop on the sign-in page."""
    return get_settings().public_base_url.startswith("https://")
