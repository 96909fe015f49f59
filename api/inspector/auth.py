from __future__ import annotations

from typing import Annotated

import msgspec
from litestar import Controller, Request, post
from litestar.params import JSONBody

from accounts import service as accounts
from api.auth import client_ip
from api.session import SessionOut


class StaffLoginIn(msgspec.Struct, frozen=True):
    username: Annotated[str, msgspec.Meta(min_length=1, max_length=100)]
    password: Annotated[str, msgspec.Meta(min_length=1, max_length=256)]


class StaffAuthController(Controller):
    path = "/auth"
    tags = ["staff auth"]
    # Attempts are counted per address and username (429 in the document).
    opt = {"public": True, "rate_limited": True}

    @post("/login", summary="Staff sign-in with username and password")
    async def login(self, request: Request, data: JSONBody[StaffLoginIn]) -> SessionOut:
        session = await accounts.sign_in_staff(
            username=data.username, password=data.password, ip=client_ip(request)
        )
        return SessionOut.of(session)
