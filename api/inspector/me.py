from __future__ import annotations

import msgspec
from litestar import Controller, get
from litestar.di import NamedDependency

from accounts import service as accounts
from accounts.tables import Staff
from core.actors import Actor


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
