"""Citizen report photos that fail the evidence checks: the report files, its points are
held until a person accepts it (a staff accept, or a release), and a release pays once."""

import asyncio
import datetime as dt

import pytest

from core import clock
from core.db import transaction
from org.categories import update_category
from tests.cases_city import AUTO_CATEGORY, build_city
from tests.helpers import jpeg_bytes, with_taken_at
from tests.points.support import report_with
from tests.rewards.support import balance

VERIFY_CATEGORY = "E0102"


@pytest.fixture
async def city(api):
    city = await build_city(api)
    async with transaction():
        await update_category(code=VERIFY_CATEGORY, points_on_accept=5, points_on_close=10)
        await update_category(code=AUTO_CATEGORY, points_on_accept=3, points_on_close=0)
    return city


async def _report(api, citizen, photo: bytes, *, category=AUTO_CATEGORY) -> dict:
    return await report_with(api, citizen, photo, category=category)


async def _detail(api, city, case_id):
    response = await api.get(f"/api/admin/cases/{case_id}", headers=city.operator.headers)
    return response.json()["case"]


def _release(api, headers, case_id):
    return api.post(f"/api/admin/points/holds/{case_id}/release", json={}, headers=headers)


async def test_photo_without_exif_files_but_earns_once_released(api, city):
    citizen = await api.citizen()
    case = await _report(api, citizen, jpeg_bytes(seed=9001))  # no EXIF at all
    flags = (await _detail(api, city, case["id"]))["flags"]
    assert "report_evidence_no_exif" in flags
    assert await balance(api, citizen) == 0  # auto-accepted by the rules: held, not paid
    mine = await api.get("/api/citizen/points", headers=citizen.headers)
    assert mine.json()["held"] == 3 and mine.json()["balance"] == 0
    held = (await api.get("/api/citizen/points/held", headers=citizen.headers)).json()["items"]
    assert [(h["caseId"], h["amount"], h["code"], h["heldFor"]) for h in held] == [
        (case["id"], 3, "case_accepted", "evidence")
    ]
    assert held[0]["caseNumber"] == case["number"] and held[0]["heldDescription"]
    other = await api.citizen()
    assert (await api.get("/api/citizen/points/held", headers=other.headers)).json() == {
        "items": []
    }

    response = await _release(api, city.operator.headers, case["id"])
    assert response.status_code == 200, response.text
    assert response.json() == {"caseId": case["id"], "releasedPoints": 3}
    assert await balance(api, citizen) == 3
    mine = await api.get("/api/citizen/points", headers=citizen.headers)
    assert mine.json()["held"] == 0
    assert (await api.get("/api/citizen/points/held", headers=citizen.headers)).json() == {
        "items": []
    }
    admin = await api.staff("admin")
    audit = (await api.get("/api/admin/audit", headers=admin.headers)).json()["items"]
    assert any(e["action"] == "points.release" and e["targetId"] == case["id"] for e in audit)

    again = await _release(api, city.operator.headers, case["id"])
    assert again.status_code == 409
    assert again.json()["code"] == "points.nothing_held"
    assert await balance(api, citizen) == 3


async def test_old_photo_is_paid_when_a_person_accepts_the_report(api, city):
    citizen = await api.citizen()
    old = clock.now() - dt.timedelta(days=3)
    case = await _report(
        api, citizen, with_taken_at(jpeg_bytes(seed=9002), old), category=VERIFY_CATEGORY
    )
    assert "report_evidence_stale" in (await _detail(api, city, case["id"]))["flags"]
    response = await api.post(
        f"/api/admin/cases/{case['id']}/accept", json={}, headers=city.operator.headers
    )
    assert response.status_code == 200, response.text
    assert await balance(api, citizen) == 5  # an operator accepting it is the person's look


async def test_camera_photo_earns_at_once(api, city):
    citizen = await api.citizen()
    case = await _report(api, citizen, with_taken_at(jpeg_bytes(seed=9003)))
    assert not {
        f for f in (await _detail(api, city, case["id"]))["flags"] if f.startswith("report_")
    }
    assert await balance(api, citizen) == 3
    response = await _release(api, city.operator.headers, case["id"])
    assert response.json()["code"] == "points.nothing_held"


async def test_rejected_report_forfeits_held_points(api, city):
    citizen = await api.citizen()
    case = await _report(api, citizen, jpeg_bytes(seed=9004))
    response = await api.post(
        f"/api/admin/cases/{case['id']}/reject",
        json={"reason": "假照片"},
        headers=city.operator.headers,
    )
    assert response.status_code == 200, response.text
    assert (await _release(api, city.operator.headers, case["id"])).status_code == 409
    assert await balance(api, citizen) == 0


async def test_release_needs_a_case_in_scope(api, city):
    citizen = await api.citizen()
    case = await _report(api, citizen, jpeg_bytes(seed=9005))
    unknown = await _release(api, city.operator.headers, "k_" + "0" * 20)
    assert unknown.status_code == 404
    as_citizen = await _release(api, citizen.headers, case["id"])
    assert as_citizen.status_code in (401, 403)
    assert await balance(api, citizen) == 0


async def test_racing_releases_pay_once(api, city):
    citizen = await api.citizen()
    case = await _report(api, citizen, jpeg_bytes(seed=9006))
    admin = (await api.staff("admin")).headers
    responses = await asyncio.gather(
        *(_release(api, h, case["id"]) for h in [city.operator.headers, admin] * 4)
    )
    assert sorted(r.status_code for r in responses) == [200] + [409] * 7
    assert await balance(api, citizen) == 3
