"""GET /api/citizen/signposts/{code}: the signpost, what is near, a report prefill; each
scan counted; forged and malformed codes refused."""

import datetime as dt

import pytest

from core import clock
from core.db import transaction
from org.service import create_grid
from qr import codes, scans
from tests.helpers import assert_problem
from tests.places.util import CENTER, add_place, fresh_index  # noqa: F401
from tests.qr.util import add_signpost


async def _grid() -> None:
    lat, lon = CENTER
    ring = [
        [lon - 0.01, lat - 0.01],
        [lon + 0.01, lat - 0.01],
        [lon + 0.01, lat + 0.01],
        [lon - 0.01, lat + 0.01],
        [lon - 0.01, lat - 0.01],
    ]
    async with transaction():
        await create_grid(
            code="370202001", name="八大关网格", polygon={"type": "Polygon", "coordinates": [ring]}
        )


async def test_scan_shows_the_sign_what_is_near_and_a_prefill(api):
    await _grid()
    admin = await api.staff("admin")
    sign = await add_signpost(api, admin)
    assert len(sign["code"]) == 10 and sign["gridCode"] == "370202001"
    assert sign["url"] == f"http://127.0.0.1:8000/q/{sign['code']}"
    for i in range(4):
        await add_place(api, admin, name=f"公厕{i}", north=100 * (i + 1))
    await add_place(
        api,
        admin,
        kind="parking",
        name="停车场",
        east=300,
        attributes={"total_spaces": 10, "free_spaces": 4},
    )
    await add_place(api, admin, kind="park", name="太远的公园", east=2500)
    response = await api.get(
        f"/api/citizen/signposts/{sign['code'].lower()}", params={"coordSys": "gcj02"}
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["code"] == sign["code"] and body["name"] == "建新北路与北城天街交叉口"
    assert [p["name"] for p in body["nearby"]["toilet"]] == ["公厕0", "公厕1", "公厕2"]
    assert [p["distanceM"] for p in body["nearby"]["toilet"]] == [100, 200, 300]
    assert body["nearby"]["parking"][0]["attributes"]["free_spaces"] == 4
    assert body["nearby"]["park"] == []
    assert body["location"]["coordSys"] == "gcj02"
    assert body["reportPrefill"] == {
        "location": body["location"],
        "address": "建新北路与北城天街交叉口",
        "gridId": sign["gridId"],
        "gridCode": "370202001",
        "signpostCode": sign["code"],
    }
    assert set(body["nearby"]["toilet"][0]["navigation"]) == {"amap", "baidu", "tencent", "apple"}


async def test_each_scan_is_counted_by_day_and_channel(api):
    # 2026-12-01 15:30 UTC is already 12-01 23:30 in Shanghai; +1h is 12-02.
    clock.travel(dt.datetime(2026, 12, 1, 15, 30, tzinfo=dt.UTC) - clock.now())
    sign = await add_signpost(api, await api.staff("admin"))
    await api.get(f"/api/citizen/signposts/{sign['code']}")
    await api.get(f"/q/{sign['code']}")
    clock.travel(dt.timedelta(hours=1))
    await api.get(f"/api/citizen/signposts/{sign['code']}")
    admin = await api.staff("admin")
    response = await api.get(
        f"/api/admin/signposts/{sign['code']}/scans", headers=admin.headers, params={"days": 3}
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["total"] == 3
    assert body["days"] == [
        {"day": "2026-11-30", "app": 0, "web": 0, "total": 0},
        {"day": "2026-12-01", "app": 1, "web": 1, "total": 2},
        {"day": "2026-12-02", "app": 1, "web": 0, "total": 1},
    ]


async def test_nothing_personal_is_kept_for_a_scan(api):
    from qr.tables import SignpostScan

    admin = await api.staff("admin")
    sign = await add_signpost(api, admin)
    citizen = await api.citizen()
    await api.get(f"/api/citizen/signposts/{sign['code']}", headers=citizen.headers)
    await scans.flush()  # what the API process's background task does every few seconds
    rows = await SignpostScan.select()
    assert len(rows) == 1
    assert set(rows[0]) == {"id", "signpost", "channel", "scanned_at"}


@pytest.mark.parametrize(
    ("code", "status", "problem"),
    [
        ("ABC", 422, "signpost.malformed_code"),
        ("ABCDE!2345", 422, "signpost.malformed_code"),
        ("X" * 33, 422, "signpost.malformed_code"),
    ],
)
async def test_malformed_codes(api, code, status, problem):
    assert_problem(await api.get(f"/api/citizen/signposts/{code}"), status, problem)


async def test_forged_and_unknown_codes(api):
    real = codes.new_code()
    forged = real[:5] + ("00000" if real[5:] != "00000" else "11111")
    assert_problem(await api.get(f"/api/citizen/signposts/{forged}"), 422, "signpost.counterfeit")
    assert_problem(await api.get(f"/api/citizen/signposts/{real}"), 404, "signpost.not_found")


async def test_damage_reports(api):
    admin = await api.staff("admin")
    sign = await add_signpost(api, admin)
    response = await api.post(
        f"/api/citizen/signposts/{sign['code']}/damage", json={"note": "二维码被涂抹"}
    )
    assert response.status_code == 202, response.text
    assert_problem(
        await api.post(f"/api/citizen/signposts/{sign['code']}/damage", json={"note": "x" * 501}),
        400,
        "request.invalid",
    )
    listed = await api.get("/api/admin/signposts/damage-reports", headers=admin.headers)
    assert [(r["code"], r["note"], r["channel"]) for r in listed.json()["items"]] == [
        (sign["code"], "二维码被涂抹", "app")
    ]
