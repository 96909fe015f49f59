from __future__ import annotations

from typing import Annotated

import msgspec
from litestar import Controller, Request, get, post
from litestar.di import NamedDependency
from litestar.params import JSONBody
from litestar.status_codes import HTTP_204_NO_CONTENT

from accounts import service as accounts
from accounts import staff_admin
from accounts.tables import Staff
from api.auth import client_ip
from core.actors import Actor

Password = Annotated[str, msgspec.Meta(min_length=1, max_length=128)]


class PasswordChangeIn(msgspec.Struct, frozen=True, rename="camel", forbid_unknown_fields=True):
    current_password: Password
    new_password: Password


class StaffMe(msgspec.Struct, frozen=True, rename="camel"):
    id: int
    username: str
    display_name: str
    role: str
    org_unit_id: int | None
    phone: str | None  # the owner's own view: unmasked
    locale: str

    @classmethod
    def of(cls, staff: Staff) -> StaffMe:
        return cls(
            id=staff.id,
            username=staff.user.username,
            display_name=staff.display_name,
            role=staff.role,
            org_unit_id=staff.org_unit_id,
            phone=staff.phone,
            locale=staff.locale,
        )


class StaffMeController(Controller):
    path = "/me"
    tags = ["staff profile"]

    @get("/", summary="My staff account")
    async def me(self, actor: NamedDependency[Actor]) -> StaffMe:
        return StaffMe.of(await accounts.staff_profile(actor=actor))

    @post(
        "/password",
        status_code=HTTP_204_NO_CONTENT,
        summary="Change my password (ends my other sessions; wrong guesses count to lockout)",
    )
    async def change_password(
        self, request: Request, actor: NamedDependency[Actor], data: JSONBody[PasswordChangeIn]
    ) -> None:
        await staff_admin.change_own_password(
            actor=actor,
            current=data.current_password,
            new=data.new_password,
            ip=client_ip(request),
        )
