"""Earning rules through the real workflow: reports filed and moved over HTTP."""

import datetime as dt
import itertools
import json

import pytest

from core import clock
from core.db import transaction
from org.categories import update_category
from tests.cases_city import AUTO_CATEGORY, build_city
from tests.helpers import refreshed, upload_photo, with_taken_at
from tests.points.support import report_with
from tests.rewards.support import balance, citizen_id, history, ledger_sums, public_citizen_id

REPORTS = "/api/citizen/reports"
VERIFY_CATEGORY = "E0102"  # 暴露垃圾: waits for an operator or inspector to accept
# Distinct pictures unless a test sends one twice: a seed drawn at random once collided and
# the duplicate-photo rule (rightly) withheld the award.
_seeds = itertools.count(100)


@pytest.fixture
async def city(api):
    city = await build_city(api)
    async with transaction():
        await update_category(code=VERIFY_CATEGORY, points_on_accept=5, points_on_close=10)
        await update_category(code=AUTO_CATEGORY, points_on_accept=3, points_on_close=0)
    return city


async def _report(api, citizen, *, category=VERIFY_CATEGORY, seed=None):
    seed = seed if seed is not None else next(_seeds)
    body = {
        "category": category,
        "location": {"lat": 36.0572, "lon": 120.3738},
        "mediaIds": [await upload_photo(api.client, citizen, seed=seed)],
    }
    response = await api.post(REPORTS, json=body, headers=citizen.headers)
    assert response.status_code == 201, response.text
    return response.json()["id"]


async def _act(api, city, case_id, action, **body):
    response = await api.post(
        f"/api/admin/cases/{case_id}/{action}", json=body, headers=city.operator.headers
    )
    assert response.status_code == 200, response.text
    return response.json()


async def _close(api, city, case_id):
    await _act(api, city, case_id, "resolve", note="已清理")
    return await _act(api, city, case_id, "close")


async def test_accept_and_close_earn_the_category_points_once(api, city):
    citizen = await api.citizen()
    case_id = await _report(api, citizen)
    assert await balance(api, citizen) == 0  # filing alone earns nothing
    await _act(api, city, case_id, "accept")
    assert await balance(api, citizen) == 5
    await _close(api, city, case_id)
    assert await balance(api, citizen) == 15
    # Unsatisfied: reopened, fixed again, closed again: the close award is not paid twice.
    rated = await api.post(
        f"{REPORTS}/{case_id}/rating", json={"score": 2}, headers=citizen.headers
    )
    assert rated.status_code == 200
    assert await balance(api, citizen) == 17  # rating points (setting, default 2)
    reopened = await api.post(
        f"{REPORTS}/{case_id}/reopen", json={"reason": "没修好"}, headers=citizen.headers
    )
    assert reopened.status_code == 200, reopened.text
    await _close(api, city, case_id)
    assert await balance(api, citizen) == 17
    entries = await history(api, citizen)
    assert [(e["kind"], e["amount"], e["code"], e["note"]) for e in entries] == [
        ("earn", 2, "case_rated", ""),
        ("earn", 10, "case_fixed", ""),
        ("earn", 5, "case_accepted", ""),
    ]
    assert [e["description"] for e in entries] == [
        "评价办理结果奖励",
        "举报问题已核实解决奖励",
        "举报已立案奖励",
    ]
    english = await api.get(
        "/api/citizen/points/history", headers={**citizen.headers, "Accept-Language": "en"}
    )
    assert [e["description"] for e in english.json()["items"]] == [
        "Rated the outcome",
        "Reported problem verified fixed",
        "Report accepted",
    ]
    expires = dt.datetime.fromisoformat(entries[0]["expiresAt"])
    assert expires.astimezone(clock.city_zone()).date() == dt.date(clock.city_now().year + 2, 1, 1)


async def test_auto_accepted_report_earns_at_once(api, city):
    citizen = await api.citizen()
    await _report(api, citizen, category=AUTO_CATEGORY)
    assert await balance(api, citizen) == 3


async def test_rejected_report_earns_nothing(api, city):
    citizen = await api.citizen()
    case_id = await _report(api, citizen)
    await _act(api, city, case_id, "reject", reason="不属于城市管理问题")
    assert await balance(api, citizen) == 0 and await history(api, citizen) == []


async def test_accepted_case_later_rejected_is_reversed(api, city):
    citizen = await api.citizen()
    case_id = await _report(api, citizen)
    await _act(api, city, case_id, "accept")  # auto-dispatched
    assert await balance(api, citizen) == 5
    await _act(api, city, case_id, "reject", reason="核实为虚假上报")
    assert await balance(api, citizen) == 0
    entries = await history(api, citizen)
    assert [(e["kind"], e["amount"]) for e in entries] == [("adjust", -5), ("earn", 5)]
    assert (entries[0]["code"], entries[0]["description"]) == (
        "case_reversed",
        "举报被判定无效，收回积分",
    )
    board = (await api.get("/api/citizen/points/leaderboard", headers=citizen.headers)).json()
    assert board["leaders"] == []


async def test_reversal_never_takes_the_balance_below_zero(api, city):
    citizen, admin = await api.citizen(), await api.staff("admin")
    case_id = await _report(api, citizen)
    await _act(api, city, case_id, "accept")
    spend = await api.post(
        "/api/admin/points/adjust",
        headers=admin.headers,
        json={"citizenId": public_citizen_id(citizen), "amount": -3, "reason": "测试扣减"},
    )
    assert spend.status_code == 201
    await _act(api, city, case_id, "reject", reason="虚假")
    assert await balance(api, citizen) == 0
    reversal = (await history(api, citizen))[0]
    assert (reversal["code"], reversal["note"]) == ("case_reversed_partly", "3")
    assert "3 分已使用" in reversal["description"]


async def test_merged_duplicate_is_reversed_and_first_reporter_earns_the_bonus(api, city):
    first, second = await api.citizen(), await api.citizen()
    original = await _report(api, first)
    await _act(api, city, original, "accept")
    copy = await _report(api, second)
    # Accepted but not dispatched yet (merging is allowed up to then).
    from cases import command
    from core.actors import Actor

    operator = Actor(kind="staff", id=city.operator.subject_id, role="operator")
    async with transaction():
        await command.accept(actor=operator, case_id=copy, auto_dispatch=False)
    assert (await balance(api, first), await balance(api, second)) == (5, 5)
    await _act(api, city, copy, "merge", intoCaseId=original)
    # The first reporter found it first: the bonus (CITYOPS_POINTS_FIRST_FOUND_BONUS, 5).
    assert (await balance(api, first), await balance(api, second)) == (10, 0)
    assert [(e["code"], e["amount"]) for e in await history(api, first)] == [
        ("first_found", 5),
        ("case_accepted", 5),
    ]
    # Once per case: a third report of it merged in pays nothing more; nor does the first
    # reporter's own second report of it.
    third = await api.citizen()
    for reporter in (third, first):
        await _act(api, city, await _report(api, reporter), "merge", intoCaseId=original)
    assert await balance(api, first) == 10


async def test_first_found_needs_an_accepted_original(api, city):
    first, second = await api.citizen(), await api.citizen()
    original = await _report(api, first)  # not accepted (yet)
    await _act(api, city, await _report(api, second), "merge", intoCaseId=original)
    assert await history(api, first) == []


async def test_reported_then_merged_earns_nothing(api, city):
    first, second = await api.citizen(), await api.citizen()
    original = await _report(api, first)
    copy = await _report(api, second)
    await _act(api, city, copy, "merge", intoCaseId=original)
    assert await balance(api, second) == 0 and await history(api, second) == []


async def test_only_the_first_reporter_earns(api, city):
    reporter, follower = await api.citizen(), await api.citizen()
    case_id = await _report(api, reporter)
    await _act(api, city, case_id, "accept")  # only a public case can be followed
    followed = await api.post(f"{REPORTS}/{case_id}/follow", headers=follower.headers)
    assert followed.status_code == 200
    await _close(api, city, case_id)
    assert (await balance(api, reporter), await balance(api, follower)) == (15, 0)


async def test_staff_reports_earn_nothing(api, city):
    from cases import reporting
    from core.actors import Actor

    inspector = city.inspector
    photo = await upload_photo(api.client, inspector, app="inspector", seed=77)
    actor = Actor(kind="staff", id=inspector.subject_id, role="inspector")
    async with transaction():
        await reporting.file_staff_report(
            actor=actor,
            report=reporting.NewCase(
                category_code=VERIFY_CATEGORY, lat=36.0572, lon=120.3738, media_ids=[photo]
            ),
        )
    assert await ledger_sums() == {}


async def test_daily_cap(api, city, monkeypatch):
    from core.settings import reload_settings
    from points.tables import PointsEntry

    monkeypatch.setenv("CITYOPS_POINTS_DAILY_CAP", "12")
    reload_settings()
    try:
        citizen = await api.citizen()
        for _ in range(4):
            await _act(api, city, await _report(api, citizen), "accept")
        assert await balance(api, citizen) == 12
        # The fourth report earns nothing and writes nothing; it still ranks (below).
        entries = await history(api, citizen)
        assert [(e["amount"], e["code"], e["note"]) for e in entries] == [
            (2, "case_accepted", ""),
            (5, "case_accepted", ""),
            (5, "case_accepted", ""),
        ]
        assert entries[0]["description"] == "举报已立案奖励（已达每日上限）"
        assert await PointsEntry.count().where(PointsEntry.amount == 0) == 0
        # The next city day starts a new allowance.
        clock.travel(dt.timedelta(days=1))
        citizen = await refreshed(api.client, citizen)
        city.operator = await refreshed(api.client, city.operator)
        await _act(api, city, await _report(api, citizen), "accept")
        assert await balance(api, citizen) == 17
        board = (await api.get("/api/citizen/points/leaderboard", headers=citizen.headers)).json()
        if clock.city_now().day != 1:  # the month did not just turn over
            assert board["leaders"][0]["acceptedReports"] == 5
    finally:
        monkeypatch.delenv("CITYOPS_POINTS_DAILY_CAP")
        reload_settings()


async def test_duplicate_photo_earns_nothing_and_flags_the_report(api, city):
    first, second = await api.citizen(), await api.citizen()
    original = await _report(api, first, seed=4242)
    await _act(api, city, original, "accept")
    copy = await _report(api, second, seed=4242)  # the same picture, sent again
    detail = await _act(api, city, copy, "accept")
    assert "duplicate_photo" in detail["case"]["flags"]
    await _close(api, city, copy)
    assert (await balance(api, first), await balance(api, second)) == (5, 0)
    # The original is not a duplicate of its copy.
    await _close(api, city, original)
    assert await balance(api, first) == 15
    original_detail = (
        await api.get(f"/api/admin/cases/{original}", headers=city.operator.headers)
    ).json()
    assert "duplicate_photo" not in original_detail["case"]["flags"]


async def test_same_photo_after_the_window_earns_again(api, city):
    first = await api.citizen()
    await _act(api, city, await _report(api, first, seed=5151), "accept")
    clock.travel(dt.timedelta(days=31))
    second = await api.citizen()
    city.operator = await api.staff("operator")
    await _act(api, city, await _report(api, second, seed=5151), "accept")
    assert await balance(api, second) == 5


async def test_each_award_queues_one_points_earned_notification(api, city):
    from notify.tables import NotificationJob

    citizen = await api.citizen()
    case_id = await _report(api, citizen)
    await _act(api, city, case_id, "accept")
    await _close(api, city, case_id)
    jobs = await NotificationJob.objects().where(NotificationJob.template == "points.earned")
    assert sorted(json.loads(j.params)["points"] for j in jobs) == [5, 10]
    assert {j.recipient_id for j in jobs} == {citizen_id(citizen)}


def _altered(seed: int, change: str) -> bytes:
    """The test photo of ``seed``, mirrored, turned or cropped, as a copier would send it."""
    import io

    from PIL import Image

    from tests.helpers import jpeg_bytes

    image = Image.open(io.BytesIO(jpeg_bytes(seed=seed)))
    width, height = image.size
    image = {
        "mirror": lambda: image.transpose(Image.Transpose.FLIP_LEFT_RIGHT),
        "flip": lambda: image.transpose(Image.Transpose.FLIP_TOP_BOTTOM),
        "rot90": lambda: image.transpose(Image.Transpose.ROTATE_90),
        "rot180": lambda: image.transpose(Image.Transpose.ROTATE_180),
        "rot270": lambda: image.transpose(Image.Transpose.ROTATE_270),
        # 85 % of each side, off centre, then turned a quarter and mirrored
        "crop": lambda: (
            image.crop((int(width * 0.1), int(height * 0.05), width, height))
            .transpose(Image.Transpose.ROTATE_90)
            .transpose(Image.Transpose.FLIP_LEFT_RIGHT)
        ),
    }[change]()
    out = io.BytesIO()
    image.save(out, "JPEG", quality=80)
    return out.getvalue()


@pytest.mark.parametrize("change", ["mirror", "flip", "rot90", "rot180", "rot270", "crop"])
async def test_turned_mirrored_or_cropped_copy_earns_nothing(api, city, change):
    first, second = await api.citizen(), await api.citizen()
    original = await _report(api, first, seed=6161)
    await _act(api, city, original, "accept")
    copy = await report_with(
        api, second, with_taken_at(_altered(6161, change)), category=VERIFY_CATEGORY
    )
    detail = await _act(api, city, copy["id"], "accept")
    assert "duplicate_photo" in detail["case"]["flags"]
    assert (await balance(api, first), await balance(api, second)) == (5, 0)
