"""Shared steps of the visibility policy's tests (cases.visibility): a city, a citizen's
report, and every public path a case can leave by: Open311 (list and single), similar
reports, following and the follower's view, and the case's photos."""

from __future__ import annotations

from dataclasses import dataclass

from accounts.api_keys import create_api_client
from core.db import transaction
from tests.cases_city import City, build_city
from tests.helpers import Api, Session, upload_photo

V2 = "/open311/v2"
REPORTS = "/api/citizen/reports"
_seed = iter(range(500, 10_000))


@dataclass
class World:
    api: Api
    city: City
    alice: Session  # the reporter
    bob: Session  # any other citizen
    open311_key: str


async def build_world(api: Api) -> World:
    city = await build_city(api)
    async with transaction():
        key = (await create_api_client(name="hotline-12345", kind="system")).key
    return World(api, city, await api.citizen(), await api.citizen(), key)


@dataclass
class Filed:
    id: str
    photo: str
    at: tuple[float, float]
    category: str


async def report(
    w: World,
    *,
    category: str = "E0102",
    at: tuple[float, float] = (36.0572, 120.3738),
    description: str = "香港中路12号楼下有一堆暴露垃圾",
    address: str = "香港中路12号",
    anonymous: bool = False,
    who: Session | None = None,
) -> Filed:
    who = who or w.alice
    photo = await upload_photo(w.api.client, who, seed=next(_seed))
    response = await w.api.post(
        REPORTS,
        headers=who.headers,
        json={
            "category": category,
            "location": {"lat": at[0], "lon": at[1]},
            "mediaIds": [photo],
            "description": description,
            "address": address,
            "anonymous": anonymous,
        },
    )
    assert response.status_code == 201, response.text
    return Filed(response.json()["id"], photo, at, category)


async def operator(w: World, case_id: str, action: str, **body) -> dict:
    response = await w.api.post(
        f"/api/admin/cases/{case_id}/{action}", json=body, headers=w.city.operator.headers
    )
    assert response.status_code == 200, response.text
    return response.json()["case"]


async def open311_list(w: World, **params) -> dict[str, dict]:
    response = await w.api.get(f"{V2}/requests.json", params=params)
    assert response.status_code == 200, response.text
    return {r["service_request_id"]: r for r in response.json()}


async def open311_one(w: World, case_id: str):
    """(status code, the request or None)."""
    response = await w.api.get(f"{V2}/requests/{case_id}.json")
    return response.status_code, (response.json()[0] if response.status_code == 200 else None)


async def similar(w: World, who: Session, filed: Filed, *, at=None, coord_sys="wgs84"):
    lat, lon = at or filed.at
    response = await w.api.get(
        f"{REPORTS}/similar",
        params={"lat": lat, "lon": lon, "category": filed.category, "coordSys": coord_sys},
        headers=who.headers,
    )
    assert response.status_code == 200, response.text
    return {s["id"]: s for s in response.json()}


async def follow(w: World, who: Session, case_id: str):
    return await w.api.post(f"{REPORTS}/{case_id}/follow", headers=who.headers)


async def view(w: World, who: Session, case_id: str, coord_sys: str = "wgs84"):
    return await w.api.get(f"{REPORTS}/{case_id}?coordSys={coord_sys}", headers=who.headers)


async def photo_status(w: World, who: Session, media_id: str) -> int:
    return (
        await w.api.get(f"/api/citizen/media/{media_id}/thumb", headers=who.headers)
    ).status_code
