"""Open311 GeoReport v2 for other city systems: our leaf categories are the services,
cases are the service requests. Paths end in ``.xml`` or ``.json`` as the spec has them
(api/open311/formats.py); Litestar matches whole path segments, so ``{code}.json`` is read
as one segment."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from litestar import Controller, Request, Response, Router, get, post
from litestar.enums import RequestEncodingType
from litestar.params import Body, FromPath, QueryParameter

from accounts.api_keys import MachineClient, authenticate_api_key
from api.geo import read_bbox
from api.open311 import forms
from api.open311.errors import (
    EXCEPTION_HANDLERS,
    Open311Error,
    Open311KeyInvalid,
    Open311NotFound,
)
from api.open311.formats import Format, path_format, respond, split_format
from api.open311.structs import (
    ATTRIBUTES,
    CreatedOut,
    DefinitionOut,
    DiscoveryOut,
    EndpointOut,
    RequestOut,
    ServiceOut,
)
from api.types import UtcDateTime
from cases import external, hotline, visibility, wording
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


def _check_jurisdiction(value: str | None) -> None:
    """GeoReport's ``jurisdiction_id``: optional for an endpoint serving one jurisdiction,
    but when this one is configured, naming another is a 404 (as the spec has it)."""
    ours = get_settings().open311_jurisdiction_id
    if value and ours and value != ours:
        raise Open311NotFound(what=f"jurisdiction {value[:100]}")
    if value and len(value) > 100:
        raise Open311Error(reason="jurisdiction_id is at most 100 characters")


Jurisdiction = Annotated[str | None, QueryParameter(name="jurisdiction_id", max_length=100)]


def _split(value: str | None, limit: int = 100) -> list[str]:
    items = [v.strip() for v in (value or "").split(",") if v.strip()]
    if len(items) > limit:
        raise Open311Error(reason=f"at most {limit} comma-separated values")
    return items


def _bbox(value: str | None) -> tuple[float, float, float, float] | None:
    if not value:
        return None
    if (box := read_bbox(value)) is None:
        raise Open311Error(reason="bbox is west,south,east,north in WGS-84 degrees")
    return box


async def _requests_out(cases: list[Case], locale: str, viewer: Actor | None) -> list[RequestOut]:
    """Each request as ``viewer`` may see it (cases.visibility): its own in full, the rest
    as the public view. ``status_notes`` says where it stands in a citizen's words. Our
    photos never leave through ``media_url``: they are served only to those who may see
    them; a client sees there the link it sent with its own request."""
    names = {
        c.code: c.name(locale) for c in await admin_queries.list_categories(include_inactive=True)
    }
    agencies = {u.id: u.name(locale) for u in await units.list_units(active_only=False)}
    own = [c.id for c in cases if viewer is not None and visibility.is_reporter(viewer, c)]
    sent = await hotline.sender_details(own)
    return [
        RequestOut(
            service_request_id=case.public_id,
            status=external.OPEN311_STATUS.get(case.state, "open"),
            status_notes=wording.state_label(case.state, locale),
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
            media_url=sent.get(case.id, {}).get("media_url", ""),
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


def _requests_response(out: list[RequestOut], fmt: Format) -> Response:
    return respond(out, fmt, root="service_requests", item="request")


class Open311Controller(Controller):
    path = "/"
    tags = ["open311"]

    @get(["/discovery.xml", "/discovery.json"], summary="GeoReport v2 discovery")
    async def discovery(self, request: Request) -> Response[DiscoveryOut]:
        base = get_settings().public_base_url.rstrip("/")
        out = DiscoveryOut(
            changeset="2026-11-28T00:00:00Z",
            contact="City operations centre 城市运行管理服务中心",
            key_service=f"{base}/api/admin/api-clients (ask an administrator)",
            endpoints=[
                EndpointOut(
                    specification=SPEC,
                    url=f"{base}/open311/v2",
                    changeset="2026-11-28T00:00:00Z",
                    type="production",
                    formats=["text/xml", "application/json"],
                )
            ],
        )
        return respond(out, path_format(request), root="discovery", item=None)

    @get(["/services.xml", "/services.json"], summary="Services: our active subcategories")
    async def services(
        self, request: Request, jurisdiction_id: Jurisdiction = None
    ) -> Response[list[ServiceOut]]:
        _check_jurisdiction(jurisdiction_id)
        locale = _locale(request)
        rows = await admin_queries.list_categories()
        majors = {c.code: c for c in rows if c.is_major}
        out = [_service(c, locale, majors) for c in rows if not c.is_major]
        return respond(out, path_format(request), root="services", item="service")

    @get(
        "/services/{name:str}",
        summary="A service definition: services/{code}.xml or .json (extended attributes)",
    )
    async def definition(
        self, name: FromPath[str], jurisdiction_id: Jurisdiction = None
    ) -> Response[DefinitionOut]:
        _check_jurisdiction(jurisdiction_id)
        code, fmt = split_format(name)
        rows = {c.code: c for c in await admin_queries.list_categories()}
        if code not in rows or rows[code].is_major:
            raise Open311NotFound(what=f"service {code}")
        out = DefinitionOut(service_code=code, attributes=ATTRIBUTES)
        return respond(out, fmt, root="service_definition", item=None)

    @get(
        ["/requests.xml", "/requests.json"],
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
        jurisdiction_id: Jurisdiction = None,
    ) -> Response[list[RequestOut]]:
        _check_jurisdiction(jurisdiction_id)
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
        out = await _requests_out(cases, _locale(request), viewer)
        return _requests_response(out, path_format(request))

    @get(
        "/requests/{name:str}",
        summary="One service request: requests/{id}.xml or .json",
        description="404 unless public (or the X-Api-Key client's own); a merged request "
        "answers with the request it was merged into.",
    )
    async def one(
        self, request: Request, name: FromPath[str], jurisdiction_id: Jurisdiction = None
    ) -> Response[list[RequestOut]]:
        _check_jurisdiction(jurisdiction_id)
        public_id, fmt = split_format(name)
        viewer = await _viewer(request)
        case = (
            await external.get_request(public_id=public_id, viewer=viewer)
            if len(public_id) <= 24
            else None
        )
        if case is None:
            raise Open311NotFound(what=f"request {public_id}")
        return _requests_response(await _requests_out([case], _locale(request), viewer), fmt)

    @post(
        ["/requests.xml", "/requests.json"],
        summary="Create a service request (api_key required)",
        description="The caller's first_name, last_name, email, phone, device_id and "
        "account_id are kept (masked to staff); a caller's phone makes them a follower told "
        "of each step by SMS. media_url is kept as a link and never fetched.",
    )
    async def create(
        self,
        request: Request,
        data: Annotated[dict[str, Any], Body(media_type=RequestEncodingType.URL_ENCODED)],
    ) -> Response[list[CreatedOut]]:
        key = forms.form_value(data, "api_key") or request.headers.get("x-api-key", "")
        client = await _system_client(key)
        _check_jurisdiction(forms.form_value(data, "jurisdiction_id"))
        report = forms.new_case(data)
        caller = forms.caller(data)
        async with transaction():
            case = await external.file_service_request(
                actor=_actor(client), trusted=client.trusted, report=report, caller=caller
            )
        account = caller.details.get("account_id") if caller else None
        out = [CreatedOut(service_request_id=case.public_id, service_notice="", account_id=account)]
        return respond(
            out, path_format(request), root="service_requests", item="request", status=201
        )


OPEN311_PREFIX = "/open311/v2"
open311_router = Router(
    path=OPEN311_PREFIX,
    route_handlers=[Open311Controller],
    exception_handlers=EXCEPTION_HANDLERS,
    opt={"errors": (403,)},  # a wrong api_key, wherever one is sent (Open311KeyInvalid)
)
