"""An urgent case is paged by SMS to its unit's staff at dispatch, and paged again while
nobody of the unit acknowledges it (签收, or a step on the case) past its limit
(CITYOPS_URGENT_ACK_MINUTES, 15), every CITYOPS_SMS_REPAGE_MINUTES, at most
CITYOPS_SMS_REPAGE_MAX times; through the filing API, the periodic tick, the outbox and the
Aliyun fake."""

from __future__ import annotations

import datetime as dt

import pytest

import cases.paging
from accounts.tables import Staff
from cases.tasks import sla_tick
from core import clock
from notify.worker import Outbox
from tests.cases_city import IN_GRID, build_city
from tests.helpers import upload_photo
from tests.sms_support import TEMPLATES, received, reset, texting_outbox

GAS_LEAK = "E0403"  # urgent: accepted and dispatched to the gas company at once
PHONE = "13900139001"


@pytest.fixture
async def paging(api, monkeypatch):
    reset()
    box = texting_outbox("aliyun", sms_repage_minutes=10, sms_repage_max=2)
    monkeypatch.setattr(cases.paging, "get_settings", lambda: box.settings)
    city = await build_city(api)
    await Staff.update({Staff.phone: "+86" + PHONE}).where(Staff.id == city.handler_gas.subject_id)
    citizen = await api.citizen()
    media = [await upload_photo(api.client, citizen)]
    filed = await api.post(
        "/api/citizen/reports",
        headers=citizen.headers,
        json={
            "category": GAS_LEAK,
            "location": {"lat": IN_GRID[0], "lon": IN_GRID[1]},
            "mediaIds": media,
            "description": "燃气管道破裂，有气味",
        },
    )
    assert filed.status_code == 201, filed.text
    assert filed.json()["state"] == "dispatched"
    await box.drain()
    yield box, city
    await box.aclose()
    reset()


def _pages() -> list[str]:
    return [t["templateCode"] for t in received("aliyun") if t["phone"] == PHONE]


async def _later(box: Outbox, minutes: int) -> None:
    clock.travel(dt.timedelta(minutes=minutes))
    await sla_tick()
    await box.drain()


async def test_unacknowledged_urgent_cases_are_paged_again_up_to_the_maximum(api, paging):
    box, _ = paging
    urgent = TEMPLATES["aliyun"]["urgent_case"][0]
    assert _pages() == [urgent]  # at dispatch
    await _later(box, 14)
    assert len(_pages()) == 1  # not yet due
    await _later(box, 2)
    assert len(_pages()) == 2
    await _later(box, 1)
    assert len(_pages()) == 2  # one page per round, however often the tick runs
    await _later(box, 10)
    await _later(box, 10)
    await _later(box, 30)
    assert len(_pages()) == 3  # the first page and two more


async def test_acknowledging_it_stops_the_pages(api, paging):
    box, city = paging
    cases = await api.get("/api/inspector/tasks?kind=handle", headers=city.handler_gas.headers)
    case_id = cases.json()["items"][0]["case"]["id"]
    acked = await api.post(
        f"/api/inspector/cases/{case_id}/acknowledge", headers=city.handler_gas.headers
    )
    assert acked.status_code == 200, acked.text
    await _later(box, 16)
    await _later(box, 11)
    assert len(_pages()) == 1


async def test_a_step_by_the_unit_acknowledges_it(api, paging):
    box, city = paging
    cases = await api.get("/api/inspector/tasks?kind=handle", headers=city.handler_gas.headers)
    case_id = cases.json()["items"][0]["case"]["id"]
    asked = await api.post(
        f"/api/inspector/cases/{case_id}/request-extension",
        headers=city.handler_gas.headers,
        json={"hours": 4, "reason": "需要关阀停气后抢修"},
    )
    assert asked.status_code in (200, 201), asked.text
    await _later(box, 16)
    assert len(_pages()) == 1
