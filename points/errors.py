from typing import Any

from core.errors import DomainError
from core.i18n import Msg


class InsufficientPoints(DomainError):
    code = "points.insufficient"
    status = 409
    title = Msg(zh="积分不足", en="Not enough points")
    message = Msg(
        zh="需要 {needed} 积分，当前余额 {balance}",
        en="{needed} points needed; the balance is {balance}",
    )

    def extra(self) -> dict[str, Any]:
        return {"balance": self.params.get("balance"), "needed": self.params.get("needed")}


class InvalidAmount(DomainError):
    code = "points.invalid_amount"
    status = 422
    title = Msg(zh="积分数量无效", en="Invalid amount")
    message = Msg(zh="调整数量不能为 0", en="The adjustment must not be zero")


class ReasonRequired(DomainError):
    code = "points.reason_required"
    status = 422
    title = Msg(zh="需要说明原因", en="Reason required")
    message = Msg(zh="积分调整必须填写原因", en="A points adjustment needs a reason")


class AccountUnknown(DomainError):
    code = "points.account_unknown"
    status = 404
    title = Msg(zh="账户不存在", en="Unknown account")
    message = Msg(zh="市民 {citizen_id} 不存在", en="There is no citizen {citizen_id}")


class UnknownDistrict(DomainError):
    code = "points.unknown_district"
    status = 404
    title = Msg(zh="区县不存在", en="Unknown district")
    message = Msg(zh="没有代码为 {district} 的区县", en="There is no district with code {district}")


class InvalidPeriod(DomainError):
    code = "points.invalid_period"
    status = 422
    title = Msg(zh="排行榜期间无效", en="Invalid period")
    message = Msg(
        zh="请只给出 month（YYYY-MM）或 year（YYYY）之一",
        en="Give either month (YYYY-MM) or year (YYYY), not both",
    )


class NothingHeld(DomainError):
    code = "points.nothing_held"
    status = 409
    title = Msg(zh="没有暂扣的积分", en="No points held")
    message = Msg(
        zh="案件 {case_id} 没有待发放的暂扣积分", en="Case {case_id} has no held points to release"
    )


class ReviewNotOpen(DomainError):
    code = "points.review_not_open"
    status = 409
    title = Msg(zh="没有待审核的记录", en="No open review")
    message = Msg(
        zh="市民 {citizen_id} 没有待审核的积分记录", en="Citizen {citizen_id} has no open review"
    )
