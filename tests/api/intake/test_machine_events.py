"""Cameras and sensors (issue 20, "Machines"): snapshots through the photo pipeline, the
confidence threshold per category, one case per device, spot and category within the
window, sensors clearing their alarms, and the reading shown to staff only."""

from __future__ import annotations

import asyncio
import datetime as dt
import io

import pytest
from PIL import Image

from accounts.api_keys import create_api_client
from core import clock
from core.db import transaction
from notify.tables import NotificationJob
from tests.api.inspector.field import ok, photo
from tests.cases_city import IN_GRID, build_city
from tests.helpers import assert_problem, jpeg_bytes

EVENTS = "/api/intake/events"
CLEAR = "/api/intake/events/clear"
MEDIA = "/api/intake/media"
CATEGORIES = "/api/admin/categories"
# About 11 m and 55 m north of IN_GRID.
NEAR = (IN_GRID[0] + 0.0001, IN_GRID[1])
FAR = (IN_GRID[0] + 0.0005, IN_GRID[1])


@pytest.fixture
async def city(api):
    return await build_city(api)


async def _key(name="cam-1", kind="camera", trusted=True) -> dict:
    async with transaction():
        issued = await create_api_client(name=name, kind=kind, trusted=trusted)
    return {"X-Api-Key": issued.key}


async def _snapshot(api, key, seed=0) -> str:
    response = await api.post(
        MEDIA, headers=key, files={"file": ("s.jpg", jpeg_bytes(seed=seed), "image/jpeg")}
    )
    assert response.status_code == 201, response.text
    return response.json()["id"]


def _camera(external_id="d-1", at=IN_GRID, **extra) -> dict:
    return {
        "externalId": external_id,
        "category": "E0504",
        "location": {"lat": at[0], "lon": at[1]},
        "deviceId": "cam-gate-3",
        "confidence": 0.93,
        **extra,
    }


def _gas(external_id="gas-1", **extra) -> dict:
    return {
        "externalId": external_id,
        "category": "E0403",
        "location": {"lat": IN_GRID[0], "lon": IN_GRID[1]},
        "level": 1,
        "deviceId": "gas-sensor-9",
        "reading": {"value": 412.5, "unit": "ppm", "threshold": 200},
        **extra,
    }


async def _detail(api, city, case_id) -> dict:
    response = await api.get(f"/api/admin/cases/{case_id}", headers=city.operator.headers)
    assert response.status_code == 200, response.text
    return response.json()


def _jpeg_with_exif() -> bytes:
    image = Image.new("RGB", (320, 240), (10, 200, 30))
    exif = Image.Exif()
    exif[0x010F] = "VendorCam"  # Make
    exif[0x9003] = "2026:11:30 08:00:00"
    out = io.BytesIO()
    image.save(out, "JPEG", exif=exif.tobytes())
    return out.getvalue()


# --- snapshots and confidence -------------------------------------------------------------------


async def test_a_detection_keeps_its_snapshot_without_exif(api, city):
    key = await _key()
    upload = await api.post(
        MEDIA, headers=key, files={"file": ("s.jpg", _jpeg_with_exif(), "image/jpeg")}
    )
    assert upload.status_code == 201, upload.text
    snapshot = upload.json()["id"]
    created = await api.post(EVENTS, json=_camera(snapshotId=snapshot), headers=key)
    assert created.status_code == 201, created.text
    body = created.json()
    assert body["state"] == "dispatched"
    detail = await _detail(api, city, body["id"])
    assert detail["machine"]["deviceId"] == "cam-gate-3"
    assert detail["machine"]["confidence"] == 0.93
    assert detail["machine"]["snapshotIds"] == [snapshot]
    assert [p["id"] for p in detail["photos"]] == [snapshot]
    stored = await api.get(f"{MEDIA}/{snapshot}/display", headers=key)
    assert stored.status_code == 200
    assert not Image.open(io.BytesIO(stored.content)).getexif()


async def test_a_low_confidence_detection_waits_for_a_person(api, city):
    key = await _key()  # trusted: would be dispatched at once
    body = (await api.post(EVENTS, json=_camera(confidence=0.55), headers=key)).json()
    assert body["state"] == "reported"
    detail = await _detail(api, city, body["id"])
    held = [e for e in detail["events"] if e["action"] == "held for review"]
    assert len(held) == 1 and "0.55" in held[0]["note"] and "0.80" in held[0]["note"]
    jobs = await NotificationJob.objects().where(NotificationJob.template == "task.verify")
    assert [j.recipient_id for j in jobs] == [city.inspector.subject_id]


async def test_the_threshold_is_the_categorys_and_admins_set_it(api, city):
    admin = await api.staff("admin")
    shown = (await api.get(f"{CATEGORIES}/E0504", headers=admin.headers)).json()
    assert shown["minConfidence"] == 0.8
    changed = await api.patch(
        f"{CATEGORIES}/E0504", json={"minConfidence": 0.5}, headers=admin.headers
    )
    assert changed.status_code == 200 and changed.json()["minConfidence"] == 0.5
    key = await _key()
    body = (await api.post(EVENTS, json=_camera(confidence=0.55), headers=key)).json()
    assert body["state"] == "dispatched"
    for bad in (1.5, -0.1):
        assert_problem(
            await api.patch(
                f"{CATEGORIES}/E0504", json={"minConfidence": bad}, headers=admin.headers
            ),
            400,
            "request.invalid",
        )
    operator = await api.patch(
        f"{CATEGORIES}/E0504", json={"minConfidence": 0.1}, headers=city.operator.headers
    )
    assert operator.status_code == 403


# --- one case per device, spot and category -----------------------------------------------------


async def test_a_repeat_of_the_device_at_the_spot_is_the_same_case(api, city):
    key = await _key()
    first = await api.post(EVENTS, json=_camera("d-1"), headers=key)
    again = await api.post(EVENTS, json=_camera("d-2", at=NEAR), headers=key)
    assert (first.status_code, again.status_code) == (201, 200)
    assert again.json()["id"] == first.json()["id"] and again.json()["duplicate"] is True
    assert (await _detail(api, city, first.json()["id"]))["machine"]["events"] == 2


@pytest.mark.parametrize(
    "change",
    [
        {"at": FAR},
        {"deviceId": "cam-gate-4"},
        {"category": "E0505"},
    ],
    ids=["another spot", "another camera", "another category"],
)
async def test_another_spot_camera_or_category_is_another_case(api, city, change):
    key = await _key()
    first = await api.post(EVENTS, json=_camera("d-1"), headers=key)
    other = await api.post(EVENTS, json=_camera("d-2", **change), headers=key)
    assert other.status_code == 201, other.text
    assert other.json()["id"] != first.json()["id"]


async def test_after_the_window_a_detection_is_a_new_case(api, city):
    # CITYOPS_INTAKE_DEDUP_MINUTES: 30 by default.
    key = await _key()
    first = await api.post(EVENTS, json=_camera("d-1"), headers=key)
    clock.travel(dt.timedelta(minutes=31))
    later = await api.post(EVENTS, json=_camera("d-2"), headers=key)
    assert later.status_code == 201 and later.json()["id"] != first.json()["id"]


async def test_parallel_detections_of_one_device_make_one_case(api, city):
    key = await _key()
    responses = await asyncio.gather(
        *[api.post(EVENTS, json=_camera(f"burst-{i}"), headers=key) for i in range(6)]
    )
    assert sorted(r.status_code for r in responses) == [200] * 5 + [201]
    case_ids = {r.json()["id"] for r in responses}
    assert len(case_ids) == 1
    assert (await _detail(api, city, case_ids.pop()))["machine"]["events"] == 6


# --- alarm cleared -------------------------------------------------------------------------------


async def test_a_clear_ends_a_case_nobody_works_yet(api, city):
    key = await _key("cam-untrusted", trusted=False)
    body = (await api.post(EVENTS, json=_camera("d-9"), headers=key)).json()
    assert body["state"] == "reported"
    cleared = await api.post(CLEAR, json={"externalId": "d-9"}, headers=key)
    assert cleared.status_code == 200, cleared.text
    assert cleared.json()["state"] == "cancelled" and cleared.json()["outcome"] == "ended"
    again = await api.post(CLEAR, json={"externalId": "d-9"}, headers=key)
    assert again.json()["outcome"] == "already_cleared"
    detail = await _detail(api, city, body["id"])
    assert [e["action"] for e in detail["events"]][-1] == "clear"
    assert detail["machine"]["clearedAt"] is not None


async def test_a_clear_tells_the_handler_of_a_case_being_worked(api, city):
    key = await _key("gas-net", kind="sensor")
    body = (await api.post(EVENTS, json=_gas(), headers=key)).json()
    assert body["state"] == "dispatched"
    cleared = await api.post(CLEAR, json={"externalId": "gas-1"}, headers=key)
    assert cleared.json() == {
        "id": body["id"],
        "number": body["number"],
        "state": "dispatched",
        "outcome": "handler_told",
    }
    jobs = await NotificationJob.objects().where(NotificationJob.template == "task.alarm_cleared")
    assert [j.recipient_id for j in jobs] == [city.handler_gas.subject_id]


async def test_a_clear_of_a_fixed_case_is_only_recorded(api, city):
    key = await _key("gas-net", kind="sensor")
    body = (await api.post(EVENTS, json=_gas(), headers=key)).json()
    after = await photo(api, city.handler_gas)
    await ok(api, city.handler_gas, body["id"], "resolve", {"mediaIds": [after], "note": "已修复"})
    cleared = (await api.post(CLEAR, json={"externalId": "gas-1"}, headers=key)).json()
    assert (cleared["state"], cleared["outcome"]) == ("resolved", "recorded")
    assert not await NotificationJob.objects().where(
        NotificationJob.template == "task.alarm_cleared"
    )
    actions = [e["action"] for e in (await _detail(api, city, body["id"]))["events"]]
    assert actions[-1] == "alarm cleared"


async def test_a_clear_of_an_unknown_or_anothers_event_is_a_404(api, city):
    key = await _key("gas-net", kind="sensor")
    other = await _key("gas-net-2", kind="sensor")
    await api.post(EVENTS, json=_gas(), headers=key)
    for who, external_id in ((key, "never-sent"), (other, "gas-1")):
        assert_problem(
            await api.post(CLEAR, json={"externalId": external_id}, headers=who),
            404,
            "intake.event_unknown",
        )


# --- the reading, for staff only -----------------------------------------------------------------


async def test_staff_see_the_reading_citizens_do_not(api, city):
    key = await _key("gas-net", kind="sensor")
    body = (await api.post(EVENTS, json=_gas(), headers=key)).json()
    reading = {"value": 412.5, "unit": "ppm", "threshold": 200.0}
    assert (await _detail(api, city, body["id"]))["machine"]["reading"] == reading
    handler = await api.get(f"/api/inspector/cases/{body['id']}", headers=city.handler_gas.headers)
    assert handler.status_code == 200, handler.text
    assert handler.json()["machine"]["reading"] == reading
    citizen = await api.citizen()
    followed = await api.post(f"/api/citizen/reports/{body['id']}/follow", headers=citizen.headers)
    assert followed.status_code == 200, followed.text
    seen = await api.get(f"/api/citizen/reports/{body['id']}", headers=citizen.headers)
    assert seen.status_code == 200, seen.text
    assert "ppm" not in seen.text and "gas-sensor-9" not in seen.text
    public = await api.get("/api/public/cases", params={"limit": 50})
    assert "ppm" not in public.text and "gas-sensor-9" not in public.text


# --- refusals ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("change", "status", "code"),
    [
        ({"confidence": 1.01}, 400, "request.invalid"),
        ({"confidence": -0.2}, 400, "request.invalid"),
        ({"reading": {"value": 1e300, "unit": "ppm"}}, 400, "request.invalid"),
        ({"reading": {"value": 3.0}}, 400, "request.invalid"),
        ({"reading": {"value": 3.0, "unit": "ppm", "threshold": -1e12}}, 400, "request.invalid"),
        ({"deviceId": ""}, 400, "request.invalid"),
        ({"deviceId": "x" * 65}, 400, "request.invalid"),
        ({"snapshotId": "m_" + "x" * 60}, 400, "request.invalid"),
        ({"deviceId": None}, 422, "intake.fields_missing"),
        ({"snapshotId": "m_nothere"}, 404, "media.not_found"),
    ],
)
async def test_bad_machine_events(api, city, change, status, code):
    key = await _key()
    event = {k: v for k, v in _camera(**change).items() if v is not None}
    assert_problem(await api.post(EVENTS, json=event, headers=key), status, code)


@pytest.mark.parametrize(
    ("literal", "code"),
    [
        ("NaN", "request.malformed"),
        ("Infinity", "request.malformed"),
        ("-Infinity", "request.malformed"),
        ("1e400", "request.bad"),
    ],
)
async def test_non_finite_numbers_are_refused(api, city, literal, code):
    # Not JSON (NaN, Infinity) or past a double (1e400): refused by the decoder itself.
    key = await _key()
    text = (
        '{"externalId": "nan-1", "category": "E0504", "deviceId": "c",'
        f' "location": {{"lat": {IN_GRID[0]}, "lon": {IN_GRID[1]}}}, "confidence": {literal}}}'
    )
    response = await api.post(
        EVENTS, content=text, headers={**key, "Content-Type": "application/json"}
    )
    assert_problem(response, 400, code)
    reading = text.replace(
        f'"confidence": {literal}', f'"reading": {{"value": {literal}, "unit": "m"}}'
    )
    response = await api.post(
        EVENTS, content=reading, headers={**key, "Content-Type": "application/json"}
    )
    assert_problem(response, 400, code)


async def test_a_snapshot_must_be_the_keys_own_unused_image(api, city):
    key, other = await _key("cam-a"), await _key("cam-b")
    theirs = await _snapshot(api, other)
    assert_problem(
        await api.post(EVENTS, json=_camera(snapshotId=theirs), headers=key),
        404,
        "media.not_found",
    )
    citizen = await api.citizen()
    uploaded = await api.post(
        "/api/citizen/media",
        headers=citizen.headers,
        files={"file": ("p.jpg", jpeg_bytes(seed=3), "image/jpeg")},
    )
    assert_problem(
        await api.post(EVENTS, json=_camera(snapshotId=uploaded.json()["id"]), headers=key),
        404,
        "media.not_found",
    )
    mine = await _snapshot(api, key, seed=5)
    first = await api.post(EVENTS, json=_camera("d-1", snapshotId=mine), headers=key)
    assert first.status_code == 201, first.text
    assert_problem(
        await api.post(EVENTS, json=_camera("d-2", deviceId="cam-9", snapshotId=mine), headers=key),
        409,
        "media.already_attached",
    )
    not_image = await api.post(
        MEDIA, headers=key, files={"file": ("s.jpg", b"%PDF-1.4 not a photo", "image/jpeg")}
    )
    assert not_image.status_code in (400, 415, 422), not_image.text
    assert not_image.json()["code"].startswith("media.")


async def test_a_parking_key_cannot_upload_snapshots(api, city):
    key = await _key("lot-1", kind="parking")
    response = await api.post(
        MEDIA, headers=key, files={"file": ("s.jpg", jpeg_bytes(), "image/jpeg")}
    )
    assert response.status_code == 403
