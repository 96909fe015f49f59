"""Access tokens (JWT, algorithm pinned) and opaque refresh tokens."""

from __future__ import annotations

import datetime as dt
import secrets
from functools import lru_cache
from pathlib import Path
from typing import Annotated, Literal

import jwt
import msgspec

from accounts.errors import InvalidToken, TokenExpired, WrongAudience
from core import clock
from core.ids import sha256_hex
from core.settings import Settings, get_settings

Audience = Literal["citizen", "staff"]
REQUIRED_CLAIMS = ["exp", "iat", "sub", "aud", "iss", "jti"]


# The subject is the account's public id (core.ids.public_id): c_... or s_...
Subject = Annotated[str, msgspec.Meta(pattern=r"^[cs]_[0-9a-z]{16}$")]


class AccessClaims(msgspec.Struct, frozen=True):
    sub: Subject
    role: Annotated[str, msgspec.Meta(max_length=16)]
    aud: str
    locale: Annotated[str, msgspec.Meta(max_length=8)] = "zh-CN"


@lru_cache(maxsize=4)
def _keys(settings: Settings) -> tuple[object, object]:
    """(signing key, verifying key) for the pinned algorithm."""
    if settings.jwt_algorithm == "HS256":
        return settings.jwt_secret, settings.jwt_secret
    if not settings.jwt_private_key_file or not settings.jwt_public_key_file:
        raise SystemExit(
            "invalid configuration: ES256 needs CITYOPS_JWT_PRIVATE_KEY_FILE and "
            "CITYOPS_JWT_PUBLIC_KEY_FILE"
        )
    return (
        Path(settings.jwt_private_key_file).read_text(),
        Path(settings.jwt_public_key_file).read_text(),
    )


def issue_access_token(
    *, subject: str, role: str, audience: Audience, locale: str = "zh-CN"
) -> tuple[str, int]:
    settings = get_settings()
    issued = clock.now()
    ttl = settings.access_token_ttl_seconds
    claims = {
        "sub": subject,
        "role": role,
        "aud": audience,
        "iss": settings.jwt_issuer,
        "iat": int(issued.timestamp()),
        "exp": int((issued + dt.timedelta(seconds=ttl)).timestamp()),
        "jti": secrets.token_hex(12),
        "locale": locale,
    }
    signing_key, _ = _keys(settings)
    return jwt.encode(claims, signing_key, algorithm=settings.jwt_algorithm), ttl


def decode_access_token(token: str, *, audience: Audience) -> AccessClaims:
    settings = get_settings()
    _, verifying_key = _keys(settings)
    try:
        payload = jwt.decode(
            token,
            verifying_key,
            algorithms=[settings.jwt_algorithm],
            issuer=settings.jwt_issuer,
            # Times are checked below against core.clock, the one clock the app (and its tests)
            # runs on; pyjwt would read the wall clock. Audience is checked below too, to
            # answer "wrong app" distinctly from "forged".
            options={
                "require": REQUIRED_CLAIMS,
                "verify_aud": False,
                "verify_exp": False,
                "verify_iat": False,
                "verify_nbf": False,
            },
        )
    except jwt.PyJWTError:
        raise InvalidToken() from None
    times = [payload["exp"], payload["iat"], payload.get("nbf", 0)]
    if not all(type(value) is int for value in times):
        raise InvalidToken()
    now = int(clock.now().timestamp())
    if payload["exp"] <= now:
        raise TokenExpired()
    if payload["iat"] > now + 60 or payload.get("nbf", 0) > now:
        raise InvalidToken()
    if payload["aud"] != audience:
        raise WrongAudience()
    try:
        return msgspec.convert(payload, AccessClaims)
    except msgspec.ValidationError:
        raise InvalidToken() from None


def new_refresh_token() -> tuple[str, str]:
    """(token for the client, hash for the database)."""
    token = secrets.token_urlsafe(32)
    return token, sha256_hex(token)


def hash_refresh_token(token: str) -> str:
    return sha256_hex(token)
