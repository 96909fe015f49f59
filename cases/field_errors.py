"""Errors of the inspector app's case actions (cases.field)."""

from core.errors import DomainError
from core.i18n import Msg


class NotMyGrid(DomainError):
    code = "case.not_my_grid"
    status = 403
    title = Msg(zh="不是您负责的网格", en="Not your grid")
    message = Msg(
        zh="只能对自己网格内的案件执行「{action}」",
        en="You can {action} cases in your own grids only",
    )


class NotAssigned(DomainError):
    code = "case.not_assigned"
    status = 403
    title = Msg(zh="案件未派给您的单位", en="Not assigned to your unit")
    message = Msg(
        zh="只有承办单位可以执行「{action}」", en="Only the assigned unit can {action} this case"
    )


class OwnWork(DomainError):
    code = "case.own_work"
    status = 403
    title = Msg(zh="不能核查自己的处置", en="You cannot check your own work")
    message = Msg(
        zh="该案件由您处置，须由其他人员核查",
        en="You resolved this case; someone else must check it",
    )


class RequestAlreadyPending(DomainError):
    code = "case.request_pending"
    status = 409
    title = Msg(zh="已有待审批的申请", en="A request is already pending")
    message = Msg(zh="请等待指挥中心审批上一次申请", en="Wait for the command centre's decision")


class TimeInFuture(DomainError):
    code = "request.time_in_future"
    status = 422
    title = Msg(zh="时间晚于当前时间", en="Time in the future")
    message = Msg(zh="{field} 不能晚于当前时间", en="{field} cannot be in the future")
