"""A merchant's shop: its rewards, the redemptions of them, and redeeming a voucher at the
counter (rewards.merchants)."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal

import msgspec
from litestar import Controller, Request, Response, get, post
from litestar.di import NamedDependency
from litestar.params import FromQuery, JSONBody

from api.admin.rewards import Status
from api.citizen.rewards import RewardOut
from api.idempotent import run_idempotent
from api.inspector.vouchers import VoucherOut
from api.params import PageLimit
from core.actors import Actor
from org.units import UnitInfo
from rewards import merchants
from rewards.tables import Redemption, Reward


class ShopOut(msgspec.Struct, frozen=True, rename="camel"):
    unit_id: int
    code: str
    name: str

    @classmethod
    def of(cls, shop: UnitInfo, actor: Actor) -> ShopOut:
        return cls(unit_id=shop.id, code=shop.code, name=shop.name(actor.locale))


class ShopRewardsOut(msgspec.Struct, frozen=True, rename="camel"):
    shop: ShopOut
    items: list[RewardOut]


class ShopRedemptionOut(msgspec.Struct, frozen=True, rename="camel"):
    id: str
    reward_id: str
    reward_name: str
    status: Literal["issued", "fulfilled", "cancelled"]
    # Never the whole code: the list would let the counter use vouchers not shown to it.
    voucher_tail: str
    created_at: dt.datetime
    expires_at: dt.datetime | None
    used_at: dt.datetime | None
    used_place: str
    used_by: int | None  # the staff id of who redeemed it

    @classmethod
    def of(cls, row: Redemption, reward: Reward) -> ShopRedemptionOut:
        return cls(
            id=row.public_id,
            reward_id=reward.public_id,
            reward_name=reward.name,
            status=row.status,  # type: ignore[arg-type]
            voucher_tail=row.voucher_code[-4:],
            created_at=row.created_at,
            expires_at=row.expires_at,
            used_at=row.fulfilled_at,
            used_place=row.fulfilled_place,
            used_by=row.fulfilled_by,
        )


class ShopRedemptionPage(msgspec.Struct, frozen=True, rename="camel"):
    shop: ShopOut
    items: list[ShopRedemptionOut]
    next_cursor: str | None


class RedeemIn(msgspec.Struct, frozen=True, rename="camel", forbid_unknown_fields=True):
    code: Annotated[str, msgspec.Meta(min_length=1, max_length=64)]


class MerchantShopController(Controller):
    path = "/"
    tags = ["merchant"]

    @get("/rewards", summary="The shop's rewards, withdrawn ones included")
    async def rewards(self, actor: NamedDependency[Actor]) -> ShopRewardsOut:
        shop, rows = await merchants.shop_rewards(actor=actor)
        return ShopRewardsOut(shop=ShopOut.of(shop, actor), items=[RewardOut.of(r) for r in rows])

    @get("/redemptions", summary="Redemptions of the shop's rewards, newest first, keyset pages")
    async def redemptions(
        self,
        actor: NamedDependency[Actor],
        status: FromQuery[Status | None] = None,
        cursor: FromQuery[str | None] = None,
        limit: PageLimit = 50,
    ) -> ShopRedemptionPage:
        shop, page = await merchants.shop_redemptions(
            actor=actor, status=status, cursor=cursor, limit=limit
        )
        return ShopRedemptionPage(
            shop=ShopOut.of(shop, actor),
            items=[ShopRedemptionOut.of(row, reward) for row, reward in page.items],
            next_cursor=page.next_cursor,
        )

    @post(
        "/vouchers/redeem",
        status_code=200,
        summary="Redeem a voucher of the shop's rewards at the shop; once only (409 after)",
    )
    async def redeem(
        self, request: Request, actor: NamedDependency[Actor], data: JSONBody[RedeemIn]
    ) -> Response[VoucherOut]:
        async def action() -> VoucherOut:
            return VoucherOut.of(*await merchants.redeem_at_shop(actor=actor, code=data.code))

        return await run_idempotent(request, actor, action, status_code=200)
