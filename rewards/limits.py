"""How often one citizen may redeem a reward: at most ``per_citizen_limit`` times in all and
``period_limit`` times per city day or month. Checked under the citizen's points lock (taken
before, in ``redeem``), so two parallel redemptions of one citizen see each other: the limit
cannot be passed by racing. Cancelled redemptions do not count."""

from __future__ import annotations

import datetime as dt

from core import clock
from rewards import errors
from rewards.tables import Redemption, Reward

PERIODS = ("day", "month")
PERIOD_ZH = {"day": "天", "month": "月"}


def period_start(period: str, now: dt.datetime) -> dt.datetime:
    """The start, in UTC, of the city day or month ``now`` falls in."""
    local = clock.as_utc(now).astimezone(clock.city_zone())
    local = local.replace(hour=0, minute=0, second=0, microsecond=0)
    if period == "month":
        local = local.replace(day=1)
    return local.astimezone(dt.UTC)


def check_values(values: dict) -> None:
    period, limit = values.get("limit_period") or "", values.get("period_limit") or 0
    if period and period not in PERIODS:
        raise errors.InvalidReward(reason=f"limitPeriod must be one of {', '.join(PERIODS)}")
    if limit and not period:
        raise errors.InvalidReward(reason="periodLimit needs limitPeriod (day or month)")


async def check(*, reward: Reward, citizen_id: int, now: dt.datetime) -> None:
    """Raise if this citizen may not redeem ``reward`` once more (the caller holds the lock)."""
    mine = (
        (Redemption.reward == reward.id)
        & (Redemption.citizen_id == citizen_id)
        & (Redemption.status != "cancelled")
    )
    if (
        reward.per_citizen_limit
        and await Redemption.count().where(mine) >= reward.per_citizen_limit
    ):
        raise errors.LimitReached(limit=reward.per_citizen_limit)
    if reward.period_limit and reward.limit_period in PERIODS:
        since = period_start(reward.limit_period, now)
        taken = await Redemption.count().where(mine & (Redemption.created_at >= since))
        if taken >= reward.period_limit:
            raise errors.PeriodLimitReached(
                limit=reward.period_limit,
                period=reward.limit_period,
                period_zh=PERIOD_ZH[reward.limit_period],
            )
