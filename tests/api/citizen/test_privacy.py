"""PIPL through the citizen API: a copy of my data as one zip, closing my account (注销)
and my answer to the location notice."""

import asyncio
import io
import json
import zipfile

from accounts.tables import Citizen, Device, RefreshToken
from audit.tables import AuditEntry
from cases.tables import Case
from core.db import transaction
from core.settings import get_settings
from media.tables import Media
from notify.fanout import fan_out
from notify.service import enqueue
from notify.tables import InboxMessage, NotificationJob
from points.tables import PointsEntry
from tests.api.citizen.test_reports import _report
from tests.cases_city import AUTO_CATEGORY, build_city
from tests.helpers import assert_problem, upload_photo
from tests.rewards.support import public_citizen_id

ME = "/api/citizen/me"
CONSENT = f"{ME}/location-consent"


async def _citizen_with_data(api):
    """A citizen with a report (two photos), an unattached photo, points, a device and an
    inbox message."""
    city = await build_city(api)
    citizen = await api.citizen(openid="openid-privacy")
    case = (await _report(api, citizen, category=AUTO_CATEGORY, photos=2)).json()
    spare = await upload_photo(api.client, citizen, seed=9)
    adjust = {"citizenId": public_citizen_id(citizen), "amount": 7, "reason": "补发"}
    response = await api.post(
        "/api/admin/points/adjust", json=adjust, headers=(await api.staff("admin")).headers
    )
    assert response.status_code in (200, 201), response.text
    device = {"platform": "android", "token": "tok-privacy-0123456789"}
    response = await api.post("/api/citizen/devices", json=device, headers=citizen.headers)
    assert response.status_code in (200, 201), response.text
    async with transaction():
        await fan_out(channels=set(), settings=get_settings(), batch=100)
    return city, citizen, case, spare


async def test_the_export_holds_every_kind_of_data_and_the_photos(api):
    city, citizen, case, spare = await _citizen_with_data(api)
    response = await api.put(
        CONSENT, json={"version": "v2", "granted": True}, headers=citizen.headers
    )
    assert response.status_code == 200, response.text
    response = await api.get(f"{ME}/export", headers=citizen.headers)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/zip"
    assert "attachment" in response.headers["content-disposition"]
    assert "content-length" not in response.headers  # streamed as it is written
    archive = zipfile.ZipFile(io.BytesIO(response.content))
    assert archive.testzip() is None
    names = set(archive.namelist())
    data = {n: json.loads(archive.read(n)) for n in names if n.endswith(".json")}
    assert data["account.json"]["id"] == public_citizen_id(citizen)
    assert data["account.json"]["locationConsents"][0]["version"] == "v2"
    assert [r["id"] for r in data["reports.json"]] == [case["id"]]
    assert len(data["reports.json"][0]["photos"]) == 2
    photos = {p["id"] for p in data["photos.json"]}
    assert len(photos) == 3 and spare in photos
    assert {f"photos/{p}.jpg" for p in photos} <= names
    assert archive.read(f"photos/{spare}.jpg")[:2] == b"\xff\xd8"  # a JPEG
    ledger = data["points.json"]
    assert ledger["balance"] == sum(e["amount"] for e in ledger["entries"]) >= 7
    assert [d["platform"] for d in data["devices.json"]] == ["android"]
    assert "tok-privacy" not in json.dumps(data["devices.json"])  # push tokens are ours
    assert data["notifications.json"] and all("template" in n for n in data["notifications.json"])
    # Nothing of another citizen's.
    other = await api.citizen()
    mine = (await api.get(f"{ME}/export", headers=other.headers)).content
    other_data = zipfile.ZipFile(io.BytesIO(mine))
    assert json.loads(other_data.read("reports.json")) == []
    assert [n for n in other_data.namelist() if n.startswith("photos/")] == []
    assert await AuditEntry.count().where(AuditEntry.action == "citizen.export") == 2


async def test_exports_are_rate_limited_per_citizen(api, settings_env):
    settings_env(CITYOPS_PRIVACY_EXPORTS_PER_DAY="2")
    citizen = await api.citizen()
    for _ in range(2):
        assert (await api.get(f"{ME}/export", headers=citizen.headers)).status_code == 200
    limited = assert_problem(
        await api.get(f"{ME}/export", headers=citizen.headers), 429, "rate_limited"
    )
    assert limited["retryAfter"] > 0
    other = await api.citizen()
    assert (await api.get(f"{ME}/export", headers=other.headers)).status_code == 200


async def test_export_and_erasure_need_a_citizen_token(api):
    city = await build_city(api)
    assert_problem(await api.get(f"{ME}/export"), 401, "auth.required")
    assert_problem(await api.delete(ME), 401, "auth.required")
    assert (await api.get(f"{ME}/export", headers=city.operator.headers)).status_code in (401, 403)
    assert (await api.delete(ME, headers=city.operator.headers)).status_code in (401, 403)


async def test_closing_the_account_erases_the_person_and_keeps_the_city_s_record(api):
    city, citizen, case, spare = await _citizen_with_data(api)
    citizen_id = (
        await Citizen.select(Citizen.id)
        .where(Citizen.public_id == public_citizen_id(citizen))
        .first()
    )["id"]
    ledger_before = await PointsEntry.select(PointsEntry.amount).where(
        PointsEntry.account_id == citizen_id
    )
    async with transaction():
        await enqueue(
            recipient_kind="citizen", recipient_id=citizen_id, template="case.accepted", params={}
        )
    response = await api.delete(ME, headers=citizen.headers)
    assert response.status_code == 204, response.text

    row = await Citizen.objects().where(Citizen.id == citizen_id).first()
    assert row.disabled and row.erased_at is not None
    assert (row.phone, row.wechat_openid, row.wechat_unionid, row.nickname) == (
        None,
        None,
        None,
        "",
    )
    # The report stays for the city, without the person.
    kept = await Case.objects().where(Case.public_id == case["id"]).first()
    assert kept is not None and kept.reporter_id is None and kept.anonymous
    detail = await api.get(f"/api/admin/cases/{case['id']}", headers=city.operator.headers)
    assert detail.status_code == 200 and len(detail.json()["photos"]) == 2, detail.json().keys()
    # The ledger is untouched: its sums still hold.
    ledger_after = await PointsEntry.select(PointsEntry.amount).where(
        PointsEntry.account_id == citizen_id
    )
    assert ledger_after == ledger_before
    # Photos nothing took are gone; the case's stay, without owner or EXIF hints.
    assert not await Media.exists().where(Media.public_id == spare)
    assert (
        await Media.count().where(Media.owner_kind == "citizen", Media.owner_id == citizen_id) == 0
    )
    # Sessions ended, devices retired, inbox emptied, queued notifications dropped.
    assert not await RefreshToken.exists().where(
        (RefreshToken.subject_id == citizen_id)
        & (RefreshToken.audience == "citizen")
        & RefreshToken.revoked_at.is_null()
    )
    refresh = await api.post("/api/auth/refresh", json={"refreshToken": citizen.refresh})
    assert refresh.status_code == 401
    assert not await Device.exists().where(
        (Device.owner_kind == "citizen") & (Device.owner_id == citizen_id)
    )
    assert not await InboxMessage.exists().where(InboxMessage.owner_id == citizen_id)
    jobs = await NotificationJob.select(NotificationJob.status).where(
        NotificationJob.recipient_id == citizen_id
    )
    assert {j["status"] for j in jobs} <= {"done", "dropped"} and {"status": "dropped"} in jobs
    assert_problem(await api.get(ME, headers=citizen.headers), 403, "auth.account_disabled")
    audit = await AuditEntry.objects().where(AuditEntry.action == "citizen.erase")
    assert [(a.actor_id, a.target_id) for a in audit] == [(citizen_id, public_citizen_id(citizen))]
    # Signing in again with the same WeChat account makes a new, empty account.
    again = await api.citizen(openid="openid-privacy")
    assert (await api.get(ME, headers=again.headers)).json()["id"] != public_citizen_id(citizen)


async def test_closing_twice_at_once_erases_once(api):
    """Two taps on 注销 (or a retry racing the first): one erasure, one audit entry; the
    loser is refused as the closed account it now is, or finds nothing left to do."""
    citizen = await api.citizen()
    first, second = await asyncio.gather(
        api.delete(ME, headers=citizen.headers), api.delete(ME, headers=citizen.headers)
    )
    assert first.status_code == 204, first.text
    assert second.status_code in (204, 403), second.text
    assert await AuditEntry.count().where(AuditEntry.action == "citizen.erase") == 1
    again = await api.delete(ME, headers=citizen.headers)
    assert_problem(again, 403, "auth.account_disabled")
    assert await AuditEntry.count().where(AuditEntry.action == "citizen.erase") == 1


async def test_location_consent_is_recorded_with_version_and_time(api):
    citizen = await api.citizen()
    assert (await api.get(CONSENT, headers=citizen.headers)).json() == {"consent": None}
    given = await api.put(
        CONSENT, json={"version": "2026.11", "granted": True}, headers=citizen.headers
    )
    assert given.status_code == 200, given.text
    withdrawn = await api.put(
        CONSENT, json={"version": "2026.11", "granted": False}, headers=citizen.headers
    )
    latest = (await api.get(CONSENT, headers=citizen.headers)).json()["consent"]
    assert latest == withdrawn.json() and latest["granted"] is False
    assert latest["recordedAt"] >= given.json()["recordedAt"]
    other = await api.citizen()
    assert (await api.get(CONSENT, headers=other.headers)).json() == {"consent": None}


async def test_bad_consent_bodies_are_400(api):
    citizen = await api.citizen()
    for body in (
        {"granted": True},
        {"version": "", "granted": True},
        {"version": "x" * 33, "granted": True},
        {"version": "v 1", "granted": True},
        {"version": "v1"},
        {"version": "v1", "granted": "yes"},
    ):
        response = await api.put(CONSENT, json=body, headers=citizen.headers)
        assert_problem(response, 400, "request.invalid")
    assert_problem(
        await api.put(CONSENT, json={"version": "v1", "granted": True}), 401, "auth.required"
    )
