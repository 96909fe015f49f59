from typing import Any

from cases.field_errors import TimeInFuture  # noqa: F401 - one error for both apps
from core.errors import DomainError
from core.i18n import Msg


class PatrolNotFound(DomainError):
    code = "patrol.not_found"
    status = 404
    title = Msg(zh="巡查记录不存在", en="Patrol not found")
    message = Msg(zh="巡查记录不存在或无权查看", en="No such patrol, or it is not yours")


class PatrolAlreadyActive(DomainError):
    code = "patrol.already_active"
    status = 409
    title = Msg(zh="已有进行中的巡查", en="A patrol is already running")
    message = Msg(zh="请先结束当前巡查", en="End the running patrol first")

    def extra(self) -> dict[str, Any]:
        return {"activePatrolId": self.params.get("patrol_id")}


class PatrolEnded(DomainError):
    code = "patrol.ended"
    status = 409
    title = Msg(zh="巡查已结束", en="Patrol already ended")
    message = Msg(zh="该巡查已于 {ended_at} 结束", en="This patrol ended at {ended_at}")


class TrackBatchTooLarge(DomainError):
    code = "patrol.batch_too_large"
    status = 413
    title = Msg(zh="轨迹点过多", en="Too many fixes in one batch")
    message = Msg(zh="每批最多 {limit} 个定位点", en="Send at most {limit} fixes per batch")

    def extra(self) -> dict[str, Any]:
        return {"limit": self.params.get("limit")}


class InvalidFix(DomainError):
    code = "patrol.invalid_fix"
    status = 422
    title = Msg(zh="定位点无效", en="Invalid GPS fix")
    message = Msg(zh="第 {index} 个定位点无效：{reason}", en="Fix {index} is invalid: {reason}")

    def extra(self) -> dict[str, Any]:
        return {"index": self.params.get("index")}


class InvalidDuty(DomainError):
    code = "patrol.invalid_duty"
    status = 422
    title = Msg(zh="巡查任务无效", en="Invalid patrol duty")
    message = Msg(zh="{reason_zh}", en="{reason}")


class DutyNotFound(DomainError):
    code = "patrol.duty_not_found"
    status = 404
    title = Msg(zh="巡查任务不存在", en="Patrol duty not found")


class PatrolRoleRequired(DomainError):
    code = "patrol.inspectors_only"
    status = 403
    title = Msg(zh="仅网格员可巡查", en="Only inspectors patrol")
