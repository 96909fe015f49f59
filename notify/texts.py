"""The words of every notification, in zh-CN and en, and where it leads (notify.templates
renders them). Params come from the enqueuing package (caseId, number, note...)."""

from __future__ import annotations

import msgspec

from core.i18n import Msg


class Template(msgspec.Struct, frozen=True):
    title: Msg
    body: Msg
    link: str = "case"  # case, points, rewards, watch


def _t(zh_title: str, en_title: str, zh_body: str, en_body: str, link: str = "case") -> Template:
    return Template(Msg(zh_title, en_title), Msg(zh_body, en_body), link)


TEMPLATES: dict[str, Template] = {
    # Citizens: every step of their case (件件有回音).
    "case.received": _t(
        "上报已收到",
        "Report received",
        "您的上报 {number} 已收到，我们会尽快处理",
        "Your report {number} was received",
    ),
    "case.accepted": _t(
        "已受理立案",
        "Report accepted",
        "您的上报 {number} 已受理立案",
        "Your report {number} was accepted",
    ),
    "case.dispatched": _t(
        "已派遣处理",
        "Being handled",
        "{number} 已派遣至责任单位处理",
        "{number} was sent to the unit responsible",
    ),
    "case.resolved": _t(
        "已处理完成",
        "Fixed",
        "{number} 已处理完成，正在核查",
        "{number} was fixed and is being checked",
    ),
    "case.closed": _t(
        "已结案，请评价",
        "Closed: please rate",
        "{number} 已核查结案，欢迎评价处理结果",
        "{number} was checked and closed. Please rate the handling",
    ),
    "case.reopened": _t(
        "已重新处理",
        "Reopened",
        "{number} 已根据您的反馈重新处理",
        "{number} was reopened after your feedback",
    ),
    "case.rejected": _t(
        "未予受理", "Not accepted", "{number} 未予受理：{note}", "{number} was not accepted: {note}"
    ),
    "case.merged": _t(
        "已合并处理",
        "Merged",
        "{number} 与已有上报合并处理",
        "{number} was merged with an earlier report",
    ),
    "case.cancelled": _t(
        "已撤销", "Cancelled", "{number} 已撤销：{note}", "{number} was cancelled: {note}"
    ),
    "case.rework": _t(
        "正在返工",
        "Sent back for rework",
        "{number} 核查未通过，已要求返工",
        "{number} failed the check and is being redone",
    ),
    "case.returned": _t(
        "等待重新派遣", "Being reassigned", "{number} 正在重新派遣", "{number} is being reassigned"
    ),
    "case.suspended": _t(
        "挂账跟踪",
        "On hold",
        "{number} 需长期处理，已挂账跟踪",
        "{number} needs long-term work; it is on hold and tracked",
    ),
    "points.earned": _t(
        "获得积分",
        "Points earned",
        "您获得 {points} 积分",
        "You earned {points} points",
        link="points",
    ),
    "redemption.ready": _t(
        "兑换可领取",
        "Reward ready",
        "您兑换的{reward}已可领取",
        "Your {reward} is ready to collect",
        link="rewards",
    ),
    # Citizens: the public side (cases.watch, cases.watch_digest, cases.survey).
    "watch.new_case": _t(
        "关注区域有新案件",
        "New case in your area",
        "您关注的区域「{area}」有新案件 {number}",
        "New case {number} in your watch area {area}",
    ),
    "watch.digest": _t(
        "关注区域今日动态",
        "Your areas today",
        "您关注的区域今日新增 {count} 件案件：{numbers}",
        "{count} new cases in your watch areas today: {numbers}",
        link="watch",
    ),
    "case.survey": _t(
        "满意度回访",
        "How did we do?",
        "您的上报 {number} 已结案，问题解决了吗？请花一分钟评价",
        "Your report {number} was closed. Is it fixed? Tell us in a minute",
    ),
    # Staff: every task that lands on a person or a unit.
    "task.new": _t("新任务", "New task", "新案件 {number} 待处理", "New case {number} to handle"),
    "task.assigned": _t(
        "案件指派给您",
        "Case assigned to you",
        "案件 {number} 已指派给您处置，请签收",
        "Case {number} was assigned to you: please acknowledge it",
    ),
    "task.assist": _t(
        "协办任务",
        "Case to assist",
        "案件 {number} 需要您的单位协办，请反馈办理情况",
        "Your unit is asked to assist with case {number}: report your part",
    ),
    "task.assist_reported": _t(
        "协办已反馈",
        "Assisting unit reported",
        "案件 {number} 的协办单位已反馈办理情况",
        "An assisting unit reported its part of case {number}",
    ),
    "task.supervise": _t(
        "督办通知",
        "Supervision order",
        "案件 {number} 被督办，请于 {deadline} 前办结：{note}",
        "Case {number} is under supervision: see it through by {deadline}: {note}",
    ),
    # The command centre's alerts (cases.alerts): each pushed to the centre's on-duty operators.
    "alert.unacknowledged": _t(
        "紧急案件未签收",
        "Urgent case not acknowledged",
        "紧急案件 {number} 派遣后无人签收，请督促处置单位",
        "Nobody acknowledged urgent case {number}: chase the unit",
    ),
    "alert.machine_alarm": _t(
        "一级告警",
        "Level 1 alarm",
        "设备一级告警，案件 {number}，请立即处置",
        "A device raised a level 1 alarm: case {number}; act now",
    ),
    "alert.outside_city": _t(
        "城市范围外上报",
        "Report outside the city",
        "案件 {number} 位于城市范围之外，请核实位置或转交",
        "Case {number} lies outside the city: check where it is or pass it on",
    ),
    "alert.outside_grid": _t(
        "网格外案件",
        "Case outside the grids",
        "案件 {number} 不在任何单元网格内，无网格员负责，请人工处理",
        "Case {number} lies in no unit grid, so no inspector has it: handle it by hand",
    ),
    "alert.unit_unstaffed": _t(
        "处置单位无人",
        "Unit without staff",
        "案件 {number} 派遣的单位没有在岗人员，请改派",
        "Case {number} went to a unit with no active staff: dispatch it elsewhere",
    ),
    "alert.sla_red": _t(
        "案件超时",
        "Case overdue",
        "案件 {number} 已超过处置时限",
        "Case {number} is past its deadline",
    ),
    "alert.undispatched": _t(
        "待派遣",
        "To dispatch",
        "案件 {number} 已立案，没有匹配的派遣规则，待人工派遣",
        "Case {number} was accepted but no rule dispatches it; please dispatch it",
    ),
    "alert.returned": _t(
        "案件退回",
        "Case handed back",
        "案件 {number} 被处置单位退回，待重新派遣",
        "Case {number} was handed back by its unit and needs a new one",
    ),
    "alert.calendar": _t(
        "工作日历缺失",
        "Working calendar missing",
        "未来 90 天缺少节假日安排，时限计算将不准确，请导入日历",
        "The coming 90 days have no holiday data: deadlines will be wrong; import the calendar",
    ),
    "alert.sla_yellow": _t(
        "案件临期",
        "Case nearly due",
        "案件 {number} 已用去 80% 的处置时限",
        "Case {number} has used 80 % of its time",
    ),
    "task.repage": _t(
        "紧急案件未响应",
        "Urgent case unanswered",
        "紧急案件 {number} 仍无人响应，请立即处置",
        "Urgent case {number} is still unanswered: act now",
    ),
    # 核实: an inspector confirms on site that a new report is real (before it is accepted).
    "task.verify": _t(
        "待核实",
        "Report to verify",
        "新上报 {number} 待现场核实",
        "New report {number} needs verifying on site",
    ),
    # A sensor reports that the alarm behind a case being handled has cleared by itself.
    "task.alarm_cleared": _t(
        "告警已解除",
        "Alarm cleared",
        "案件 {number} 的设备告警已解除，请确认是否仍需处置",
        "The device alarm behind case {number} has cleared; check whether work is still needed",
    ),
    # 核查: an inspector checks that a case the unit fixed really is fixed.
    "task.check": _t(
        "待核查",
        "Check needed",
        "案件 {number} 已处置完成，待核查",
        "Case {number} was fixed and needs checking",
    ),
    "task.rework": _t(
        "需返工",
        "Rework needed",
        "案件 {number} 核查未通过，请返工：{note}",
        "Case {number} failed the check; please redo it: {note}",
    ),
    "task.reopened": _t(
        "案件重办",
        "Case reopened",
        "市民对案件 {number} 不满意，已重新派回处置：{note}",
        "The citizen reopened case {number}; please handle it again: {note}",
    ),
    "task.dispatch": _t(
        "待派遣",
        "To dispatch",
        "案件 {number} 已立案，没有匹配的派遣规则，待人工派遣",
        "Case {number} was accepted but no rule dispatches it; please dispatch it",
    ),
    "task.returned": _t(
        "待重新派遣",
        "To reassign",
        "案件 {number} 已回退，待重新派遣：{note}",
        "Case {number} was handed back and needs a new unit: {note}",
    ),
    "task.extension_request": _t(
        "延期待审批",
        "Extension to decide",
        "案件 {number} 申请延期 {hours} 小时：{note}",
        "Case {number} asks for {hours} more hours: {note}",
    ),
    "task.return_request": _t(
        "回退待审批",
        "Return to decide",
        "案件 {number} 申请回退：{note}",
        "Case {number} asks to be handed back: {note}",
    ),
    "request.extension_approved": _t(
        "延期已批准",
        "Extension approved",
        "案件 {number} 的延期申请已批准，请在新时限内处置",
        "The extension of case {number} was approved; the deadline moved",
    ),
    "request.extension_declined": _t(
        "延期未批准",
        "Extension declined",
        "案件 {number} 的延期申请未获批准，请按原时限处置",
        "The extension of case {number} was declined; the deadline stands",
    ),
    "request.return_approved": _t(
        "回退已同意",
        "Return approved",
        "案件 {number} 的回退申请已同意，案件将重新派遣",
        "Case {number} was taken back and will go to another unit",
    ),
    "request.return_declined": _t(
        "回退未同意",
        "Return declined",
        "案件 {number} 的回退申请未获同意，请继续处置",
        "The return of case {number} was declined; please go on handling it",
    ),
    "sla.yellow": _t(
        "即将超时",
        "Deadline near",
        "案件 {number} 即将超过处置时限",
        "Case {number} is close to its deadline",
    ),
    "sla.red": _t(
        "已超时",
        "Overdue",
        "案件 {number} 已超过处置时限，已升级督办",
        "Case {number} is overdue and was escalated",
    ),
}
# What a follower of a case reads instead (params marked ``follower``, cases.visibility): the
# case is not theirs, they cannot rate it, and no note reaches them.
FOLLOWER_TEMPLATES: dict[str, Template] = {
    "case.received": _t(
        "关注的上报已收到",
        "Followed report received",
        "您关注的上报 {number} 已收到",
        "A report you follow, {number}, was received",
    ),
    "case.accepted": _t(
        "关注的上报已受理",
        "Followed report accepted",
        "您关注的上报 {number} 已受理立案",
        "A report you follow, {number}, was accepted",
    ),
    "case.dispatched": _t(
        "已派遣处理",
        "Being handled",
        "您关注的 {number} 已派遣至责任单位处理",
        "{number}, which you follow, was sent to the unit responsible",
    ),
    "case.resolved": _t(
        "已处理完成",
        "Fixed",
        "您关注的 {number} 已处理完成，正在核查",
        "{number}, which you follow, was fixed and is being checked",
    ),
    "case.closed": _t(
        "已结案",
        "Closed",
        "您关注的 {number} 已核查结案",
        "{number}, which you follow, was checked and closed",
    ),
    "case.reopened": _t(
        "已重新处理",
        "Reopened",
        "您关注的 {number} 已重新处理",
        "{number}, which you follow, was reopened",
    ),
    "case.rejected": _t(
        "未予受理",
        "Not accepted",
        "您关注的 {number} 未予受理",
        "{number}, which you follow, was not accepted",
    ),
    "case.merged": _t(
        "已合并处理",
        "Merged",
        "您关注的 {number} 与已有上报合并处理",
        "{number}, which you follow, was merged with an earlier report",
    ),
    "case.cancelled": _t(
        "已撤销",
        "Cancelled",
        "您关注的 {number} 已撤销",
        "{number}, which you follow, was cancelled",
    ),
    "case.rework": _t(
        "正在返工",
        "Sent back for rework",
        "您关注的 {number} 核查未通过，已要求返工",
        "{number}, which you follow, failed the check and is being redone",
    ),
    "case.returned": _t(
        "等待重新派遣",
        "Being reassigned",
        "您关注的 {number} 正在重新派遣",
        "{number}, which you follow, is being reassigned",
    ),
    "case.suspended": _t(
        "挂账跟踪",
        "On hold",
        "您关注的 {number} 需长期处理，已挂账跟踪",
        "{number}, which you follow, needs long-term work; it is on hold and tracked",
    ),
}
FALLBACK = _t("案件进展", "Case update", "{number} 有新进展", "{number} has an update")
# Short status words for WeChat's ``phrase`` keyword (at most 5 characters).
PHRASES: dict[str, str] = {
    "case.received": "已收到",
    "case.accepted": "已受理",
    "case.dispatched": "处理中",
    "case.resolved": "已处理",
    "case.closed": "已结案",
    "case.reopened": "重新处理",
    "case.rejected": "未受理",
    "case.merged": "已合并",
    "case.cancelled": "已撤销",
    "case.rework": "返工中",
    "case.returned": "待派遣",
    "case.suspended": "挂账中",
}
