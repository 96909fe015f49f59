"""/api/auth: refresh and sign-out for every app."""

from __future__ import annotations

from typing import Annotated

import msgspec
from litestar import Controller, post
from litestar.params import JSONBody
from litestar.status_codes import HTTP_204_NO_CONTENT

from accounts import service as accounts
from core.db import transaction

RefreshTokenText = Annotated[str, msgspec.Meta(min_length=1, max_length=200)]


class SessionOut(msgspec.Struct, frozen=True, rename="camel"):
    access_token: str
    refresh_token: str
    token_type: str
    expires_in: int
    role: str
    audience: str

    @classmethod
    def of(cls, session: accounts.Session) -> SessionOut:
        return cls(
            access_token=session.access_token,
            refresh_token=session.refresh_token,
            token_type="Bearer",
            expires_in=session.expires_in,
            role=session.role,
            audience=session.audience,
        )


class RefreshIn(msgspec.Struct, frozen=True, rename="camel"):
    refresh_token: RefreshTokenText


class SessionController(Controller):
    path = "/api/auth"
    tags = ["auth"]
    # No guard: the refresh token in the body is the credential (auth.* 401s).
    opt = {"errors": (401,)}

    @post("/refresh", summary="Exchange a refresh token for new tokens (rotating)")
    async def refresh(self, data: JSONBody[RefreshIn]) -> SessionOut:
        async with transaction():
            session = await accounts.refresh_session(refresh_token=data.refresh_token)
        return SessionOut.of(session)

    @post("/logout", status_code=HTTP_204_NO_CONTENT, summary="Revoke a refresh token's family")
    async def logout(self, data: JSONBody[RefreshIn]) -> None:
        async with transaction():
            await accounts.sign_out(refresh_token=data.refresh_token)
