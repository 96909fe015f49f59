"""Helpers for place and signpost tests: data made through the real admin API."""

from __future__ import annotations

import math

import pytest

CENTER = (36.06, 120.385)  # Qingdao, 市南区 (WGS-84)


def offset(lat: float, lon: float, north_m: float, east_m: float) -> tuple[float, float]:
    """A point ``north_m``/``east_m`` metres away (small distances)."""
    d_lat = north_m / 111_195.0
    d_lon = east_m / (111_195.0 * math.cos(math.radians(lat)))
    return lat + d_lat, lon + d_lon


async def add_place(
    api, admin, *, kind="toilet", name="公厕", north=0.0, east=0.0, center=CENTER, **fields
) -> dict:
    lat, lon = offset(*center, north, east)
    body = {"kind": kind, "name": name, "location": {"lat": lat, "lon": lon}, **fields}
    response = await api.post("/api/admin/places", json=body, headers=admin.headers)
    assert response.status_code == 201, response.text
    return response.json()


async def nearby(api, **params) -> dict:
    params.setdefault("lat", CENTER[0])
    params.setdefault("lon", CENTER[1])
    response = await api.get("/api/citizen/places/nearby", params=params)
    assert response.status_code == 200, response.text
    return response.json()


@pytest.fixture(autouse=True)
def fresh_index():
    """Each test empties the tables; forget the previous test's index at once instead of
    at the next stamp check."""
    from places import index

    index.reset()
    yield
    index.reset()
