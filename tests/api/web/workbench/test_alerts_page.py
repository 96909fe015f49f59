"""The alerts page: my centre's alerts, most urgent first, acknowledged from the page."""

from __future__ import annotations

import re

from cases import alerts
from cases.access import load_case
from core.db import transaction
from tests.api.web.workbench.support import csrf_of, file_report, sign_in_as
from tests.cases_city import build_city


async def test_alerts_urgent_first_and_acknowledged_from_the_page(api):
    city = await build_city(api)
    citizen = await api.citizen()
    case_id = await file_report(api, citizen, seed=20)
    async with transaction():
        case = await load_case(case_id)
        await alerts.raise_alert("sla_yellow", case=case)
        await alerts.raise_alert("unacknowledged", case=case)
    await sign_in_as(api, city.operator)
    page = await api.get("/workbench/alerts")
    assert page.status_code == 200 and "<h1>告警</h1>" in page.text
    ids = re.findall(r'<tr id="alert-(\d+)"', page.text)
    assert len(ids) == 2
    assert page.text.index("紧急案件无人签收") < page.text.index("时限预警")  # urgent first
    urgent = ids[0]
    done = await api.post(
        f"/workbench/alerts/{urgent}/acknowledge",
        data={"_csrf_token": csrf_of(page.text)},
        headers={"HX-Request": "true"},
    )
    assert done.status_code == 200 and "<html" not in done.text and "已确认" in done.text
    listed = await api.get(
        "/api/admin/alerts", params={"status": "unacknowledged"}, headers=city.operator.headers
    )
    assert [a["id"] for a in listed.json()["items"]] == [int(ids[1])]
    en = await api.get("/workbench/alerts", headers={"Accept-Language": "en"})
    assert "Urgent case not acknowledged" in en.text and en.headers["content-language"] == "en"
