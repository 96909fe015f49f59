"""Who is acting. Services take an explicit actor; they never look at HTTP."""

from __future__ import annotations

from typing import Literal

import msgspec

# A supervisor (督办领导) sits in a command centre like an operator: sees its area, issues
# supervision orders and acknowledges alerts, but does not work the cases.
# A merchant (商户) works at one shop (an org unit of kind "shop") and only redeems the
# vouchers of that shop's rewards, through /api/merchant: it is no city staff.
StaffRole = Literal[
    "inspector", "handler", "operator", "supervisor", "admin", "call_taker", "merchant"
]
STAFF_ROLES: tuple[str, ...] = (
    "inspector",
    "handler",
    "operator",
    "supervisor",
    "admin",
    "call_taker",
    "merchant",
)
CITY_STAFF_ROLES: tuple[str, ...] = tuple(r for r in STAFF_ROLES if r != "merchant")


class Actor(msgspec.Struct, frozen=True, kw_only=True):
    kind: Literal["citizen", "staff", "machine", "system"]
    id: int
    role: str
    locale: str = "zh-CN"

    @property
    def scope(self) -> str:
        return f"{self.kind}:{self.id}"

    @property
    def is_citizen(self) -> bool:
        return self.kind == "citizen"

    def has_role(self, *roles: str) -> bool:
        return self.kind == "staff" and self.role in roles


SYSTEM = Actor(kind="system", id=0, role="system")
