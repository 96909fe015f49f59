"""Hostile input that hostile probes turned into 500s, pinned on every route that takes it:
JSON nested 1,000 deep (RecursionError in the decoder), bodies of any size, crafted
pagination cursors (a 2**70 id or a year-9999 time reached the database), edge date-times
(year 1 or 9999 with an offset overflowed when moved to UTC), and NUL characters. Each is a
4xx problem on both databases, and nothing is written. The routes come from the OpenAPI
document, so a new route that takes one of these inputs is covered (or fails the test)."""

from __future__ import annotations

import datetime as dt
import functools
import json
from xml.etree import ElementTree

import pytest

from accounts.api_keys import create_api_client
from core import clock
from core.db import transaction
from core.pagination import _signature, encode_cursor
from org.units import create_org_unit
from tests.cases_city import IN_GRID, build_city
from tests.helpers import assert_problem, jpeg_bytes
from tests.hostile import (
    CRAFTED_CURSORS,
    DEEP_ARRAY,
    DEEP_OBJECT,
    EDGE_DATES,
    EDGE_DATETIMES,
    NUL_TEXT,
    Input,
    inputs,
    json_text,
    owner,
    with_value,
)

ONE_MIB = 1024 * 1024
# Syntactically valid ids: bodies are decoded before any lookup.
PATH_VALUES = {
    "case_id": "k_0",
    "patrol_id": "p_0",
    "reward_id": "rw_0",
    "code": "S0",
    "day": "2026-10-01",
}


@functools.cache
def spec() -> dict:
    from litestar.serialization import encode_json

    from api.app import create_app

    return json.loads(encode_json(create_app().openapi_schema.to_schema()))


@pytest.fixture
async def headers(api):
    """Headers of one signed-in user per role, made on first use."""
    made: dict[str, dict] = {"anonymous": {}}

    async def of(role: str) -> dict:
        if role not in made:
            if role == "citizen":
                made[role] = (await api.citizen()).headers
            elif role == "merchant":  # a merchant belongs to a shop
                async with transaction():
                    shop = await create_org_unit(kind="shop", code="SHOP-HOSTILE", name_zh="商户")
                made[role] = (await api.staff(role, org_unit_id=shop.id)).headers
            elif role == "intake":
                issued = await api.post(
                    "/api/admin/api-clients",
                    json={"name": "cam-hostile", "kind": "camera", "trusted": True},
                    headers=await of("admin"),
                )
                made[role] = {"X-Api-Key": issued.json()["apiKey"]}
            else:
                made[role] = (await api.staff(role)).headers
        return made[role]

    return of


# ---------------------------------------------------------------- item 7: nesting and size

JSON_ROUTES = [
    ("POST", "/api/citizen/auth/wechat"),
    ("POST", "/api/citizen/auth/sms/request"),
    ("POST", "/api/inspector/auth/login"),
    ("POST", "/api/auth/refresh"),
    ("POST", "/api/citizen/reports"),
    ("PATCH", "/api/citizen/me"),
    ("POST", "/api/inspector/cases"),
    ("POST", "/api/inspector/patrols"),
    ("POST", "/api/admin/places"),
    ("POST", "/api/admin/grids/import"),
    ("PUT", "/api/admin/sla-policies"),
    ("POST", "/api/intake/events"),
]


@pytest.mark.parametrize("body", [DEEP_ARRAY, DEEP_OBJECT], ids=["array", "object"])
@pytest.mark.parametrize(("method", "path"), JSON_ROUTES)
async def test_json_nested_1000_deep_is_refused_before_decoding(api, headers, method, path, body):
    response = await api.request(
        method,
        path,
        content=body,
        headers={**await headers(owner(path)), "Content-Type": "application/json"},
    )
    problem = assert_problem(response, 400, "request.too_deep")
    assert problem["maxDepth"] == 32


async def test_depth_32_is_decoded_and_brackets_in_strings_do_not_count(api, headers):
    citizen = await headers("citizen")
    nested_32 = "[" * 32 + "]" * 32
    response = await api.post(
        "/api/citizen/reports",
        content=nested_32,
        headers={**citizen, "Content-Type": "application/json"},
    )
    assert_problem(response, 400, "request.invalid")  # a list, not a report: but decoded
    too_deep = "[" * 33 + "]" * 33
    response = await api.post(
        "/api/citizen/reports", content=too_deep, headers={**citizen, "Content-Type": "text/plain"}
    )
    assert_problem(response, 400, "request.too_deep")  # whatever the client calls it

    admin = await headers("admin")
    place = {
        "kind": "toilet",
        "name": "公厕" + "[{" * 500 + '\\"' + "[" * 100,
        "location": {"lat": IN_GRID[0], "lon": IN_GRID[1]},
    }
    created = await api.post("/api/admin/places", content=json_text(place), headers=admin)
    assert created.status_code == 400, created.text  # the name is over 200 characters
    assert created.json()["code"] == "request.invalid"
    place["name"] = '公厕 [[[[{{{{"'
    created = await api.post("/api/admin/places", content=json_text(place), headers=admin)
    assert created.status_code == 201, created.text


@pytest.mark.parametrize(
    "body", [DEEP_ARRAY, '{"type": "FeatureCollection", "features": [' + DEEP_OBJECT + "]}"]
)
async def test_imports_parsed_by_the_standard_library_refuse_deep_json(api, headers, body):
    response = await api.post(
        "/api/admin/places/import",
        content=body,
        headers={**await headers("admin"), "Content-Type": "application/geo+json"},
    )
    assert_problem(response, 400, "request.too_deep")


@pytest.mark.parametrize(
    ("body", "status", "code"),
    [
        (DEEP_ARRAY.encode(), 400, "request.too_deep"),
        (b'{"username": "admin\\u0000", "password": "x"}', 400, "request.invalid_text"),
        (b'{"username": "' + b"x" * ONE_MIB + b'", "password": "x"}', 413, "request.too_large"),
    ],
    ids=["deep", "nul", "oversize"],
)
async def test_mounted_apps_get_the_same_checks(api, body, status, code):
    """piccolo-admin reads its bodies itself (Starlette's request.json(), no size limit):
    its sign-in, open to anyone holding the CSRF cookie it hands out, was a 500."""
    await api.get("/admin/")
    csrf = {"X-CSRFToken": api.client.cookies.get("csrftoken"), "Content-Type": "application/json"}
    assert_problem(await api.post("/admin/public/login/", content=body, headers=csrf), status, code)
    wrong = b'{"username": "admin", "password": "x"}'
    response = await api.post("/admin/public/login/", content=wrong, headers=csrf)
    assert response.status_code == 401, response.text  # a plain body still gets through


@pytest.mark.parametrize("streamed", [False, True], ids=["content-length", "chunked"])
@pytest.mark.parametrize(
    ("method", "path"),
    [("POST", "/api/inspector/auth/login"), ("POST", "/api/citizen/reports"), *JSON_ROUTES[6:8]],
)
async def test_a_json_body_over_1_mib_is_refused(api, headers, method, path, streamed):
    body = json.dumps({"description": "x" * ONE_MIB}).encode()

    async def chunks():
        yield body[: len(body) // 2]
        yield body[len(body) // 2 :]

    content = chunks() if streamed else body
    response = await api.request(
        method,
        path,
        content=content,
        headers={**await headers(owner(path)), "Content-Type": "application/json"},
    )
    assert_problem(response, 413, "request.too_large")


async def test_uploads_and_imports_keep_their_own_limits(api, headers):
    citizen, admin = await headers("citizen"), await headers("admin")
    two_mib = b"\xff" * (2 * ONE_MIB)
    upload = await api.post(
        "/api/citizen/media",
        files={"file": ("big.jpg", two_mib, "image/jpeg")},
        headers=citizen,
    )
    assert 400 <= upload.status_code < 500 and upload.status_code != 413, upload.text
    rows = "kind,name,lat,lon\n" + "".join(
        f"toilet,公厕{i},{IN_GRID[0]},{IN_GRID[1]}\n" for i in range(40_000)
    )
    assert len(rows.encode()) > ONE_MIB
    imported = await api.post(
        "/api/admin/places/import",
        content=rows.encode(),
        headers={**admin, "Content-Type": "text/csv"},
    )
    assert imported.status_code != 413, imported.text


# ---------------------------------------------------------------------- item 8: cursors

LIST_KINDS = {
    "/api/citizen/reports": "cases",
    "/api/admin/cases": "cases",
    "/api/citizen/notifications": "inbox",
    "/api/inspector/notifications": "inbox",
    "/api/citizen/points/history": "points",
    "/api/citizen/redemptions": "redemptions",
    "/api/admin/redemptions": "redemptions",
    "/api/inspector/tasks": "tasks",
    "/api/admin/notifications/dead": "dead_letters",
    "/api/admin/places": "places",
    "/api/admin/signposts": "signposts",
    "/api/admin/audit": "audit",
    "/api/admin/alerts": "alerts",
    "/api/admin/points/review": "review",
    "/api/merchant/redemptions": "redemptions",
}


def _signed(payload: bytes, kind: str) -> str:
    """A cursor carrying ``payload`` with a good signature: what only a leaked key (or an
    older release) could produce; its content is still checked."""
    import base64

    def b64(raw: bytes) -> str:
        return base64.urlsafe_b64encode(raw).decode().rstrip("=")

    return f"{b64(payload)}.{b64(_signature(kind, payload))}"


def test_every_list_route_with_a_cursor_is_listed_here():
    cursors = {i.path for i in inputs(spec()) if i.location == "query" and i.name == "cursor"}
    assert cursors == set(LIST_KINDS)


def _bad_cursors(kind: str) -> list[str]:
    good = encode_cursor(clock.now(), 5, kind=kind)
    payload, _, signature = good.partition(".")
    foreign = encode_cursor(clock.now(), 5, kind="audit" if kind != "audit" else "cases")
    signed_bad = [
        b'["0001-01-01T00:00:00+14:00",5]',
        b'["9999-12-31T23:59:59-14:00",5]',
        b'["2026-01-01T00:00:00",5]',
        b'["2026-01-01T00:00:00Z",1180591620717411303424]',
        b'["2026-01-01T00:00:00Z",-1]',
        b'["2026-01-01T00:00:00Z",2147483648]',
        b'["2026-01-01T00:00:00Z","5"]',
        b'["2026-01-01T00:00:00Z",5,6]',
        b'{"at":"2026-01-01T00:00:00Z","id":5}',
        b"[" * 1000 + b"]" * 1000,
    ]
    return [
        *CRAFTED_CURSORS,
        good[:-3],  # truncated
        payload[:-2] + ("A" if payload[-2] != "A" else "B") + payload[-1] + "." + signature,
        f"{payload}.{signature[::-1]}",
        payload,  # the signature dropped
        foreign,
        *(_signed(p, kind) for p in signed_bad),
    ]


@pytest.mark.parametrize("path", sorted(LIST_KINDS))
async def test_crafted_cursors_are_invalid_cursors_on_every_list(api, headers, path):
    kind = LIST_KINDS[path]
    session = await headers(owner(path))
    for cursor in _bad_cursors(kind):
        response = await api.get(path, params={"cursor": cursor}, headers=session)
        assert_problem(response, 400, "request.invalid_cursor")
    # A cursor of this list, well formed and in range, is taken.
    good = await api.get(
        path, params={"cursor": encode_cursor(clock.now(), 5, kind=kind)}, headers=session
    )
    assert good.status_code == 200, good.text


async def test_a_real_cursor_pages_on_and_only_on_its_own_list(api, headers):
    admin = await headers("admin")
    for i in range(3):
        place = {
            "kind": "toilet",
            "name": f"公厕{i}",
            "location": {"lat": IN_GRID[0], "lon": IN_GRID[1]},
        }
        assert (await api.post("/api/admin/places", json=place, headers=admin)).status_code == 201
    first = (await api.get("/api/admin/places", params={"limit": 2}, headers=admin)).json()
    cursor = first["nextCursor"]
    assert cursor and len(first["items"]) == 2
    second = await api.get("/api/admin/places", params={"cursor": cursor}, headers=admin)
    assert [p["name"] for p in second.json()["items"]] == ["公厕2"]
    elsewhere = await api.get("/api/admin/signposts", params={"cursor": cursor}, headers=admin)
    assert_problem(elsewhere, 400, "request.invalid_cursor")


# ------------------------------------------------------------------- item 9: date-times


def datetime_inputs() -> list[Input]:
    return [i for i in inputs(spec()) if i.kind in ("string:date-time", "string:date")]


def test_every_date_time_input_is_one_of_the_api_types():
    """Each is documented with the bounds of api/types.py: none takes a bare datetime."""
    found = datetime_inputs()
    assert len(found) >= 36
    for item in found:
        assert "2000-01-01" in item.schema.get("description", ""), item


def _request(item: Input, value: str) -> tuple[str, dict, dict | None]:
    """The URL, query and body of a request that sends ``value`` as ``item``."""
    path_values = {**PATH_VALUES, **({item.name: value} if item.location == "path" else {})}
    url = item.path.format(**path_values)
    query = {}
    operation = spec()["paths"][item.path][item.method]
    for parameter in operation.get("parameters", []):
        if parameter["in"] == "query" and parameter.get("required"):
            fmt = parameter["schema"].get("format")
            query[parameter["name"]] = (
                "2026-01-01T00:00:00Z" if fmt == "date-time" else "2026-01-01"
            )
    if item.location == "query":
        query[item.name] = value
    body = with_value(item.keys, value) if item.location == "body" else None
    if body is None and "requestBody" in operation:
        body = {}
    return url, query, body


def _value_cases() -> list[tuple[Input, str]]:
    return [
        pytest.param(item, value, id=f"{item.method} {item.path} {item.name} {value}")
        for item in datetime_inputs()
        for value in (EDGE_DATETIMES if item.kind == "string:date-time" else EDGE_DATES)
    ]


@pytest.mark.parametrize(("item", "value"), _value_cases())
async def test_edge_date_times_are_bad_input_naming_the_field(api, headers, item, value):
    url, query, body = _request(item, value)
    response = await api.request(
        item.method.upper(),
        url,
        params=query,
        json=body,
        headers=await headers(owner(item.path)),
    )
    if item.path.startswith("/open311/"):
        assert response.status_code == 400, response.text
        if item.path.endswith(".xml"):
            description = ElementTree.fromstring(response.text).findtext("error/description")
        else:
            description = response.json()[0]["description"]
        assert description.startswith(f"{item.name}:"), response.text
        return
    problem = assert_problem(response, 400, "request.invalid")
    # The field is named (others may be too: the empty body of PUT /calendar/{day}).
    assert item.name in [e["field"] for e in problem["errors"]], problem


async def test_open311_occurred_at_is_bounded_too(api):
    """A form field, not a typed parameter: read with the same parser."""
    await build_city(api)
    async with transaction():
        key = (await create_api_client(name="hotline-12345", kind="system")).key
    for value in EDGE_DATETIMES:
        response = await api.post(
            "/open311/v2/requests.json",
            data={
                "api_key": key,
                "service_code": "E0102",
                "lat": str(IN_GRID[0]),
                "long": str(IN_GRID[1]),
                "attribute[occurred_at]": value,
            },
        )
        assert response.status_code == 400, response.text
        assert response.json()[0]["description"].startswith("attribute[occurred_at]:")


async def test_a_time_with_an_offset_is_stored_in_utc(api, headers):
    await build_city(api)
    citizen = await headers("citizen")
    media = await api.post(
        "/api/citizen/media",
        files={"file": ("p.jpg", jpeg_bytes(), "image/jpeg")},
        headers=citizen,
    )
    sent = clock.now().replace(microsecond=0) - dt.timedelta(hours=1)
    report = {
        "category": "E0102",
        "location": {"lat": IN_GRID[0], "lon": IN_GRID[1]},
        "mediaIds": [media.json()["id"]],
        "occurredAt": sent.astimezone(clock.city_zone()).isoformat(),  # +08:00
    }
    created = await api.post("/api/citizen/reports", json=report, headers=citizen)
    assert created.status_code == 201, created.text
    case_id = created.json()["id"]
    shown = await api.get(f"/api/admin/cases/{case_id}", headers=await headers("admin"))
    assert shown.status_code == 200, shown.text
    occurred = shown.json()["events"][0]["occurredAt"]
    assert occurred.endswith(("Z", "+00:00")), occurred
    assert clock.as_utc(dt.datetime.fromisoformat(occurred)) == sent


# -------------------------------------------------------------- NUL and lone surrogates


async def test_nul_anywhere_is_bad_text_and_nothing_is_written(api, headers):
    admin = await headers("admin")
    place = {"kind": "toilet", "name": "公厕", "location": {"lat": IN_GRID[0], "lon": IN_GRID[1]}}
    sent = [
        await api.get("/api/admin/cases", params={"source": NUL_TEXT}, headers=admin),
        await api.get("/api/admin/grids/37%00", headers=admin),
        await api.post("/api/admin/places", json={**place, "name": NUL_TEXT}, headers=admin),
        await api.post(
            "/api/admin/places",
            json={**place, "attributes": {"note": NUL_TEXT}},
            headers=admin,
        ),
        await api.post(
            "/api/admin/places",
            json=place,
            headers={**admin, "Idempotency-Key": "key\x00"},
        ),
        await api.post(
            "/api/admin/places/import",
            content=json_text(
                {
                    "type": "FeatureCollection",
                    "features": [
                        {
                            "type": "Feature",
                            "properties": {"kind": "toilet", "name": NUL_TEXT},
                            "geometry": {"type": "Point", "coordinates": [IN_GRID[1], IN_GRID[0]]},
                        }
                    ],
                }
            ).encode(),
            headers={**admin, "Content-Type": "application/geo+json"},
        ),
    ]
    for response in sent:
        assert_problem(response, 400, "request.invalid_text")
    listed = await api.get("/api/admin/places", headers=admin)
    assert listed.json()["items"] == []
    form = await api.post(
        "/open311/v2/requests.json",
        data={"service_code": "E0102", "description": NUL_TEXT, "lat": "36", "long": "120"},
    )
    assert form.status_code == 400 and form.json()[0]["code"] == 400, form.text


@pytest.mark.parametrize("text", ["\ud800", "x\udfff", "\udc00\ud800"])
async def test_lone_surrogates_are_refused_by_every_json_reader(api, headers, text):
    admin = await headers("admin")
    place = {"kind": "toilet", "name": text, "location": {"lat": IN_GRID[0], "lon": IN_GRID[1]}}
    decoded_by_msgspec = await api.post(
        "/api/admin/places",
        content=json_text(place),
        headers={**admin, "Content-Type": "application/json"},
    )
    assert_problem(decoded_by_msgspec, 400, "request.invalid_text")
    feature = {
        "type": "Feature",
        "properties": {"kind": "toilet", "name": text},
        "geometry": {"type": "Point", "coordinates": [IN_GRID[1], IN_GRID[0]]},
    }
    decoded_by_json = await api.post(
        "/api/admin/places/import",
        content=json_text({"type": "FeatureCollection", "features": [feature]}),
        headers={**admin, "Content-Type": "application/geo+json"},
    )
    assert_problem(decoded_by_json, 400, "request.invalid_text")
    assert (await api.get("/api/admin/places", headers=admin)).json()["items"] == []
