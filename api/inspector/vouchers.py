"""Staff at a service point (or a partner's counter) scan a citizen's voucher."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

import msgspec
from litestar import Controller, Request, Response, post
from litestar.di import NamedDependency
from litestar.params import JSONBody

from api.idempotent import run_idempotent
from core.actors import Actor
from rewards import service as rewards
from rewards import vouchers
from rewards.tables import Redemption, Reward


class VoucherVerifyIn(msgspec.Struct, frozen=True, rename="camel"):
    code: Annotated[str, msgspec.Meta(min_length=1, max_length=64)]
    # Where it is used (the service point or counter): a second scan is told this.
    place: Annotated[str, msgspec.Meta(min_length=1, max_length=200)]


class VoucherOut(msgspec.Struct, frozen=True, rename="camel"):
    voucher_code: str
    redemption_id: str
    reward_id: str
    reward_name: str
    fulfilment: str
    status: str
    used_at: dt.datetime | None
    used_place: str

    @classmethod
    def of(cls, row: Redemption, reward: Reward) -> VoucherOut:
        return cls(
            voucher_code=vouchers.display(row.voucher_code),
            redemption_id=row.public_id,
            reward_id=reward.public_id,
            reward_name=reward.name,
            fulfilment=reward.fulfilment,
            status=row.status,
            used_at=row.fulfilled_at,
            used_place=row.fulfilled_place,
        )


class VoucherController(Controller):
    path = "/vouchers"
    tags = ["vouchers"]

    @post("/verify", status_code=200, summary="Consume a voucher once; a second scan is a 409")
    async def verify(
        self, request: Request, actor: NamedDependency[Actor], data: JSONBody[VoucherVerifyIn]
    ) -> Response[VoucherOut]:
        async def action() -> VoucherOut:
            row, reward = await rewards.verify_voucher(
                actor=actor, code=data.code, place=data.place
            )
            return VoucherOut.of(row, reward)

        return await run_idempotent(request, actor, action, status_code=200)
