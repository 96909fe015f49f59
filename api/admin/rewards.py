"""Admin: the rewards catalogue, redemptions (list and CSV export), points adjustments."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal

import msgspec
from litestar import Controller, Request, Response, delete, get, patch, post
from litestar.di import NamedDependency
from litestar.params import FromPath, FromQuery, JSONBody, Parameter, QueryParameter

from accounts import service as accounts
from api.citizen.rewards import RewardId, RewardOut
from api.csv_export import csv_bytes, csv_response
from api.idempotent import run_idempotent
from api.params import Int32, PageLimit
from api.types import UtcDateTime
from core.actors import Actor
from core.db import transaction
from core.replica import replica_reads
from points import service as points
from points.errors import AccountUnknown
from rewards import service as rewards
from rewards.tables import Redemption, Reward

ADMIN_ONLY = {"roles": ("admin",)}
Fulfilment = Literal["voucher", "pickup", "coupon", "donation"]
LimitPeriod = Literal["", "day", "month"]
Days = Annotated[int, msgspec.Meta(ge=0, le=3650)]
Status = Literal["issued", "fulfilled", "cancelled"]
Name = Annotated[str, msgspec.Meta(min_length=1, max_length=100)]
Text = Annotated[str, msgspec.Meta(max_length=2000)]
Url = Annotated[str, msgspec.Meta(max_length=500)]
Place = Annotated[str, msgspec.Meta(max_length=200)]
Cost = Annotated[int, msgspec.Meta(ge=1, le=1_000_000)]
Count = Annotated[int, msgspec.Meta(ge=0, le=10_000_000)]


class RewardIn(msgspec.Struct, frozen=True, rename="camel", forbid_unknown_fields=True):
    name: Name
    cost: Cost
    stock: Count
    fulfilment: Fulfilment
    description: Text = ""
    image_url: Url = ""
    per_citizen_limit: Count = 0
    period_limit: Count = 0  # per citizen per limitPeriod
    limit_period: LimitPeriod = ""
    voucher_days: Days = 0  # a voucher lapses this long after issue; 0: at validUntil
    valid_from: UtcDateTime | None = None
    valid_until: UtcDateTime | None = None
    pickup_place: Place = ""
    partner: Annotated[str, msgspec.Meta(max_length=100)] = ""
    # The shop (org unit of kind shop) whose merchants redeem the vouchers; null: city staff.
    shop_unit_id: Int32 | None = None


class RewardPatch(msgspec.Struct, frozen=True, rename="camel", forbid_unknown_fields=True):
    name: Name | None = None
    cost: Cost | None = None
    stock: Count | None = None
    fulfilment: Fulfilment | None = None
    description: Text | None = None
    image_url: Url | None = None
    per_citizen_limit: Count | None = None
    period_limit: Count | None = None
    limit_period: LimitPeriod | None = None
    voucher_days: Days | None = None
    valid_from: UtcDateTime | None = None
    valid_until: UtcDateTime | None = None
    pickup_place: Place | None = None
    partner: Annotated[str, msgspec.Meta(max_length=100)] | None = None
    active: bool | None = None
    shop_unit_id: Int32 | None = None
    clear_shop: bool = False  # back to city staff only


class AdminRewardOut(msgspec.Struct, frozen=True, rename="camel"):
    reward: RewardOut
    active: bool
    shop_unit_id: int | None
    created_at: dt.datetime
    updated_at: dt.datetime

    @classmethod
    def of(cls, reward: Reward) -> AdminRewardOut:
        return cls(
            reward=RewardOut.of(reward),
            active=reward.active,
            shop_unit_id=reward.shop_unit_id,
            created_at=reward.created_at,
            updated_at=reward.updated_at,
        )


class AdminRewardController(Controller):
    path = "/rewards"
    tags = ["rewards admin"]

    @get("/", summary="The catalogue, withdrawn rewards included")
    async def list_rewards(self) -> list[AdminRewardOut]:
        return [AdminRewardOut.of(r) for r in await rewards.list_rewards(include_inactive=True)]

    @post("/", summary="Add a reward", opt=ADMIN_ONLY)
    async def create(
        self, actor: NamedDependency[Actor], data: JSONBody[RewardIn]
    ) -> AdminRewardOut:
        async with transaction():
            reward = await rewards.create_reward(actor=actor, values=msgspec.structs.asdict(data))
        return AdminRewardOut.of(reward)

    @get("/{reward_id:str}", summary="One reward")
    async def one(self, reward_id: FromPath[RewardId]) -> AdminRewardOut:
        return AdminRewardOut.of(
            await rewards.get_reward(reward_id=reward_id, include_inactive=True)
        )

    @patch("/{reward_id:str}", summary="Change a reward (stock is set, not added)", opt=ADMIN_ONLY)
    async def change(
        self,
        actor: NamedDependency[Actor],
        reward_id: FromPath[RewardId],
        data: JSONBody[RewardPatch],
    ) -> AdminRewardOut:
        changes = {k: v for k, v in msgspec.structs.asdict(data).items() if v is not None}
        if changes.pop("clear_shop"):
            changes["shop_unit_id"] = None
        async with transaction():
            reward = await rewards.update_reward(actor=actor, reward_id=reward_id, changes=changes)
        return AdminRewardOut.of(reward)

    @delete("/{reward_id:str}", summary="Withdraw a reward (its redemptions stay)", opt=ADMIN_ONLY)
    async def retire(self, actor: NamedDependency[Actor], reward_id: FromPath[RewardId]) -> None:
        async with transaction():
            await rewards.retire_reward(actor=actor, reward_id=reward_id)


# A citizen as admins name one: the public id their /me shows.
CITIZEN_PUBLIC_ID = r"^c_[0-9a-z]{16}$"
CitizenPublicId = Annotated[str, msgspec.Meta(pattern=CITIZEN_PUBLIC_ID)]
# In the path, where msgspec.Meta is not enforced: the old internal integer form ("7") is
# refused as bad input rather than looked up (an integer could name another citizen).
CitizenPublicIdPath = Annotated[str, Parameter(pattern=CITIZEN_PUBLIC_ID)]


class AdminRedemptionOut(msgspec.Struct, frozen=True, rename="camel"):
    id: str
    reward_id: str
    reward_name: str
    citizen_id: str
    cost: int
    status: str
    voucher_tail: str  # the full code would let anyone with the list use the voucher
    created_at: dt.datetime
    fulfilled_at: dt.datetime | None
    fulfilled_place: str
    cancelled_at: dt.datetime | None

    @classmethod
    def of(cls, row: Redemption, reward: Reward, citizens: dict[int, str]) -> AdminRedemptionOut:
        return cls(
            id=row.public_id,
            reward_id=reward.public_id,
            reward_name=reward.name,
            citizen_id=citizens.get(row.citizen_id, ""),
            cost=row.cost,
            status=row.status,
            voucher_tail=row.voucher_code[-4:],
            created_at=row.created_at,
            fulfilled_at=row.fulfilled_at,
            fulfilled_place=row.fulfilled_place,
            cancelled_at=row.cancelled_at,
        )


class AdminRedemptionPage(msgspec.Struct, frozen=True, rename="camel"):
    items: list[AdminRedemptionOut]
    next_cursor: str | None


CSV_COLUMNS = [
    "id",
    "reward_id",
    "reward_name",
    "citizen_id",
    "cost",
    "status",
    "voucher_tail",
    "created_at",
    "fulfilled_at",
    "fulfilled_place",
    "cancelled_at",
]


class AdminRedemptionController(Controller):
    path = "/redemptions"
    tags = ["rewards admin"]

    @get("/", summary="Redemptions, newest first, keyset pages")
    async def list_redemptions(
        self,
        status: FromQuery[Status | None] = None,
        reward_id: Annotated[RewardId | None, QueryParameter(name="rewardId")] = None,
        citizen_id: Annotated[
            str | None, QueryParameter(name="citizenId", pattern=CITIZEN_PUBLIC_ID)
        ] = None,
        cursor: FromQuery[str | None] = None,
        limit: PageLimit = 50,
    ) -> AdminRedemptionPage:
        internal = None
        if citizen_id is not None:
            # An unknown citizen has no redemptions: -1 names no row.
            internal = await accounts.citizen_id_of(public_id=citizen_id) or -1
        page = await rewards.list_redemptions(
            status=status, reward_id=reward_id, citizen_id=internal, cursor=cursor, limit=limit
        )
        citizens = await accounts.citizen_public_ids(
            citizen_ids=[row.citizen_id for row, _ in page.items]
        )
        return AdminRedemptionPage(
            items=[AdminRedemptionOut.of(r, w, citizens) for r, w in page.items],
            next_cursor=page.next_cursor,
        )

    @get(
        "/export.csv",
        summary="Redemptions as CSV (UTF-8 with BOM, for Excel)",
        media_type="text/csv",
    )
    async def export(
        self,
        status: FromQuery[Status | None] = None,
        reward_id: Annotated[RewardId | None, QueryParameter(name="rewardId")] = None,
        created_from: Annotated[UtcDateTime | None, QueryParameter(name="from")] = None,
        created_to: Annotated[UtcDateTime | None, QueryParameter(name="to")] = None,
    ) -> Response[bytes]:
        async with replica_reads():
            rows = await _redemption_rows(status, reward_id, created_from, created_to)
        return csv_response(csv_bytes(CSV_COLUMNS, rows), filename="redemptions.csv")


class AdjustIn(msgspec.Struct, frozen=True, rename="camel", forbid_unknown_fields=True):
    citizen_id: CitizenPublicId
    amount: Annotated[int, msgspec.Meta(ge=-1_000_000, le=1_000_000)]
    reason: Annotated[str, msgspec.Meta(max_length=500)] | None = None


class AdjustmentOut(msgspec.Struct, frozen=True, rename="camel"):
    id: int
    citizen_id: str
    amount: int
    code: str  # admin_adjustment
    reason: str  # the administrator's words, kept as the entry's note
    at: dt.datetime
    balance: int


class AccountOut(msgspec.Struct, frozen=True, rename="camel"):
    citizen_id: str
    balance: int
    expiring_soon: int


async def _account_id(citizen: str) -> int:
    account_id = await accounts.citizen_id_of(public_id=citizen)
    if account_id is None:
        raise AccountUnknown(citizen_id=citizen)
    return account_id


class AdminPointsController(Controller):
    path = "/points"
    tags = ["rewards admin"]

    @post("/adjust", summary="Correct a balance by hand; reason required, audited", opt=ADMIN_ONLY)
    async def adjust(
        self, request: Request, actor: NamedDependency[Actor], data: JSONBody[AdjustIn]
    ) -> Response[AdjustmentOut]:
        async def action() -> AdjustmentOut:
            account_id = await _account_id(data.citizen_id)
            entry = await points.adjust(
                actor=actor, citizen_id=account_id, amount=data.amount, reason=data.reason
            )
            return AdjustmentOut(
                id=entry.id,
                citizen_id=data.citizen_id,
                amount=entry.amount,
                code=entry.code,
                reason=entry.reason,
                at=entry.created_at,
                balance=await points.balance(account_id=account_id),
            )

        return await run_idempotent(request, actor, action)

    # Admins only, like adjusting it (README): operators have no business with one
    # citizen's balance.
    @get("/accounts/{citizen_id:str}", summary="A citizen's balance", opt=ADMIN_ONLY)
    async def account(self, citizen_id: CitizenPublicIdPath) -> AccountOut:
        summary = await points.summary(account_id=await _account_id(citizen_id))
        return AccountOut(
            citizen_id=citizen_id, balance=summary.balance, expiring_soon=summary.expiring_points
        )


async def _redemption_rows(status, reward_id, created_from, created_to) -> list[list]:
    rows = []
    async for items in rewards.iter_redemption_pages(
        status=status, reward_id=reward_id, created_from=created_from, created_to=created_to
    ):
        citizens = await accounts.citizen_public_ids(
            citizen_ids=[row.citizen_id for row, _ in items]
        )
        for row, reward in items:
            view = msgspec.structs.asdict(AdminRedemptionOut.of(row, reward, citizens))
            rows.append([view[c] for c in CSV_COLUMNS])
    return rows
