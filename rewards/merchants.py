"""Merchants (商户): a merchant account belongs to one shop (an org unit of kind "shop", set
as its org unit by an admin) and sees and redeems only the vouchers of that shop's rewards
(``Reward.shop_unit_id``). A voucher of another shop's reward is unknown to it (404), not
forbidden, so a merchant cannot learn which codes exist elsewhere. Redeeming is the one
voucher check of rewards.service, with the shop as the place and the merchant as who."""

from __future__ import annotations

from accounts.staff_admin import staff_info
from core.actors import Actor
from org.errors import UnknownOrgUnit
from org.units import UnitInfo, get_unit
from rewards import errors
from rewards import service as rewards
from rewards.tables import Redemption, Reward


async def shop_of(actor: Actor) -> UnitInfo:
    """The merchant's active shop; a merchant moved out of every shop can do nothing."""
    if not actor.has_role("merchant"):
        raise errors.NoShop()
    unit_id = (await staff_info(staff_id=actor.id)).org_unit_id
    try:
        shop = await get_unit(unit_id=unit_id) if unit_id is not None else None
    except UnknownOrgUnit:
        shop = None
    if shop is None or shop.kind != "shop":
        raise errors.NoShop()
    return shop


async def redeem_at_shop(*, actor: Actor, code: str) -> tuple[Redemption, Reward]:
    shop = await shop_of(actor)
    # The shop's name, not what the counter types: the place cannot be claimed falsely.
    return await rewards.verify_voucher(
        actor=actor, code=code, place=shop.name_zh, shop_unit_id=shop.id
    )


async def shop_redemptions(
    *, actor: Actor, status: str | None, cursor: str | None, limit: int
) -> tuple[UnitInfo, rewards.RedemptionPage]:
    shop = await shop_of(actor)
    page = await rewards.list_redemptions(
        shop_unit_id=shop.id, status=status, cursor=cursor, limit=limit
    )
    return shop, page


async def shop_rewards(*, actor: Actor) -> tuple[UnitInfo, list[Reward]]:
    shop = await shop_of(actor)
    rows = (
        await Reward.objects().where(Reward.shop_unit_id == shop.id).order_by(Reward.id).limit(500)
    )
    return shop, rows
