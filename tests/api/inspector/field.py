"""Shared steps of the inspector app tests: photos with EXIF, filing and moving cases."""

from __future__ import annotations

import datetime as dt
import itertools

from core import clock
from tests.cases_city import IN_GRID
from tests.helpers import upload_photo
from tests.media import samples

CASES = "/api/inspector/cases"
_seed = itertools.count(100)


def _dms(value: float) -> tuple[float, float, float]:
    degrees = int(value)
    minutes_full = (value - degrees) * 60
    minutes = int(minutes_full)
    return (float(degrees), float(minutes), round((minutes_full - minutes) * 60, 4))


async def photo(
    api, session, *, taken: dt.datetime | None = None, at: tuple[float, float] | None = None
) -> str:
    """An uploaded photo of ``session``; with EXIF capture time and position if given."""
    if taken is None and at is None:
        return await upload_photo(api.client, session, app="inspector", seed=next(_seed))
    local = taken.astimezone(clock.city_zone()) if taken else None
    exif = samples.exif_block(
        lat=_dms(at[0]) if at else None,
        lon=_dms(at[1]) if at else None,
        taken=local.strftime("%Y:%m:%d %H:%M:%S") if local else None,
    )
    data = samples.jpeg((320, 240), exif=exif)
    response = await api.post(
        "/api/inspector/media",
        headers=session.headers,
        files={"file": ("p.jpg", data, "image/jpeg")},
    )
    assert response.status_code == 201, response.text
    return response.json()["id"]


async def patrol_report(
    api, inspector, *, category="E0102", at=IN_GRID, photos=None, key=None, **extra
):
    media = photos if photos is not None else [await photo(api, inspector)]
    body = {
        "category": category,
        "location": {"lat": at[0], "lon": at[1]},
        "mediaIds": media,
        "description": "人行道上有暴露垃圾",
        **extra,
    }
    headers = {**inspector.headers, **({"Idempotency-Key": key} if key else {})}
    return await api.post(CASES, json=body, headers=headers)


async def citizen_report(api, citizen, *, category="E0102", at=IN_GRID) -> str:
    media = await upload_photo(api.client, citizen, seed=next(_seed))
    response = await api.post(
        "/api/citizen/reports",
        headers=citizen.headers,
        json={"category": category, "location": {"lat": at[0], "lon": at[1]}, "mediaIds": [media]},
    )
    assert response.status_code == 201, response.text
    return response.json()["id"]


async def act(api, session, case_id, action, body=None, key=None):
    headers = {**session.headers, **({"Idempotency-Key": key} if key else {})}
    return await api.post(f"{CASES}/{case_id}/{action}", json=body or {}, headers=headers)


async def ok(api, session, case_id, action, body=None) -> dict:
    response = await act(api, session, case_id, action, body)
    assert response.status_code == 200, response.text
    return response.json()


async def dispatched_case(api, city) -> str:
    """A patrol report: accepted and dispatched to the sanitation unit (handler_hw)."""
    response = await patrol_report(api, city.inspector)
    assert response.status_code == 201, response.text
    return response.json()["case"]["id"]


async def resolved_case(api, city) -> str:
    case_id = await dispatched_case(api, city)
    after = await photo(api, city.handler_hw)
    await ok(api, city.handler_hw, case_id, "resolve", {"mediaIds": [after], "note": "已清运"})
    return case_id
