"""The statistics page: the API's stats and evaluation of the actor's scope as tables and
server-drawn SVG charts, CSV exports equal to the API's, bad periods refused."""

from __future__ import annotations

import datetime as dt

import pytest

from accounts.tables import Staff
from core import clock
from tests.api.web.workbench.support import signed_in
from tests.levels_city import build_levels, file_report


def _today() -> dt.date:
    return clock.now().astimezone(clock.city_zone()).date()


async def test_stats_page_tables_charts_and_exports(api):
    levels = await build_levels(api)
    await file_report(api)
    await file_report(api, seed=1)
    session = await signed_in(api, "operator")
    await Staff.update({Staff.org_unit_id: levels.centres["city"]}).where(
        Staff.id == session.subject_id
    )
    today = _today()
    params = {
        "from": (today - dt.timedelta(days=6)).isoformat(),
        "to": today.isoformat(),
        "groupBy": "source",
    }
    page = await api.get("/workbench/stats", params=params)
    assert page.status_code == 200, page.text
    html = page.text
    assert '<html lang="zh-CN">' in html and "统计与评价" in html
    assert "script-src 'self';" in page.headers["content-security-policy"]
    assert html.count('role="img"') == 3 and '<title id="chart-reported-title">' in html
    table = html.split('id="stats-table"')[1].split("</table>")[0]
    assert "<td>citizen</td>" in table and "<td>2</td>" in table and "合计" in table
    assert 'id="evaluation-table"' in html
    # The export is the API's CSV for the same period and scope.
    csv = await api.get("/workbench/stats/stats.csv", params=params)
    assert csv.status_code == 200 and csv.headers["content-type"].startswith("text/csv")
    since = f"{params['from']}T00:00:00+08:00"
    until = f"{(today + dt.timedelta(days=1)).isoformat()}T00:00:00+08:00"
    same = await api.get(
        "/api/admin/stats",
        params={"from": since, "to": until, "groupBy": "source", "format": "csv"},
        headers=levels.city_op.headers,
    )
    assert csv.content == same.content
    evaluation = await api.get("/workbench/stats/evaluation.csv", params=params)
    assert evaluation.status_code == 200 and b"rank" in evaluation.content.splitlines()[0]
    en = await api.get("/workbench/stats", params=params, headers={"Accept-Language": "en"})
    assert '<html lang="en">' in en.text and "Statistics and evaluation" in en.text


async def test_stats_follow_the_scope(api):
    levels = await build_levels(api)
    await file_report(api)  # 市南区
    session = await signed_in(api, "operator")
    await Staff.update({Staff.org_unit_id: levels.centres["north"]}).where(
        Staff.id == session.subject_id
    )
    page = await api.get("/workbench/stats", params={"groupBy": "source"})
    table = page.text.split('id="stats-table"')[1].split("</table>")[0]
    assert "该时段没有案件" in table


@pytest.mark.parametrize(
    ("params", "status", "text"),
    [
        ({"from": "2026-03-02", "to": "2026-03-01"}, 422, "起止日期须有序"),
        ({"from": "2024-01-01", "to": "2026-03-01"}, 422, "366"),
        ({"from": "2026-02-30"}, 400, ""),
        ({"groupBy": "weather"}, 400, ""),
        ({"level": "planet"}, 400, ""),
    ],
)
async def test_bad_stats_queries_are_refused(api, params, status, text):
    await signed_in(api, "operator")
    response = await api.get("/workbench/stats", params=params)
    assert response.status_code == status, response.text
    assert text in response.text
    export = await api.get("/workbench/stats/stats.csv", params=params)
    assert export.status_code == status
