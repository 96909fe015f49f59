"""How a case's states and steps read to a citizen: plain words, no staff names."""

from __future__ import annotations

from core.i18n import Msg

STATE_LABELS: dict[str, Msg] = {
    "reported": Msg(zh="已上报", en="Reported"),
    "accepted": Msg(zh="已立案", en="Accepted"),
    "dispatched": Msg(zh="处置中", en="Being handled"),
    "resolved": Msg(zh="待核查", en="Fixed, being checked"),
    "closed": Msg(zh="已结案", en="Closed"),
    "rejected": Msg(zh="未受理", en="Not accepted"),
    "merged": Msg(zh="已合并", en="Merged"),
    "cancelled": Msg(zh="已撤销", en="Cancelled"),
    "returned": Msg(zh="待重新派遣", en="Waiting to be reassigned"),
    "suspended": Msg(zh="挂账处理", en="On hold"),
}

CITIZEN_STEPS: dict[str, Msg] = {
    "report": Msg(zh="您的上报已提交", en="Your report was received"),
    "accept": Msg(zh="已受理立案", en="Accepted as a case"),
    "dispatch": Msg(zh="已派遣至责任单位处理", en="Sent to the unit responsible"),
    "redispatch": Msg(zh="已改派其他单位处理", en="Sent to another unit"),
    "resume": Msg(zh="已恢复处理", en="Handling resumed"),
    "resolve": Msg(
        zh="责任单位已处理完成，等待核查", en="The unit reports it fixed; being checked"
    ),
    "close": Msg(zh="已核查结案，欢迎评价", en="Checked and closed; please rate"),
    "reject": Msg(zh="未予受理：{note}", en="Not accepted: {note}"),
    "merge": Msg(zh="与已有上报合并处理（{note}）", en="Merged with an earlier report ({note})"),
    "cancel": Msg(zh="已撤销：{note}", en="Cancelled: {note}"),
    "rework": Msg(zh="核查未通过，已要求返工", en="The check failed; sent back for rework"),
    "reopen": Msg(zh="已根据您的反馈重新处理", en="Reopened after your feedback"),
    "return": Msg(zh="已退回，等待重新派遣", en="Returned; waiting to be reassigned"),
    "transfer": Msg(zh="已退回，等待重新派遣", en="Returned; waiting to be reassigned"),
    "suspend": Msg(zh="需长期处理，已挂账跟踪", en="Needs long-term work; on hold and tracked"),
    "rate": Msg(zh="您已评价", en="You rated the handling"),
    "withdraw": Msg(zh="您已撤回上报", en="You withdrew the report"),
    "survey": Msg(zh="您已完成满意度回访", en="You answered the satisfaction survey"),
}


# What a follower reads (cases.visibility): the steps anyone may know of, without notes and
# without the words meant for the reporter ("your report", "please rate").
PUBLIC_STEPS: dict[str, Msg] = {
    **{
        action: CITIZEN_STEPS[action]
        for action in (
            "accept",
            "dispatch",
            "redispatch",
            "resume",
            "resolve",
            "rework",
            "return",
            "transfer",
            "suspend",
        )
    },
    "report": Msg(zh="已上报", en="Reported"),
    "close": Msg(zh="已核查结案", en="Checked and closed"),
    "reopen": Msg(zh="已重新处理", en="Reopened"),
}


def state_label(state: str, locale: str) -> str:
    label = STATE_LABELS.get(state)
    return label.render(locale) if label else state


# A resolve without an after-photo carries the written reason instead; the reporter is told
# which (a photo shows it, a reason says it).
RESOLVED_WITH_PHOTOS = Msg(
    zh="责任单位已处理完成（附现场照片），等待核查",
    en="The unit reports it fixed, with photos; being checked",
)
RESOLVED_WITH_REASON = Msg(
    zh="责任单位已处理完成，说明：{note}；等待核查",
    en="The unit reports it fixed: {note}; being checked",
)


def citizen_step(
    action: str, note: str, locale: str, *, mine: bool = True, with_photos: bool = False
) -> str | None:
    """None for internal steps (reminders, escalations, requests, staff notes) citizens do
    not see; a follower (``mine`` False) reads the public steps only."""
    if action == "resolve" and mine:
        step = RESOLVED_WITH_PHOTOS if with_photos or not note else RESOLVED_WITH_REASON
        return step.render(locale, note=note)
    step = (CITIZEN_STEPS if mine else PUBLIC_STEPS).get(action)
    return step.render(locale, note=note if mine else "") if step else None


# What staff read when a step is refused: the step's name, not its code.
ACTION_LABELS: dict[str, Msg] = {
    "accept": Msg(zh="受理立案", en="accept"),
    "reject": Msg(zh="不予受理", en="reject"),
    "merge": Msg(zh="合并", en="merge"),
    "cancel": Msg(zh="撤销", en="cancel"),
    "withdraw": Msg(zh="撤回", en="withdraw"),
    "dispatch": Msg(zh="派遣", en="dispatch"),
    "redispatch": Msg(zh="改派", en="redispatch"),
    "resume": Msg(zh="恢复处理", en="resume"),
    "suspend": Msg(zh="挂账", en="suspend"),
    "resolve": Msg(zh="处置完成", en="resolve"),
    "close": Msg(zh="结案", en="close"),
    "check": Msg(zh="核查", en="check"),
    "rework": Msg(zh="返工", en="send back for rework"),
    "reopen": Msg(zh="重新处理", en="reopen"),
    "return": Msg(zh="回退", en="hand back"),
    "verify": Msg(zh="核实", en="verify"),
    "assign": Msg(zh="指派", en="assign"),
    "acknowledge": Msg(zh="签收", en="acknowledge"),
    "transfer": Msg(zh="转办", en="transfer"),
    "assist": Msg(zh="协办", en="add assisting units"),
    "assist report": Msg(zh="协办反馈", en="report the assisting part"),
    "recategorize": Msg(zh="更改类别", en="recategorize"),
    "request extension": Msg(zh="申请延期", en="request an extension"),
    "request return": Msg(zh="申请回退", en="request a return"),
    "held for review": Msg(zh="待人工核实", en="held for review"),
    "clear": Msg(zh="告警解除", en="alarm cleared"),
    "alarm cleared": Msg(zh="告警解除", en="alarm cleared"),
}


def action_label(action: str, locale: str) -> str:
    label = ACTION_LABELS.get(action)
    return label.render(locale) if label else action
