from typing import Any

from core.errors import DomainError
from core.i18n import Msg


class InvalidTransition(DomainError):
    code = "case.invalid_transition"
    status = 409
    title = Msg(zh="案件状态不允许此操作", en="Not allowed in the case's current state")
    message = Msg(
        zh="案件当前状态为「{state}」，不能执行「{action}」",
        en="The case is {state}; you cannot {action} it now",
    )

    def detail(self, locale: str) -> str:
        from cases.wording import action_label, state_label

        return self.message.render(
            locale,
            state=state_label(str(self.params.get("state", "")), locale),
            action=action_label(str(self.params.get("action", "")), locale),
        )

    def extra(self) -> dict[str, Any]:
        return {"state": self.params.get("state")}  # the machine-readable code stays


class CaseNotFound(DomainError):
    code = "case.not_found"
    status = 404
    title = Msg(zh="案件不存在", en="Case not found")
    message = Msg(zh="案件不存在或无权查看", en="No such case, or it is not yours to see")


class FilterNotFound(DomainError):
    """A statistics filter naming an area, unit or grid outside the caller's scope looks
    exactly like one that does not exist."""

    code = "stats.filter_not_found"
    status = 404
    title = Msg(zh="筛选对象不存在", en="Filter target not found")
    message = Msg(
        zh="{field} 指定的区域、单位或网格不存在或不在您的范围内",
        en="The area, unit or grid given as {field} does not exist or is outside your scope",
    )


class NotAllowed(DomainError):
    code = "case.forbidden"
    status = 403
    title = Msg(zh="无权处理此案件", en="Not allowed on this case")
    message = Msg(zh="您无权对此案件执行「{action}」", en="You may not {action} this case")

    def detail(self, locale: str) -> str:
        from cases.wording import action_label

        action = action_label(str(self.params.get("action", "")), locale)
        return self.message.render(locale, action=action)


class PhotoCountInvalid(DomainError):
    code = "case.photo_count"
    status = 422
    title = Msg(zh="照片数量不符", en="Wrong number of photos")
    message = Msg(zh="请附 {low} 到 {high} 张照片", en="Attach {low} to {high} photos")


class AlreadyRated(DomainError):
    code = "case.already_rated"
    status = 409
    title = Msg(zh="已评价", en="Already rated")
    message = Msg(zh="每个案件只能评价一次", en="A case can be rated once")


class ReporterOnly(DomainError):
    """A follower sees the case (so a 404 would be a lie) but the outcome is the
    reporter's to judge: rating and reopening are theirs alone."""

    code = "case.reporter_only"
    status = 403
    title = Msg(zh="仅上报人可操作", en="Only the reporter can do this")
    message = Msg(
        zh="您关注了此案件，但只有上报人可以评价或申请重新处理",
        en="You follow this case; only its reporter can rate or reopen it",
    )


class NotWithdrawable(DomainError):
    """Staff have taken the report on (or it ended): from then on it is theirs to end."""

    code = "case.not_withdrawable"
    status = 409
    title = Msg(zh="无法撤回", en="Cannot withdraw")
    message = Msg(
        zh="上报已受理或已结束，不能再撤回",
        en="The report was accepted or has ended; it can no longer be withdrawn",
    )

    def extra(self) -> dict[str, Any]:
        return {"state": self.params.get("state")}


class NotClosedYet(DomainError):
    code = "case.not_closed"
    status = 409
    title = Msg(zh="案件尚未结案", en="Case not closed yet")
    message = Msg(zh="结案后才能评价或申请重新处理", en="Rate or reopen a case once it is closed")


class ReopenWindowPassed(DomainError):
    code = "case.reopen_window_passed"
    status = 409
    title = Msg(zh="已超过可申请重新处理的期限", en="Too late to reopen")
    message = Msg(
        zh="结案 {days} 天内才能申请重新处理",
        en="A case can be reopened within {days} days of closing",
    )


class ReasonRequired(DomainError):
    code = "case.reason_required"
    status = 422
    title = Msg(zh="请填写原因", en="A reason is required")


class MergeTargetInvalid(DomainError):
    code = "case.merge_target_invalid"
    status = 422
    title = Msg(zh="无法合并到该案件", en="Cannot merge into that case")
    message = Msg(
        zh="只能合并到另一个未终结的案件", en="Merge into another case that is still open"
    )


class UnitUnknown(DomainError):
    code = "case.unit_unknown"
    status = 422
    title = Msg(zh="处置单位不存在", en="Unknown handling unit")


class RequestNotPending(DomainError):
    code = "case.request_not_pending"
    status = 409
    title = Msg(zh="没有待审批的申请", en="No pending request")


class IntakeKindMismatch(DomainError):
    code = "intake.kind_mismatch"
    status = 422
    title = Msg(zh="设备类型不符", en="Machine kind mismatch")
    message = Msg(
        zh="此接入密钥属于{key_kind}类设备，不能以{kind}身份上报",
        en="This key belongs to a {key_kind}; it cannot report as a {kind}",
    )


class IntakeKeyInvalid(DomainError):
    code = "intake.key_invalid"
    status = 401
    title = Msg(zh="接入密钥无效", en="Invalid API key")
    message = Msg(zh="请在 X-Api-Key 头中提供有效的接入密钥", en="Send a valid key in X-Api-Key")


class IntakeEventUnknown(DomainError):
    code = "intake.event_unknown"
    status = 404
    title = Msg(zh="事件不存在", en="Event not found")
    message = Msg(
        zh="此设备未上报过编号为 {externalId} 的事件",
        en="This client never sent event {externalId}",
    )


class IntakeFieldsMissing(DomainError):
    code = "intake.fields_missing"
    status = 422
    title = Msg(zh="事件缺少字段", en="Event fields missing")
    message = Msg(zh="{kind}事件需要提供：{fields}", en="A {kind} event needs: {fields}")


class AlertNotFound(DomainError):
    code = "alert.not_found"
    status = 404
    title = Msg(zh="告警不存在", en="Alert not found")
    message = Msg(zh="该告警不存在或不在您的范围内", en="No such alert in your scope")


class InvalidAssignee(DomainError):
    code = "case.invalid_assignee"
    status = 422
    title = Msg(zh="无法指派", en="Cannot assign")
    message = Msg(
        zh="只能指派给案件所属单位的在岗处置人员",
        en="A case can be assigned only to an active handler of its unit",
    )


class AssistNotPending(DomainError):
    code = "case.assist_not_pending"
    status = 409
    title = Msg(zh="无待反馈的协办任务", en="No assisting part to report")
    message = Msg(
        zh="您的单位没有此案件待反馈的协办任务",
        en="Your unit has no assisting part of this case left to report",
    )


class AssistsPending(DomainError):
    code = "case.assists_pending"
    status = 409
    title = Msg(zh="协办单位尚未反馈", en="Assisting units have not reported")
    message = Msg(
        zh="所有协办单位反馈后，主办单位才能办结",
        en="The lead unit resolves once every assisting unit has reported its part",
    )


class SupervisionInvalid(DomainError):
    code = "case.supervision_invalid"
    status = 422
    title = Msg(zh="督办无效", en="Invalid supervision order")
    message = Msg(zh="督办无效：{reason}", en="Invalid supervision order: {reason}")


class OutsideCity(DomainError):
    code = "case.outside_city"
    status = 422
    title = Msg(zh="位置不在本市范围内", en="Outside the city")
    message = Msg(
        zh="上报位置不在本市管辖范围内，请检查定位后重试",
        en="The reported place lies outside the city's area; check the location and try again",
    )
