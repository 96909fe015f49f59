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
    "suspend": Msg(zh="需长期处理，已挂账跟踪", en="Needs long-term work; on hold and tracked"),
    "rate": Msg(zh="您已评价", en="You rated the handling"),
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


def citizen_step(action: str, note: str, locale: str, *, mine: bool = True) -> str | None:
    """None for internal steps (reminders, escalations, requests) citizens do not see; a
    follower (``mine`` False) reads the public steps only."""
    step = (CITIZEN_STEPS if mine else PUBLIC_STEPS).get(action)
    return step.render(locale, note=note if mine else "") if step else None
