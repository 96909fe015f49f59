"""The public map of accepted cases (cases.public_map): GeoJSON, no sign-in, rate-limited
per client address."""

from __future__ import annotations

from typing import Annotated, Any

import msgspec
from litestar import Controller, Request, get
from litestar.params import Parameter, QueryParameter

from api.geo import CoordSys, CoordSysQuery, read_bbox
from api.limits import limit_public_map
from cases import visibility
from cases.public_errors import BadMapQuery
from cases.public_map import MAX_ZOOM, MapAnswer, MapQuery, public_case, public_map
from core import clock
from core.settings import get_settings
from org.geo import from_wgs84, to_wgs84

MAX_LIST = 50


class Geometry(msgspec.Struct, frozen=True):
    coordinates: list[float]  # [lon, lat] in the answer's coordSys
    type: str = "Point"


class Feature(msgspec.Struct, frozen=True):
    geometry: Geometry
    properties: dict[str, Any]
    type: str = "Feature"


class PublicFeature(msgspec.Struct, frozen=True, rename="camel"):
    geometry: Geometry
    properties: dict[str, Any]
    coord_sys: CoordSys
    type: str = "Feature"


class FeatureCollection(msgspec.Struct, frozen=True, rename="camel"):
    """RFC 7946 GeoJSON, with foreign members: ``coordSys`` (the system of every coordinate,
    as asked; GeoJSON itself assumes WGS-84), ``zoom``, ``clustered`` and ``truncated``."""

    coord_sys: CoordSys
    zoom: int
    clustered: bool
    truncated: bool
    features: list[Feature]
    type: str = "FeatureCollection"


def _list(name: str, value: str | None) -> list[str]:
    items = list(dict.fromkeys(v.strip() for v in (value or "").split(",") if v.strip()))
    if len(items) > MAX_LIST:
        raise BadMapQuery(field=name, reason=f"at most {MAX_LIST} values")
    return items


def parse_bbox(value: str, coord_sys: CoordSys) -> tuple[float, float, float, float]:
    """west,south,east,north in ``coord_sys``, as WGS-84."""
    if (box := read_bbox(value)) is None:
        reason = "west,south,east,north in degrees, west <= east, south <= north"
        raise BadMapQuery(field="bbox", reason=reason)
    west, south, east, north = box
    south, west = to_wgs84(south, west, coord_sys)
    north, east = to_wgs84(north, east, coord_sys)
    return west, south, east, north


def _point(lat: float, lon: float, coord_sys: CoordSys) -> Geometry:
    out_lat, out_lon = from_wgs84(lat, lon, coord_sys)
    return Geometry(coordinates=[round(out_lon, 7), round(out_lat, 7)])


def _properties(shown: visibility.Shown) -> dict[str, Any]:
    return {
        "cluster": False,
        "id": shown.case.public_id,
        "number": shown.case.number,
        "category": shown.case.category_code,
        "state": shown.case.state,
        "reportedAt": clock.as_utc(shown.case.reported_at).isoformat(),
    }


def collection(answer: MapAnswer, coord_sys: CoordSys) -> FeatureCollection:
    features = [
        Feature(
            geometry=_point(c.lat, c.lon, coord_sys),
            properties={"cluster": True, "count": c.count},
        )
        for c in answer.clusters
    ] + [
        Feature(
            geometry=_point(shown.lat, shown.lon, coord_sys),
            properties=_properties(shown),
        )
        for shown in answer.cases
    ]
    return FeatureCollection(
        coord_sys=coord_sys,
        zoom=answer.zoom,
        clustered=answer.clustered,
        truncated=answer.truncated,
        features=features,
    )


class PublicCaseController(Controller):
    path = "/cases"
    tags = ["public"]
    opt = {"public": True, "rate_limited": True}

    @get(
        summary="Public cases in a bounding box, as GeoJSON (clustered when zoomed out)",
        description="Within the visibility policy: accepted cases only, no reporter data, "
        "private categories at the centre of their ~200 m cell. Below "
        "CITYOPS_PUBLIC_MAP_CLUSTER_BELOW_ZOOM (zoom given, or derived from the box) the "
        "features are clusters with a count per grid cell of a quarter tile. `coordSys` "
        "applies to bbox and to every coordinate of the answer, and is echoed in it.",
        media_type="application/geo+json",
    )
    async def cases(
        self,
        request: Request,
        bbox: Annotated[str, QueryParameter(max_length=120)],
        category: Annotated[str | None, QueryParameter(max_length=500)] = None,
        state_list: Annotated[str | None, QueryParameter(name="state", max_length=200)] = None,
        zoom: Annotated[int | None, QueryParameter(ge=0, le=MAX_ZOOM)] = None,
        coord_sys: CoordSysQuery = "wgs84",
    ) -> FeatureCollection:
        limit_public_map(request)
        states = _list("state", state_list)
        if any(s not in visibility.PUBLIC_STATES for s in states):
            allowed = ", ".join(sorted(visibility.PUBLIC_STATES))
            raise BadMapQuery(field="state", reason=f"one of {allowed}")
        settings = get_settings()
        answer = await public_map(
            query=MapQuery(
                bbox=parse_bbox(bbox, coord_sys),
                categories=_list("category", category),
                states=states,
                zoom=zoom,
            ),
            cluster_below=settings.public_map_cluster_below_zoom,
            max_features=settings.public_map_max_features,
        )
        return collection(answer, coord_sys)

    @get(
        "/{case_id:str}",
        summary="One public case as a GeoJSON Feature (what a watch-area notification opens)",
        description="404 `case.not_found` unless public; a merged case answers with the case "
        "it was merged into. Its public text (none for an anonymous report) and position.",
        media_type="application/geo+json",
    )
    async def one(
        self,
        request: Request,
        case_id: Annotated[str, Parameter(max_length=40)],
        coord_sys: CoordSysQuery = "wgs84",
    ) -> PublicFeature:
        limit_public_map(request)
        shown = await public_case(public_id=case_id)
        return PublicFeature(
            geometry=_point(shown.lat, shown.lon, coord_sys),
            properties={
                **_properties(shown),
                "description": shown.description,
                "address": shown.address,
            },
            coord_sys=coord_sys,
        )
