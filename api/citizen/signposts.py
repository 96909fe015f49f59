"""Public: what a scanned signpost tells (where you are, what is near, a report prefill),
and reporting a damaged sign."""

from __future__ import annotations

from typing import Annotated

import msgspec
from litestar import Controller, Request, get, post
from litestar.params import FromPath, JSONBody
from litestar.types import ASGIApp

from api.citizen.place_views import NearbyPlaceOut, nearby_items
from api.geo import CoordSys, CoordSysQuery, Location, location_out
from api.limits import limit_scans
from api.printed import PrintedJson, printed_json_responses
from core.db import transaction
from qr import service as signposts

SignpostCode = Annotated[str, msgspec.Meta(min_length=1, max_length=32)]


class ReportPrefillOut(msgspec.Struct, frozen=True, rename="camel"):
    location: Location
    address: str
    grid_id: int | None
    grid_code: str | None
    signpost_code: str


class SignpostScanOut(msgspec.Struct, frozen=True, rename="camel"):
    code: str
    name: str
    kind: str
    status: str
    location: Location
    grid_code: str | None
    nearby: dict[str, list[NearbyPlaceOut]]
    report_prefill: ReportPrefillOut


class DamageIn(msgspec.Struct, frozen=True, rename="camel", forbid_unknown_fields=True):
    note: Annotated[str, msgspec.Meta(max_length=500)] = ""


class AcceptedOut(msgspec.Struct, frozen=True, rename="camel"):
    accepted: bool = True


def scan_out(view: signposts.ScanView, coord_sys: CoordSys) -> SignpostScanOut:
    sign = view.signpost
    location = location_out(sign.lat, sign.lon, coord_sys)
    return SignpostScanOut(
        code=sign.code,
        name=sign.name,
        kind=sign.kind,
        status=sign.status,
        location=location,
        grid_code=sign.grid_code or None,
        nearby={kind: nearby_items(hits, coord_sys) for kind, hits in view.nearby.items()},
        report_prefill=ReportPrefillOut(
            location=location,
            address=sign.name,
            grid_id=sign.grid_id,
            grid_code=sign.grid_code or None,
            signpost_code=sign.code,
        ),
    )


_printed: dict[tuple, bytes] = {}
_PRINTED_MAX = 20_000


class CitizenSignpostController(Controller):
    path = "/signposts"
    tags = ["signposts"]
    # Every route counts as a scan (api.limits; 429 in the document).
    opt = {"public": True, "rate_limited": True}

    @get(
        "/{code:str}",
        summary="A scanned signpost, the nearest toilets, parking and parks",
        responses=printed_json_responses(SignpostScanOut, "The sign, what is near, a prefill"),
    )
    async def scan(
        self, request: Request, code: FromPath[SignpostCode], coord_sys: CoordSysQuery = "wgs84"
    ) -> ASGIApp:
        limit_scans(request)
        # No transaction: the scan writes nothing (qr.scans counts it in memory).
        view = await signposts.scan(code=code, channel="app")
        # Printed once per sign, index state, city minute and coordinate system: the people
        # scanning one crossing within a minute get the same bytes (api.printed).
        key = (view.key, coord_sys)
        body = _printed.get(key)
        if body is None:
            body = msgspec.json.encode(scan_out(view, coord_sys))
            if len(_printed) >= _PRINTED_MAX:
                _printed.clear()
            _printed[key] = body
        return PrintedJson(body)

    @post("/{code:str}/damage", status_code=202, summary="Report the sign as damaged")
    async def damage(
        self, request: Request, code: FromPath[SignpostCode], data: JSONBody[DamageIn]
    ) -> AcceptedOut:
        limit_scans(request)
        async with transaction():
            await signposts.report_damage(code=code, note=data.note, channel="app")
        return AcceptedOut()
