"""The rewards shop for citizens: the catalogue, redeeming, my redemptions and vouchers."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

import msgspec
from litestar import Controller, Request, Response, get, post
from litestar.di import NamedDependency
from litestar.params import FromPath, FromQuery

from api.idempotent import run_idempotent
from api.params import PageLimit
from core.actors import Actor
from rewards import service as rewards
from rewards import vouchers
from rewards.tables import Redemption, Reward

RewardId = Annotated[str, msgspec.Meta(min_length=3, max_length=24, pattern=r"^rw_[0-9a-z]+$")]
RedemptionId = Annotated[str, msgspec.Meta(min_length=3, max_length=24, pattern=r"^rd_[0-9a-z]+$")]


class RewardOut(msgspec.Struct, frozen=True, rename="camel"):
    id: str
    name: str
    description: str
    image_url: str
    cost: int
    stock: int
    per_citizen_limit: int
    period_limit: int  # per citizen per limitPeriod; 0: none
    limit_period: str  # "", day, month (city time)
    voucher_days: int  # a voucher lapses this long after issue; 0: at validUntil
    valid_from: dt.datetime | None
    valid_until: dt.datetime | None
    fulfilment: str
    pickup_place: str
    partner: str
    available: bool

    @classmethod
    def of(cls, reward: Reward) -> RewardOut:
        return cls(
            id=reward.public_id,
            name=reward.name,
            description=reward.description,
            image_url=reward.image_url,
            cost=reward.cost,
            stock=reward.stock,
            per_citizen_limit=reward.per_citizen_limit,
            period_limit=reward.period_limit,
            limit_period=reward.limit_period,
            voucher_days=reward.voucher_days,
            valid_from=reward.valid_from,
            valid_until=reward.valid_until,
            fulfilment=reward.fulfilment,
            pickup_place=reward.pickup_place,
            partner=reward.partner,
            available=reward.active and rewards.available(reward),
        )


class RedemptionOut(msgspec.Struct, frozen=True, rename="camel"):
    id: str
    reward_id: str
    reward_name: str
    fulfilment: str
    pickup_place: str
    partner: str
    cost: int
    status: str  # issued, fulfilled, cancelled
    voucher_code: str
    qr_url: str
    # The QR as a data URI on the redeem response and the single redemption: the app can show
    # it offline at the counter.
    qr_image: str | None
    created_at: dt.datetime
    expires_at: dt.datetime | None
    fulfilled_at: dt.datetime | None
    fulfilled_place: str
    cancelled_at: dt.datetime | None

    @classmethod
    def of(
        cls, row: Redemption, reward: Reward, *, with_qr: bool = False, qr_image: str | None = None
    ) -> RedemptionOut:
        return cls(
            id=row.public_id,
            reward_id=reward.public_id,
            reward_name=reward.name,
            fulfilment=reward.fulfilment,
            pickup_place=reward.pickup_place,
            partner=reward.partner,
            cost=row.cost,
            status=row.status,
            voucher_code=vouchers.display(row.voucher_code),
            qr_url=f"/api/citizen/redemptions/{row.public_id}/qr.png",
            qr_image=qr_image or (vouchers.qr_data_uri(row.voucher_code) if with_qr else None),
            created_at=row.created_at,
            expires_at=row.expires_at,
            fulfilled_at=row.fulfilled_at,
            fulfilled_place=row.fulfilled_place,
            cancelled_at=row.cancelled_at,
        )


class RedemptionPageOut(msgspec.Struct, frozen=True, rename="camel"):
    items: list[RedemptionOut]
    next_cursor: str | None


class CitizenRewardController(Controller):
    path = "/rewards"
    tags = ["citizen rewards"]

    @get("/", summary="The rewards shop")
    async def catalogue(self, actor: NamedDependency[Actor]) -> list[RewardOut]:
        return [RewardOut.of(reward) for reward in await rewards.list_rewards()]

    @get("/{reward_id:str}", summary="One reward")
    async def one(self, actor: NamedDependency[Actor], reward_id: FromPath[RewardId]) -> RewardOut:
        return RewardOut.of(await rewards.get_reward(reward_id=reward_id))

    @post("/{reward_id:str}/redeem", summary="Exchange points for a reward (Idempotency-Key)")
    async def redeem(
        self, request: Request, actor: NamedDependency[Actor], reward_id: FromPath[RewardId]
    ) -> Response[RedemptionOut]:
        code = vouchers.new_code()
        qr_image = vouchers.qr_data_uri(code)  # before the transaction: no locks held

        async def action() -> RedemptionOut:
            row, reward = await rewards.redeem(actor=actor, reward_id=reward_id, voucher_code=code)
            return RedemptionOut.of(row, reward, qr_image=qr_image)

        return await run_idempotent(request, actor, action)


class CitizenRedemptionController(Controller):
    path = "/redemptions"
    tags = ["citizen rewards"]

    @get("/", summary="My redemptions, newest first, keyset pages")
    async def mine(
        self,
        actor: NamedDependency[Actor],
        cursor: FromQuery[str | None] = None,
        limit: PageLimit = 20,
    ) -> RedemptionPageOut:
        page = await rewards.list_redemptions(citizen_id=actor.id, cursor=cursor, limit=limit)
        return RedemptionPageOut(
            items=[RedemptionOut.of(r, w) for r, w in page.items], next_cursor=page.next_cursor
        )

    @get("/{redemption_id:str}", summary="One of my redemptions, with its voucher QR")
    async def one(
        self, actor: NamedDependency[Actor], redemption_id: FromPath[RedemptionId]
    ) -> RedemptionOut:
        row, reward = await rewards.my_redemption(actor=actor, redemption_id=redemption_id)
        return RedemptionOut.of(row, reward, with_qr=True)

    @get(
        "/{redemption_id:str}/qr.png", summary="The voucher's QR code (PNG)", media_type="image/png"
    )
    async def qr(
        self, actor: NamedDependency[Actor], redemption_id: FromPath[RedemptionId]
    ) -> Response[bytes]:
        row, _ = await rewards.my_redemption(actor=actor, redemption_id=redemption_id)
        return Response(
            content=vouchers.qr_png(row.voucher_code),
            media_type="image/png",
            headers={"Cache-Control": "private, no-store"},
        )

    @post(
        "/{redemption_id:str}/cancel",
        status_code=200,
        summary="Cancel before use: points and stock go back",
    )
    async def cancel(
        self,
        request: Request,
        actor: NamedDependency[Actor],
        redemption_id: FromPath[RedemptionId],
    ) -> Response[RedemptionOut]:
        async def action() -> RedemptionOut:
            row, reward = await rewards.cancel(actor=actor, redemption_id=redemption_id)
            return RedemptionOut.of(row, reward)

        return await run_idempotent(request, actor, action, status_code=200)
