"""The rewards shop: the catalogue, redeeming points for rewards, cancelling, and vouchers.

Redeeming is one transaction: lock the citizen's points account, check the per-citizen limit,
debit the points (balance checked under the lock), write the redemption, and last take one
from stock by a conditional UPDATE (``stock > 0``). Any refusal raises, so the transaction
rolls back and nothing is half done. The account lock is always taken before the reward
row, in redeem and cancel alike, so the two cannot deadlock.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncIterator
from typing import Any

import msgspec

from core import clock
from core.actors import Actor
from core.db import raw
from core.ids import public_id
from core.pagination import decode_cursor, encode_cursor
from notify.service import enqueue
from org.errors import UnknownOrgUnit
from org.units import get_unit
from points import service as points
from points.reasons import DONATED, REDEEMED, REDEMPTION_CANCELLED
from rewards import errors, limits, vouchers
from rewards.tables import Redemption, Reward

FULFILMENTS = ("voucher", "pickup", "coupon", "donation")
ISSUED, FULFILLED, CANCELLED = "issued", "fulfilled", "cancelled"


class RedemptionPage(msgspec.Struct, kw_only=True):
    items: list[tuple[Redemption, Reward]]
    next_cursor: str | None


def _city_time(moment: dt.datetime) -> str:
    return clock.as_utc(moment).astimezone(clock.city_zone()).strftime("%Y-%m-%d %H:%M")


# --- catalogue -------------------------------------------------------------------------------


def _check(values: dict[str, Any]) -> None:
    if values.get("fulfilment") not in FULFILMENTS:
        raise errors.InvalidReward(reason=f"fulfilment must be one of {', '.join(FULFILMENTS)}")
    start, end = values.get("valid_from"), values.get("valid_until")
    if start is not None and end is not None and clock.as_utc(start) >= clock.as_utc(end):
        raise errors.InvalidReward(reason="validFrom must be before validUntil")
    if values["fulfilment"] == "pickup" and not (values.get("pickup_place") or "").strip():
        raise errors.InvalidReward(reason="a pickup reward needs pickupPlace")
    if values["fulfilment"] == "coupon" and not (values.get("partner") or "").strip():
        raise errors.InvalidReward(reason="a partner coupon needs partner")
    if values["fulfilment"] == "donation" and not (values.get("partner") or "").strip():
        raise errors.InvalidReward(reason="a donation needs partner (the charity)")
    limits.check_values(values)
    if not (values.get("name") or "").strip():
        raise errors.InvalidReward(reason="name must not be blank")


async def _check_shop(shop_unit_id: int | None) -> None:
    if shop_unit_id is None:
        return
    try:
        unit = await get_unit(unit_id=shop_unit_id)
    except UnknownOrgUnit:
        unit = None
    if unit is None or unit.kind != "shop":
        raise errors.InvalidReward(reason="shopUnitId must name an active org unit of kind shop")


async def create_reward(*, actor: Actor, values: dict[str, Any]) -> Reward:
    """``values``: the Reward columns (name, cost, stock, fulfilment, ...)."""
    _check(values)
    await _check_shop(values.get("shop_unit_id"))
    now = clock.now()
    reward = Reward(public_id=public_id("rw"), created_at=now, updated_at=now, **values)
    await reward.save()
    return reward


async def update_reward(*, actor: Actor, reward_id: str, changes: dict[str, Any]) -> Reward:
    reward = await get_reward(reward_id=reward_id, include_inactive=True)
    merged = {**reward.to_dict(), **changes}
    _check(merged)
    await _check_shop(changes.get("shop_unit_id"))
    changes = {**changes, "updated_at": clock.now()}
    await Reward.update({getattr(Reward, k): v for k, v in changes.items()}).where(
        Reward.id == reward.id
    )
    return await get_reward(reward_id=reward_id, include_inactive=True)


async def retire_reward(*, actor: Actor, reward_id: str) -> None:
    """Withdraw from the shop. Rows stay: redemptions and vouchers refer to them."""
    reward = await get_reward(reward_id=reward_id, include_inactive=True)
    await Reward.update({Reward.active: False, Reward.updated_at: clock.now()}).where(
        Reward.id == reward.id
    )


async def get_reward(*, reward_id: str, include_inactive: bool = False) -> Reward:
    reward = await Reward.objects().where(Reward.public_id == reward_id).first()
    if reward is None or (not reward.active and not include_inactive):
        raise errors.RewardNotFound()
    return reward


async def list_rewards(*, include_inactive: bool = False) -> list[Reward]:
    query = Reward.objects()
    if not include_inactive:
        query = query.where(Reward.active.eq(True))
    return await query.order_by(Reward.cost).order_by(Reward.id).limit(500)


def available(reward: Reward, now: dt.datetime | None = None) -> bool:
    return _window_error(reward, now or clock.now()) is None and reward.stock > 0


def _window_error(reward: Reward, now: dt.datetime) -> errors.OutsideWindow | None:
    start = clock.as_utc(reward.valid_from) if reward.valid_from else None
    end = clock.as_utc(reward.valid_until) if reward.valid_until else None
    if (start and now < start) or (end and now >= end):
        window = f"{_city_time(start) if start else '…'} – {_city_time(end) if end else '…'}"
        return errors.OutsideWindow(window=window)
    return None


def _voucher_expiry(reward: Reward, now: dt.datetime) -> dt.datetime | None:
    """The sooner of the reward's end and ``voucher_days`` after issue."""
    ends = [clock.as_utc(reward.valid_until)] if reward.valid_until else []
    if reward.voucher_days:
        ends.append(now + dt.timedelta(days=reward.voucher_days))
    return min(ends) if ends else None


# --- redeeming -------------------------------------------------------------------------------


async def redeem(
    *, actor: Actor, reward_id: str, voucher_code: str | None = None
) -> tuple[Redemption, Reward]:
    """``voucher_code`` lets the caller draw the code (and render its QR) before the
    transaction, so no CPU work happens while the item's stock row is locked."""
    reward = await get_reward(reward_id=reward_id)
    now = clock.now()
    if (problem := _window_error(reward, now)) is not None:
        raise problem
    await points.lock_account(actor.id)
    await limits.check(reward=reward, citizen_id=actor.id, now=now)
    donation = reward.fulfilment == "donation"
    redemption = Redemption(
        public_id=public_id("rd"),
        reward=reward.id,
        citizen_id=actor.id,
        cost=reward.cost,
        # A donation is done when the points are given: nothing to collect, nothing to cancel.
        status=FULFILLED if donation else ISSUED,
        voucher_code=voucher_code or vouchers.new_code(),
        created_at=now,
        expires_at=None if donation else _voucher_expiry(reward, now),
        fulfilled_at=now if donation else None,
        fulfilled_place=reward.partner if donation else "",
    )
    await points.debit(
        account_id=actor.id,
        amount=reward.cost,
        kind="redeem",
        reference=f"redemption:{redemption.public_id}",
        subject=f"redemption:{redemption.public_id}",
        code=DONATED if donation else REDEEMED,
        reason=reward.partner if donation else reward.name,
        actor=actor,
    )
    await redemption.save()
    # Last: from here to the commit every other redeem of this item waits on its row.
    left = await raw(
        "UPDATE reward SET stock = stock - 1, updated_at = {} WHERE id = {} AND stock > 0 "
        "RETURNING stock",
        now,
        reward.id,
    )
    if not left:
        raise errors.OutOfStock()  # rolls back the debit and the redemption above
    reward.stock = left[0]["stock"]
    if donation:
        return redemption, reward
    await enqueue(
        recipient_kind="citizen",
        recipient_id=actor.id,
        template="redemption.ready",
        params={"reward": reward.name, "redemptionId": redemption.public_id},
    )
    return redemption, reward


async def _own(actor: Actor, redemption_id: str) -> Redemption:
    row = await Redemption.objects().where(Redemption.public_id == redemption_id).first()
    if row is None or row.citizen_id != actor.id:
        raise errors.RedemptionNotFound()
    return row


async def my_redemption(*, actor: Actor, redemption_id: str) -> tuple[Redemption, Reward]:
    row = await _own(actor, redemption_id)
    return row, await Reward.objects().where(Reward.id == row.reward).first()


async def cancel(*, actor: Actor, redemption_id: str) -> tuple[Redemption, Reward]:
    """Before the voucher is used: the points and the stock go back."""
    row = await _own(actor, redemption_id)
    await points.lock_account(actor.id)
    now = clock.now()
    updated = (
        await Redemption.update({Redemption.status: CANCELLED, Redemption.cancelled_at: now})
        .where((Redemption.id == row.id) & (Redemption.status == ISSUED))
        .returning(Redemption.id)
    )
    if not updated:
        row = await _own(actor, redemption_id)
        if row.status == FULFILLED:
            raise errors.AlreadyFulfilled(at=_city_time(row.fulfilled_at))
        raise errors.AlreadyCancelled()
    await raw("UPDATE reward SET stock = stock + 1, updated_at = {} WHERE id = {}", now, row.reward)
    await points.post(
        account_id=actor.id,
        amount=row.cost,
        kind="refund",
        reference=f"redemption:{row.public_id}",
        subject=f"redemption:{row.public_id}",
        code=REDEMPTION_CANCELLED,
        actor=actor,
    )
    return await my_redemption(actor=actor, redemption_id=redemption_id)


# --- vouchers --------------------------------------------------------------------------------


async def verify_voucher(
    *, actor: Actor, code: str, place: str, shop_unit_id: int | None = None
) -> tuple[Redemption, Reward]:
    """Staff or a partner scans a voucher: it is consumed once. Scanning it again says when
    and where it was used. A voucher belongs to one counter: a shop's (``shop_unit_id``)
    or the city's own (``None``). Any other voucher is unknown, before its state is told,
    so one shop cannot probe another's codes and city staff cannot consume a shop's."""
    normalized = vouchers.normalize(code)
    row = (
        await Redemption.objects().where(Redemption.voucher_code == normalized).first()
        if normalized
        else None
    )
    if row is None or not await Reward.exists().where(
        (Reward.id == row.reward) & _sold_at(shop_unit_id)
    ):
        raise errors.VoucherUnknown()
    now = clock.now()
    if row.status == ISSUED and row.expires_at is not None and now >= clock.as_utc(row.expires_at):
        raise errors.VoucherExpired(at=_city_time(row.expires_at))
    updated = (
        await Redemption.update(
            {
                Redemption.status: FULFILLED,
                Redemption.fulfilled_at: now,
                Redemption.fulfilled_by: actor.id,
                Redemption.fulfilled_place: place.strip(),
            }
        )
        .where((Redemption.id == row.id) & (Redemption.status == ISSUED))
        .returning(Redemption.id)
    )
    if not updated:
        row = await Redemption.objects().where(Redemption.id == row.id).first()
        if row.status == CANCELLED:
            raise errors.VoucherCancelled()
        raise errors.VoucherUsed(
            at=_city_time(row.fulfilled_at),
            place=row.fulfilled_place,
            used_at=clock.as_utc(row.fulfilled_at).isoformat(),
        )
    row = await Redemption.objects().where(Redemption.id == row.id).first()
    return row, await Reward.objects().where(Reward.id == row.reward).first()


def _sold_at(shop_unit_id: int | None):
    if shop_unit_id is None:
        return Reward.shop_unit_id.is_null()
    return Reward.shop_unit_id == shop_unit_id


# --- lists -----------------------------------------------------------------------------------


async def list_redemptions(
    *,
    citizen_id: int | None = None,
    status: str | None = None,
    reward_id: str | None = None,
    shop_unit_id: int | None = None,
    created_from: dt.datetime | None = None,
    created_to: dt.datetime | None = None,
    cursor: str | None = None,
    limit: int = 50,
) -> RedemptionPage:
    """Newest first, keyset pages on (created_at, id)."""
    query = Redemption.objects()
    if citizen_id is not None:
        query = query.where(Redemption.citizen_id == citizen_id)
    if status is not None:
        query = query.where(Redemption.status == status)
    if reward_id is not None:
        reward = await get_reward(reward_id=reward_id, include_inactive=True)
        query = query.where(Redemption.reward == reward.id)
    if shop_unit_id is not None:
        query = query.where(Redemption.reward.shop_unit_id == shop_unit_id)
    if created_from is not None:
        query = query.where(Redemption.created_at >= created_from)
    if created_to is not None:
        query = query.where(Redemption.created_at < created_to)
    if (after := decode_cursor(cursor, kind="redemptions")) is not None:
        query = query.where(
            (Redemption.created_at < after.at)
            | ((Redemption.created_at == after.at) & (Redemption.id < after.id))
        )
    rows = (
        await query.order_by(Redemption.created_at, ascending=False)
        .order_by(Redemption.id, ascending=False)
        .limit(limit + 1)
    )
    page = rows[:limit]
    ids = list({row.reward for row in page})
    rewards = {r.id: r for r in await Reward.objects().where(Reward.id.is_in(ids))} if ids else {}
    next_cursor = (
        encode_cursor(clock.as_utc(page[-1].created_at), page[-1].id, kind="redemptions")
        if len(rows) > limit
        else None
    )
    return RedemptionPage(
        items=[(row, rewards[row.reward]) for row in page], next_cursor=next_cursor
    )


async def iter_redemption_pages(
    **filters: Any,
) -> AsyncIterator[list[tuple[Redemption, Reward]]]:
    """Every matching redemption, a page at a time (the CSV export)."""
    cursor = None
    while True:
        page = await list_redemptions(cursor=cursor, limit=500, **filters)
        yield page.items
        if page.next_cursor is None:
            return
        cursor = page.next_cursor
