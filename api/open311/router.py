"""Open311 GeoReport v2 (JSON) for other city systems: our leaf categories are the
services, cases are the service requests. Paths end in ``.json`` as the spec has them;
Litestar matches whole path segments, so ``{code}.json`` is read as one segment."""

from __future__ import annotations

import datetime as dt
import math
from typing import Annotated, Any

import msgspec
from litestar import Controller, Request, Response, Router, get, post
from litestar.enums import RequestEncodingType
from litestar.params import Body, FromPath, QueryParameter

from accounts.api_keys import MachineClient, authenticate_api_key
from api.open311.errors import (
    EXCEPTION_HANDLERS,
    Open311Error,
    Open311KeyInvalid,
    Open311NotFound,
)
from api.types import UtcDateTime, parse_datetime
from cases import external, visibility
from cases.reporting import NewCase
from cases.tables import Case
from core import clock
from core.actors import Actor
from core.db import transaction
from core.i18n import negotiate_locale
from core.settings import get_settings
from org import admin_queries, units
from org.categories import CategoryInfo

SPEC = "http://wiki.open311.org/GeoReport_v2"
MAX_WINDOW = dt.timedelta(days=90)
MAX_LIMIT = 1000


class ServiceOut(msgspec.Struct, frozen=True):
    service_code: str
    service_name: str
    description: str
    metadata: bool
    type: str
    keywords: str
    group: str


class AttributeOut(msgspec.Struct, frozen=True):
    variable: bool
    code: str
    datatype: str
    required: bool
    datatype_description: str
    order: int
    description: str


class DefinitionOut(msgspec.Struct, frozen=True):
    service_code: str
    attributes: list[AttributeOut]


class RequestOut(msgspec.Struct, frozen=True):
    service_request_id: str
    status: str
    status_notes: str
    service_name: str
    service_code: str
    description: str
    agency_responsible: str
    service_notice: str
    requested_datetime: dt.datetime
    updated_datetime: dt.datetime
    expected_datetime: dt.datetime | None
    address: str
    address_id: str
    zipcode: str
    lat: float
    long: float
    media_url: str


class CreatedOut(msgspec.Struct, frozen=True):
    service_request_id: str
    service_notice: str
    account_id: str | None


class EndpointOut(msgspec.Struct, frozen=True):
    specification: str
    url: str
    changeset: str
    type: str
    formats: list[str]


class DiscoveryOut(msgspec.Struct, frozen=True):
    changeset: str
    contact: str
    key_service: str
    endpoints: list[EndpointOut]


# The questions every service asks beyond location and description: categories carry no
# questions of their own, so these are the fields our report intake takes.
ATTRIBUTES = [
    AttributeOut(
        variable=True,
        code="occurred_at",
        datatype="datetime",
        required=False,
        datatype_description="ISO 8601, e.g. 2026-11-28T08:30:00+08:00",
        order=1,
        description="When was the problem seen? 发现时间",
    ),
    AttributeOut(
        variable=True,
        code="anonymous",
        datatype="singlevaluelist",
        required=False,
        datatype_description="true or false",
        order=2,
        description="Keep the reporter anonymous 匿名上报",
    ),
]


def _locale(request: Request) -> str:
    return negotiate_locale(request.headers.get("accept-language"), "zh-CN")


def _service(info: CategoryInfo, locale: str, majors: dict[str, CategoryInfo]) -> ServiceOut:
    major = majors.get(info.major_code)
    return ServiceOut(
        service_code=info.code,
        service_name=info.name(locale),
        description=info.name_en if locale != "en" else info.name_zh,
        metadata=True,
        type="realtime",
        keywords="urgent" if info.urgent else "",
        group=major.name(locale) if major else info.major_code,
    )


def _strip_json(segment: str) -> str:
    if not segment.endswith(".json"):
        raise Open311NotFound(what=segment)
    return segment[: -len(".json")]


def _split(value: str | None, limit: int = 100) -> list[str]:
    items = [v.strip() for v in (value or "").split(",") if v.strip()]
    if len(items) > limit:
        raise Open311Error(reason=f"at most {limit} comma-separated values")
    return items


def _bbox(value: str | None) -> tuple[float, float, float, float] | None:
    if not value:
        return None
    try:
        west, south, east, north = (float(v) for v in value.split(","))
    except ValueError:
        raise Open311Error(reason="bbox is west,south,east,north in WGS-84 degrees") from None
    if not (
        all(math.isfinite(v) for v in (west, south, east, north))
        and -180 <= west <= east <= 180
        and -90 <= south <= north <= 90
    ):
        raise Open311Error(reason="bbox is west,south,east,north in WGS-84 degrees")
    return west, south, east, north


async def _requests_out(cases: list[Case], locale: str, viewer: Actor | None) -> list[RequestOut]:
    """Each request as ``viewer`` may see it (cases.visibility): its own in full, the rest
    as the public view. No photo leaves through ``media_url``: photos are served only to
    signed-in citizens who may see them."""
    names = {
        c.code: c.name(locale) for c in await admin_queries.list_categories(include_inactive=True)
    }
    agencies = {u.id: u.name(locale) for u in await units.list_units(active_only=False)}
    return [
        RequestOut(
            service_request_id=case.public_id,
            status=external.OPEN311_STATUS.get(case.state, "open"),
            status_notes=case.state,
            service_name=names.get(case.category_code, ""),
            service_code=case.category_code,
            description=shown.description,
            agency_responsible=agencies.get(case.unit_id, "") if case.unit_id else "",
            service_notice="",
            requested_datetime=clock.as_utc(case.reported_at),
            updated_datetime=clock.as_utc(case.updated_at),
            expected_datetime=clock.as_utc(case.deadline_at) if case.deadline_at else None,
            address=shown.address,
            address_id="",
            zipcode="",
            lat=round(shown.lat, 7),
            long=round(shown.lon, 7),
            media_url="",
        )
        for shown in await visibility.show_all(cases, viewer)
        for case in (shown.case,)
    ]


async def _viewer(request: Request) -> Actor | None:
    """The client asking, when it sends its key (``X-Api-Key``: a header, so that keys stay
    out of URLs and access logs): it sees its own requests in full. Without, the public
    view only."""
    key = request.headers.get("x-api-key", "")
    return _actor(await _system_client(key)) if key else None


async def _system_client(key: str) -> MachineClient:
    client = await authenticate_api_key(key) if 10 <= len(key) <= 200 else None
    # Only keys issued to other city systems speak Open311; a camera's key is not one.
    if client is None or client.kind != "system":
        raise Open311KeyInvalid()
    return client


def _actor(client: MachineClient) -> Actor:
    return Actor(kind="machine", id=client.id, role=client.kind)


def _form_value(data: dict[str, Any], name: str) -> str | None:
    value = data.get(name)
    if isinstance(value, list):
        value = value[0] if value else None
    return None if value is None else str(value)


def _float(data: dict[str, Any], name: str, low: float, high: float) -> float:
    text = _form_value(data, name)
    try:
        value = float(text) if text is not None else math.nan
    except ValueError:
        value = math.nan
    if not (math.isfinite(value) and low <= value <= high):
        raise Open311Error(reason=f"{name} is required, a number from {low} to {high} (WGS-84)")
    return value


def _new_case(data: dict[str, Any]) -> NewCase:
    code = _form_value(data, "service_code")
    if not code:
        raise Open311Error(reason="service_code is required")
    description = _form_value(data, "description") or ""
    address = _form_value(data, "address_string") or ""
    if len(description) > 1000 or len(address) > 200:
        raise Open311Error(
            reason="description is at most 1000 characters, address_string at most 200"
        )
    occurred = _form_value(data, "attribute[occurred_at]")
    occurred_at = None
    if occurred:
        try:
            occurred_at = parse_datetime(occurred)
        except (TypeError, ValueError) as exc:
            raise Open311Error(reason=f"attribute[occurred_at]: {exc}") from None
    anonymous = (_form_value(data, "attribute[anonymous]") or "").lower() == "true"
    return NewCase(
        category_code=code,
        lat=_float(data, "lat", -90, 90),
        lon=_float(data, "long", -180, 180),
        description=description,
        address=address,
        occurred_at=occurred_at,
        anonymous=anonymous,
    )


class Open311Controller(Controller):
    path = "/"
    tags = ["open311"]

    @get("/discovery.json", summary="GeoReport v2 discovery")
    async def discovery(self) -> DiscoveryOut:
        base = get_settings().public_base_url.rstrip("/")
        return DiscoveryOut(
            changeset="2026-11-28T00:00:00Z",
            contact="City operations centre 城市运行管理服务中心",
            key_service=f"{base}/api/admin/api-clients (ask an administrator)",
            endpoints=[
                EndpointOut(
                    specification=SPEC,
                    url=f"{base}/open311/v2",
                    changeset="2026-11-28T00:00:00Z",
                    type="production",
                    formats=["application/json"],
                )
            ],
        )

    @get("/services.json", summary="Services: our active subcategories")
    async def services(self, request: Request) -> list[ServiceOut]:
        locale = _locale(request)
        rows = await admin_queries.list_categories()
        majors = {c.code: c for c in rows if c.is_major}
        return [_service(c, locale, majors) for c in rows if not c.is_major]

    @get("/services/{name:str}", summary="A service definition: services/{code}.json")
    async def definition(self, name: FromPath[str]) -> DefinitionOut:
        code = _strip_json(name)
        rows = {c.code: c for c in await admin_queries.list_categories()}
        if code not in rows or rows[code].is_major:
            raise Open311NotFound(what=f"service {code}")
        return DefinitionOut(service_code=code, attributes=ATTRIBUTES)

    @get(
        "/requests.json",
        summary="Service requests, newest first",
        description="Public requests only (accepted by the city; anonymous reports without "
        "their text, some categories at a coarsened position). A client sending its key as "
        "X-Api-Key also sees its own requests in full.",
    )
    async def requests(
        self,
        request: Request,
        start_date: Annotated[UtcDateTime | None, QueryParameter(name="start_date")] = None,
        end_date: Annotated[UtcDateTime | None, QueryParameter(name="end_date")] = None,
        status: Annotated[str | None, QueryParameter(name="status", max_length=20)] = None,
        service_code: Annotated[
            str | None, QueryParameter(name="service_code", max_length=1000)
        ] = None,
        request_ids: Annotated[
            str | None, QueryParameter(name="service_request_id", max_length=3000)
        ] = None,
        bbox: Annotated[str | None, QueryParameter(name="bbox", max_length=100)] = None,
        limit: Annotated[int, QueryParameter(name="limit", ge=1, le=MAX_LIMIT)] = 50,
        offset: Annotated[int, QueryParameter(name="offset", ge=0, le=100_000)] = 0,
    ) -> list[RequestOut]:
        until = clock.as_utc(end_date) if end_date else clock.now()
        since = clock.as_utc(start_date) if start_date else until - MAX_WINDOW
        if until <= since or until - since > MAX_WINDOW:
            raise Open311Error(reason="start_date < end_date, at most 90 days apart")
        statuses = _split(status)
        if any(s not in ("open", "closed") for s in statuses):
            raise Open311Error(reason="status is open, closed or both")
        viewer = await _viewer(request)
        cases = await external.list_requests(
            filters=external.RequestFilter(
                since=since,
                until=until,
                statuses=statuses,
                service_codes=_split(service_code),
                ids=_split(request_ids),
                bbox=_bbox(bbox),
            ),
            limit=limit,
            offset=offset,
            viewer=viewer,
        )
        return await _requests_out(cases, _locale(request), viewer)

    @get(
        "/requests/{name:str}",
        summary="One service request: requests/{id}.json",
        description="404 unless public (or the X-Api-Key client's own); a merged request "
        "answers with the request it was merged into.",
    )
    async def one(self, request: Request, name: FromPath[str]) -> list[RequestOut]:
        public_id = _strip_json(name)
        viewer = await _viewer(request)
        case = (
            await external.get_request(public_id=public_id, viewer=viewer)
            if len(public_id) <= 24
            else None
        )
        if case is None:
            raise Open311NotFound(what=f"request {public_id}")
        return await _requests_out([case], _locale(request), viewer)

    @post(
        "/requests.json",
        summary="Create a service request (api_key required)",
    )
    async def create(
        self,
        request: Request,
        data: Annotated[dict[str, Any], Body(media_type=RequestEncodingType.URL_ENCODED)],
    ) -> Response[list[CreatedOut]]:
        key = _form_value(data, "api_key") or request.headers.get("x-api-key", "")
        client = await _system_client(key)
        report = _new_case(data)
        async with transaction():
            case = await external.file_service_request(
                actor=_actor(client),
                trusted=client.trusted,
                report=report,
                # GeoReport's own field: the caller, kept informed of the case by SMS.
                caller_phone=_form_value(data, "phone") or None,
            )
        return Response(
            [CreatedOut(service_request_id=case.public_id, service_notice="", account_id=None)],
            status_code=201,
        )


OPEN311_PREFIX = "/open311/v2"
open311_router = Router(
    path=OPEN311_PREFIX,
    route_handlers=[Open311Controller],
    exception_handlers=EXCEPTION_HANDLERS,
    opt={"errors": (403,)},  # a wrong api_key, wherever one is sent (Open311KeyInvalid)
)
