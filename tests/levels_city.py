"""The demo city with command centres at every level and people in them: the city centre,
市南区's district centre and a street station for 八大关街道, a second district (市北区, to
the east) with its own centre, operators in each, a district supervisor, and two handlers of
八大关's enforcement squad (who get its E05 cases)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from accounts.tables import Staff
from cases.tasks import sla_tick
from core import clock
from core.db import transaction
from org import grids, units
from tests.cases_city import AUTO_CATEGORY, IN_GRID, IN_GRID_NE, City, build_city
from tests.helpers import Api, Session, upload_photo

# 市北区, east of the demo district: its grid 370203 and one unit grid covering its west half,
# so its east half lies in the district's grid only (no unit grid, no inspector).
NORTH_UNIT_GRID = (36.060, 120.4125)
NORTH_PARENT_ONLY = (36.060, 120.4175)


def _square(west: float, south: float, east: float, north: float) -> dict:
    ring = [[west, south], [east, south], [east, north], [west, north], [west, south]]
    return {"type": "Polygon", "coordinates": [ring]}


@dataclass
class Levels:
    city: City
    city_op: Session
    district_op: Session
    street_op: Session
    north_op: Session
    supervisor: Session
    squad_a: Session  # 八大关街道城管执法中队
    squad_b: Session
    centres: dict[str, int]  # city, district, street, north
    units: dict[str, int]


async def _in_unit(api: Api, role: str, unit_id: int) -> Session:
    session = await api.staff(role)
    await Staff.update({Staff.org_unit_id: unit_id}).where(Staff.id == session.subject_id)
    return session


async def build_levels(api: Api) -> Levels:
    city = await build_city(api)
    code = {c: (await units.get_unit_by_code(code=c)).id for c in ("370200", "370202001")}
    # The demo's org already holds 八大关's street station (370202001-C).
    street_centre = await units.get_unit_by_code(code="370202001-C")
    async with transaction():
        north = await units.create_org_unit(
            kind="district", code="370203", name_zh="市北区", parent_id=code["370200"]
        )
        north_centre = await units.create_org_unit(
            kind="centre", code="370203-C", name_zh="市北区指挥中心", parent_id=north.id
        )
        await grids.create_grid(
            code="370203",
            name="市北区",
            polygon=_square(120.41, 36.055, 120.42, 36.065),
            area_id=north.id,
        )
        await grids.create_grid(
            code="370203001",
            name="市北区西片",
            polygon=_square(120.41, 36.055, 120.415, 36.065),
            parent_code="370203",
            area_id=north.id,
        )
    centres = {
        "city": (await units.get_unit_by_code(code="370200-C")).id,
        "district": (await units.get_unit_by_code(code="370202-C")).id,
        "street": street_centre.id,
        "north": north_centre.id,
    }
    squad = city.unit_ids["370202001-ZF"]
    return Levels(
        city=city,
        city_op=await _in_unit(api, "operator", centres["city"]),
        district_op=await _in_unit(api, "operator", centres["district"]),
        street_op=await _in_unit(api, "operator", centres["street"]),
        north_op=await _in_unit(api, "operator", centres["north"]),
        supervisor=await _in_unit(api, "supervisor", centres["district"]),
        squad_a=await _in_unit(api, "handler", squad),
        squad_b=await _in_unit(api, "handler", squad),
        centres=centres,
        units={**city.unit_ids, "north": north.id, "street": code["370202001"]},
    )


async def file_report(api: Api, *, at=IN_GRID, category: str = AUTO_CATEGORY, seed: int = 0):
    """A citizen's report; returns (the case's public id, the citizen's session)."""
    citizen = await api.citizen()
    body = {
        "category": category,
        "location": {"lat": at[0], "lon": at[1]},
        "mediaIds": [await upload_photo(api.client, citizen, seed=seed)],
        "description": "路边乞讨人员需要救助",
    }
    response = await api.post("/api/citizen/reports", json=body, headers=citizen.headers)
    assert response.status_code == 201, response.text
    return response.json()["id"], citizen


async def admin_case(api: Api, session: Session, case_id: str) -> dict:
    response = await api.get(f"/api/admin/cases/{case_id}", headers=session.headers)
    assert response.status_code == 200, response.text
    return response.json()


async def alerts_of(api: Api, session: Session, **params) -> list[dict]:
    response = await api.get("/api/admin/alerts", params=params, headers=session.headers)
    assert response.status_code == 200, response.text
    return response.json()["items"]


async def tick_at(moment: dt.datetime) -> dict:
    """Move the clock to ``moment`` and run the SLA tick (reminders, escalation, pages)."""
    clock.travel(moment - clock.now())
    return await sla_tick()


__all__ = ["IN_GRID", "IN_GRID_NE", "Levels", "build_levels", "file_report"]
