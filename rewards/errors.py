from typing import Any

from core.errors import DomainError
from core.i18n import Msg


class RewardNotFound(DomainError):
    code = "rewards.not_found"
    status = 404
    title = Msg(zh="奖品不存在", en="Reward not found")
    message = Msg(zh="奖品不存在或已下架", en="No such reward, or it was withdrawn")


class OutsideWindow(DomainError):
    code = "rewards.not_available"
    status = 409
    title = Msg(zh="不在兑换期内", en="Not available now")
    message = Msg(
        zh="该奖品的兑换期为 {window}",
        en="This reward can be redeemed {window}",
    )


class OutOfStock(DomainError):
    code = "rewards.out_of_stock"
    status = 409
    title = Msg(zh="已兑完", en="Out of stock")
    message = Msg(zh="该奖品已全部兑完", en="This reward is out of stock")


class LimitReached(DomainError):
    code = "rewards.limit_reached"
    status = 409
    title = Msg(zh="超过兑换上限", en="Limit reached")
    message = Msg(
        zh="每人最多兑换 {limit} 次",
        en="Each citizen may redeem this {limit} times",
    )


class PeriodLimitReached(DomainError):
    code = "rewards.period_limit_reached"
    status = 409
    title = Msg(zh="超过本期兑换上限", en="Limit for this period reached")
    message = Msg(
        zh="每人每{period_zh}最多兑换 {limit} 次",
        en="Each citizen may redeem this {limit} times a {period}",
    )

    def extra(self) -> dict[str, Any]:
        return {"limit": self.params.get("limit"), "period": self.params.get("period")}


class RedemptionNotFound(DomainError):
    code = "rewards.redemption_not_found"
    status = 404
    title = Msg(zh="兑换记录不存在", en="Redemption not found")
    message = Msg(zh="兑换记录不存在或无权查看", en="No such redemption, or it is not yours")


class AlreadyFulfilled(DomainError):
    code = "rewards.already_fulfilled"
    status = 409
    title = Msg(zh="已使用，不能取消", en="Already used")
    message = Msg(
        zh="兑换券已于 {at} 使用，不能取消",
        en="The voucher was used at {at}; it cannot be cancelled",
    )


class AlreadyCancelled(DomainError):
    code = "rewards.already_cancelled"
    status = 409
    title = Msg(zh="已取消", en="Already cancelled")
    message = Msg(zh="该兑换已取消", en="This redemption was cancelled")


class VoucherUnknown(DomainError):
    code = "rewards.voucher_unknown"
    status = 404
    title = Msg(zh="兑换券无效", en="Unknown voucher")
    message = Msg(zh="没有这个兑换码，请核对", en="There is no voucher with this code")


class VoucherUsed(DomainError):
    code = "rewards.voucher_used"
    status = 409
    title = Msg(zh="兑换券已使用", en="Voucher already used")
    message = Msg(
        zh="该兑换券已于 {at} 在「{place}」使用",
        en="This voucher was used at {at} at {place}",
    )

    def extra(self) -> dict[str, Any]:
        return {"usedAt": self.params.get("used_at"), "usedPlace": self.params.get("place")}


class VoucherCancelled(DomainError):
    code = "rewards.voucher_cancelled"
    status = 409
    title = Msg(zh="兑换券已作废", en="Voucher cancelled")
    message = Msg(
        zh="该兑换已被取消，兑换券作废",
        en="This redemption was cancelled; the voucher is void",
    )


class VoucherExpired(DomainError):
    code = "rewards.voucher_expired"
    status = 409
    title = Msg(zh="兑换券已过期", en="Voucher expired")
    message = Msg(zh="该兑换券已于 {at} 过期", en="This voucher expired at {at}")


class InvalidReward(DomainError):
    code = "rewards.invalid"
    status = 422
    title = Msg(zh="奖品信息无效", en="Invalid reward")
    message = Msg(zh="{reason}", en="{reason}")


class NoShop(DomainError):
    code = "rewards.merchant_without_shop"
    status = 403
    title = Msg(zh="商户未关联门店", en="No shop")
    message = Msg(
        zh="该商户账号没有关联有效的门店，请联系管理员",
        en="This merchant account belongs to no active shop; ask an administrator",
    )
