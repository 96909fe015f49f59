"""The workbench's words, zh-CN and en, as ``{{ t("key") }}`` in the templates.

Domain messages come from the errors themselves (``exc.detail(locale)``) and categories from
the localized tree: only the pages' own wording lives here."""

from __future__ import annotations

from api.web.workbench.tools_texts import TOOLS_TEXTS
from core.i18n import Msg

TEXTS: dict[str, Msg] = {
    "app.name": Msg(zh="城市运行指挥工作台", en="City operations workbench"),
    "app.skip": Msg(zh="跳到正文", en="Skip to content"),
    "nav.label": Msg(zh="主导航", en="Main navigation"),
    "nav.queue": Msg(zh="案件队列", en="Case queue"),
    "nav.alerts": Msg(zh="告警", en="Alerts"),
    "nav.map": Msg(zh="地图", en="Map"),
    "nav.places": Msg(zh="服务点", en="Service points"),
    "nav.signposts": Msg(zh="指示牌", en="Signposts"),
    "nav.stats": Msg(zh="统计", en="Statistics"),
    "nav.signed_in_as": Msg(zh="当前用户：{name}（{role}）", en="Signed in as {name} ({role})"),
    "nav.sign_out": Msg(zh="退出登录", en="Sign out"),
    "role.operator": Msg(zh="指挥员", en="operator"),
    "role.supervisor": Msg(zh="督办领导", en="supervisor"),
    "role.admin": Msg(zh="管理员", en="administrator"),
    "signin.title": Msg(zh="登录", en="Sign in"),
    "signin.username": Msg(zh="用户名", en="Username"),
    "signin.password": Msg(zh="密码", en="Password"),
    "signin.submit": Msg(zh="登录", en="Sign in"),
    "signin.intro": Msg(
        zh="指挥员、督办领导和管理员使用工作人员账号登录。",
        en="Operators, supervisors and administrators sign in with their staff account.",
    ),
    "signin.missing": Msg(zh="请输入用户名和密码", en="Enter your username and password"),
    "error.title": Msg(zh="出错了", en="Something went wrong"),
    "error.back": Msg(zh="返回案件队列", en="Back to the case queue"),
    "error.reload": Msg(
        zh="页面已过期，请刷新后重试。", en="This page is out of date: reload it and try again."
    ),
    "error.not_found": Msg(zh="页面不存在", en="Page not found"),
    "error.forbidden": Msg(zh="无权访问此页面", en="You may not open this page"),
    "queue.title": Msg(zh="案件队列", en="Case queue"),
    "queue.caption": Msg(zh="我的范围内的案件，最新在前", en="Cases in my scope, newest first"),
    "queue.filters": Msg(zh="筛选案件", en="Filter cases"),
    "queue.number": Msg(zh="编号", en="Number"),
    "queue.light": Msg(zh="时限", en="SLA light"),
    "queue.state": Msg(zh="状态", en="State"),
    "queue.category": Msg(zh="类别", en="Category"),
    "queue.description": Msg(zh="描述与地址", en="Description and address"),
    "queue.unit": Msg(zh="责任单位", en="Unit"),
    "queue.grid": Msg(zh="网格", en="Grid"),
    "queue.source": Msg(zh="来源", en="Source"),
    "queue.reported": Msg(zh="上报时间", en="Reported"),
    "queue.text": Msg(zh="编号或关键词", en="Number or words"),
    "queue.from": Msg(zh="上报自", en="Reported from"),
    "queue.to": Msg(zh="上报至", en="Reported to"),
    "queue.any": Msg(zh="全部", en="Any"),
    "queue.apply": Msg(zh="筛选", en="Filter"),
    "queue.empty": Msg(zh="没有符合条件的案件", en="No cases match"),
    "queue.paging": Msg(zh="翻页", en="Pages"),
    "queue.first": Msg(zh="回到第一页", en="First page"),
    "queue.next": Msg(zh="下一页", en="Next page"),
    "queue.keys": Msg(zh="快捷键：] 下一页，[ 第一页", en="Keys: ] next page, [ first page"),
    "queue.live": Msg(zh="{count} 件案件有更新", en="{count} cases updated"),
    "light.green": Msg(zh="正常", en="on time"),
    "light.yellow": Msg(zh="预警", en="warning"),
    "light.red": Msg(zh="超时", en="overdue"),
    "source.citizen": Msg(zh="市民", en="citizen"),
    "source.inspector": Msg(zh="巡查", en="inspector"),
    "source.camera": Msg(zh="视频", en="camera"),
    "source.sensor": Msg(zh="传感器", en="sensor"),
    "source.hotline": Msg(zh="热线", en="hotline"),
    "loading": Msg(zh="加载中…", en="Loading…"),
}

TEXTS.update(TOOLS_TEXTS)  # the map, places, signposts and statistics pages' words


def text(locale: str, key: str, **params: object) -> str:
    return TEXTS[key].render(locale, **params)
