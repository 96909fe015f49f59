"""A 12345 hotline caller without the app: the hotline platform files the request through
Open311 with the caller's ``phone``; the caller follows the case and hears of it by SMS."""

from __future__ import annotations

import pytest

from accounts.api_keys import create_api_client
from accounts.tables import Citizen
from core.db import transaction
from tests.cases_city import IN_GRID, build_city
from tests.sms_support import at_city_hour, received, reset, texting_outbox

V2 = "/open311/v2"


@pytest.fixture
async def hotline(api):
    reset()
    at_city_hour(12)  # outside the quiet hours of texts to citizens
    city = await build_city(api)
    async with transaction():
        key = (await create_api_client(name="hotline-12345", kind="system")).key
    box = texting_outbox("aliyun")
    yield city, key, box
    await box.aclose()
    reset()


def _form(key: str, **extra) -> dict:
    return {
        "api_key": key,
        "service_code": "E0102",
        "lat": str(IN_GRID[0]),
        "long": str(IN_GRID[1]),
        "description": "市民来电：道路上有垃圾",
        **extra,
    }


async def test_the_caller_hears_of_the_case_by_text(api, hotline):
    city, key, box = hotline
    filed = await api.post(f"{V2}/requests.json", data=_form(key, phone="138-0013-8200"))
    assert filed.status_code == 201, filed.text
    request_id = filed.json()[0]["service_request_id"]
    await box.drain()
    [first] = received("aliyun")
    assert first["phone"] == "13800138200" and first["params"]["status"] == "已收到"
    rejected = await api.post(
        f"/api/admin/cases/{request_id}/reject",
        json={"reason": "不属于城市管理范围"},
        headers=city.operator.headers,
    )
    assert rejected.status_code == 200, rejected.text
    await box.drain()
    assert [t["params"]["status"] for t in received("aliyun")] == ["已收到", "未受理"]


async def test_a_caller_who_calls_again_is_one_citizen(api, hotline):
    _, key, box = hotline
    for _ in range(2):
        filed = await api.post(f"{V2}/requests.json", data=_form(key, phone="13800138201"))
        assert filed.status_code == 201, filed.text
    assert await Citizen.count().where(Citizen.phone == "+8613800138201") == 1
    await box.drain()
    assert len(received("aliyun")) == 2


async def test_an_invalid_caller_phone_files_nothing(api, hotline):
    _, key, _ = hotline
    refused = await api.post(f"{V2}/requests.json", data=_form(key, phone="12345"))
    assert refused.status_code == 422 and refused.json()[0]["code"] == 422
    listed = await api.get(f"{V2}/requests.json")
    assert listed.json() == []
