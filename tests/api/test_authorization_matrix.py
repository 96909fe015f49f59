"""Authorization proof over every route of the app.

The routes are read from the app itself, so a route added later is checked at once: one with
a path parameter needs a matrix entry (tests/api/authz_cases.py) or a place in its explicit
public allow-list, and every guarded route is swept with the wrong kind of token."""

from __future__ import annotations

import re
from dataclasses import dataclass

import pytest

from api.app import create_app
from cases.hotline import TAKER_ROLES
from core.actors import CITY_STAFF_ROLES, STAFF_ROLES
from core.db import transaction
from org.units import create_org_unit
from tests.api.authz_cases import MATRIX, PUBLIC
from tests.api.authz_world import (
    Probe,
    World,
    api_client,
    build_world,
    device,
    dispatched_case,
    headers_of,
    patrol,
    redemption,
    reported_case,
)
from tests.api.citizen.test_notifications import _deliver
from tests.api.inspector.field import act, ok, patrol_report, photo
from tests.api.open311.test_georeport import _form
from tests.cases_city import IN_GRID
from tests.helpers import Session, assert_problem, upload_photo
from tests.places.util import add_place
from tests.rewards.support import citizen_id

# Who each app's router lets in, unless a route names its own roles.
APPS = {
    "/api/citizen/": ("citizen",),
    "/api/inspector/": CITY_STAFF_ROLES,
    "/api/admin/": ("operator", "admin"),
    "/api/hotline/": TAKER_ROLES,
    "/api/merchant/": ("merchant",),
}

# Admin writes open to operators as well as admins: the command centre's own work. Every
# other admin write must be admin-only (opt roles), so a new write route has to be placed.
OPERATOR_WRITES = {
    ("POST", "/api/admin/cases/{case_id:str}/{action:str}"),  # accept, dispatch, ...
    ("PUT", "/api/admin/cases/{case_id:str}/public-text"),  # moderation
    ("DELETE", "/api/admin/cases/{case_id:str}/public-text"),
    ("POST", "/api/admin/notifications/dead/{delivery_id:int}/retry"),
    # Duties are scheduled by the command centre (tests/api/inspector/test_patrols.py),
    # although the README lists patrol-duties with the admin-only configuration.
    ("POST", "/api/admin/patrol-duties"),
    ("DELETE", "/api/admin/patrol-duties/{duty_id:int}"),
    # Places and signposts: "operator, admin" in the README's API map.
    ("POST", "/api/admin/places"),
    ("POST", "/api/admin/places/import"),
    ("PATCH", "/api/admin/places/{place_id:int}"),
    ("DELETE", "/api/admin/places/{place_id:int}"),
    ("PUT", "/api/admin/places/{place_id:int}/feed"),
    ("POST", "/api/admin/place-kinds"),
    ("PATCH", "/api/admin/place-kinds/{code:str}"),
    ("POST", "/api/admin/signposts"),
    ("POST", "/api/admin/signposts/import"),
    ("POST", "/api/admin/signposts/sheet"),  # renders a PDF, changes nothing
    ("PATCH", "/api/admin/signposts/{code:str}"),
    ("DELETE", "/api/admin/signposts/{code:str}"),
    # The command centre's own work (README: operator, supervisor, admin).
    ("POST", "/api/admin/cases/{case_id:str}/supervision"),
    ("POST", "/api/admin/cases/{case_id:str}/notes"),
    ("POST", "/api/admin/alerts/{alert_id:int}/acknowledge"),
    ("POST", "/api/admin/duty-shifts"),
    ("DELETE", "/api/admin/duty-shifts/{shift_id:int}"),
    # Accepting a report's photos pays its held points: the operator who accepts reports.
    ("POST", "/api/admin/points/holds/{case_id:str}/release"),
}


# Reads closed to operators (the README's API map says "admin").
ADMIN_ONLY_READS = {
    ("GET", "/api/admin/points/accounts/{citizen_id:str}"),
    ("GET", "/api/admin/points/review"),
}


@dataclass(frozen=True)
class Route:
    method: str
    path: str
    public: bool
    roles: tuple[str, ...]  # who the guard lets through; () for routes outside the apps

    @property
    def key(self) -> tuple[str, str]:
        return (self.method, self.path)

    @property
    def url(self) -> str:
        """The path with a value of the right type in each parameter (nothing by that id)."""
        samples = {"int": "987654", "date": "2031-01-06"}
        named = {"variant": "thumb", "action": "accept"}

        def value(match: re.Match) -> str:
            name, kind = match.group(1), match.group(2)
            return named.get(name) or samples.get(kind, "zz_0000000")

        return re.sub(r"\{(\w+):(\w+)\}", value, self.path)


def _routes() -> list[Route]:
    found = []
    for route in create_app().routes:
        for handler in getattr(route, "route_handlers", []):
            for method in sorted(handler.http_methods - {"HEAD", "OPTIONS"}):
                default = next((r for p, r in APPS.items() if route.path.startswith(p)), ())
                roles = tuple(handler.opt.get("roles", default))
                public = bool(handler.opt.get("public", False))
                found.append(Route(method, route.path, public, roles))
    return found


ROUTES = _routes()


def _in(prefix: str) -> list[Route]:
    return [r for r in ROUTES if r.path.startswith(prefix) and not r.public]


async def _send(api, method: str, url: str, who, body=None):
    kwargs = {} if body is None and method in ("GET", "DELETE") else {"json": body or {}}
    return await api.request(method, url, headers=headers_of(who) if who else {}, **kwargs)


def test_every_route_with_a_path_parameter_is_in_the_matrix_or_public():
    with_params = {r.key for r in ROUTES if "{" in r.path}
    assert len(with_params) > 60, len(with_params)  # the enumeration itself works
    unplaced = with_params - MATRIX.keys() - PUBLIC.keys()
    assert not unplaced, f"routes with neither a matrix entry nor a public reason: {unplaced}"
    stale = (MATRIX.keys() | PUBLIC.keys()) - with_params
    assert not stale, f"entries for routes the app no longer has: {stale}"
    assert not MATRIX.keys() & PUBLIC.keys()


@pytest.fixture
async def world(api) -> World:
    return await build_world(api)


@pytest.mark.parametrize("key", sorted(MATRIX), ids=lambda key: f"{key[0]} {key[1]}")
async def test_only_the_rightful_get_the_object(api, world, key):
    probe: Probe = await MATRIX[key](world)
    assert probe.intruders
    for intruder in probe.intruders:
        body = await probe.body(intruder) if callable(probe.body) else probe.body
        response = await _send(api, probe.method, probe.url, intruder, body)
        assert response.status_code in probe.refused, (intruder, response.text)
        if probe.url.startswith("/workbench/map/data/"):  # the map's JSON: problem+json
            assert response.headers["content-type"].startswith("application/problem+json")
        elif probe.url.startswith("/workbench/"):  # pages: an HTML error page or sign-in
            assert response.status_code == 303 or response.headers["content-type"].startswith(
                "text/html"
            ), response.headers
        else:
            assert response.headers["content-type"].startswith("application/problem+json")
    body = await probe.body(probe.owner) if callable(probe.body) else probe.body
    response = await _send(api, probe.method, probe.url, probe.owner, body)
    served = probe.served or range(200, 300)
    assert response.status_code in served, response.text


# --- the wrong kind of token on every guarded route -----------------------------------------


async def _sweep(api, routes: list[Route], wrong: Session, status: int, code: str, rightful):
    """``wrong`` is refused on each route; a session of an allowed role passes the guard on
    the same request (any answer but 401/403), so the refusal is the guard's doing."""
    assert routes
    for route in routes:
        response = await _send(api, route.method, route.url, wrong)
        assert response.status_code == status, (route, response.text)
        assert response.json()["code"] == code, (route, response.text)
        allowed = await rightful(route)
        control = await _send(api, route.method, route.url, allowed)
        assert control.status_code not in (401, 403), (route, control.text)


@pytest.fixture
async def people(api) -> dict[str, Session]:
    async with transaction():
        shop = await create_org_unit(kind="shop", code="SHOP-AUTHZ", name_zh="商户")
    roles = {
        role: await api.staff(role, org_unit_id=shop.id if role == "merchant" else None)
        for role in STAFF_ROLES
    }
    # DELETE /api/citizen/me closes the account it is sent with: each sweep (two at most)
    # gets one of its own.
    closing = [await api.citizen(), await api.citizen()]
    return {"citizen": await api.citizen(), "citizens_to_close": closing, **roles}


def _first_allowed(people):
    """A session the route's guard lets in (an admin where operators are let in too)."""

    async def pick(route: Route) -> Session:
        if (route.method, route.path) == ("DELETE", "/api/citizen/me"):
            return people["citizens_to_close"].pop()
        return people[route.roles[0]] if route.roles[0] != "operator" else people["admin"]

    return pick


async def test_citizen_tokens_are_refused_by_every_staff_route(api, people):
    routes = _in("/api/inspector/") + _in("/api/admin/") + _in("/api/hotline/")
    routes += _in("/api/merchant/")
    await _sweep(api, routes, people["citizen"], 403, "auth.wrong_audience", _first_allowed(people))


async def test_staff_tokens_are_refused_by_every_citizen_route(api, people):
    routes = _in("/api/citizen/")
    for role in ("inspector", "admin"):
        await _sweep(api, routes, people[role], 403, "auth.wrong_audience", _first_allowed(people))


async def test_field_staff_are_refused_by_every_admin_route(api, people):
    for role in ("inspector", "handler", "call_taker"):
        await _sweep(
            api,
            _in("/api/admin/"),
            people[role],
            403,
            "auth.role_forbidden",
            _first_allowed(people),
        )


async def test_only_call_takers_and_the_centre_take_calls(api, people):
    for role in ("inspector", "handler", "supervisor"):
        await _sweep(
            api,
            _in("/api/hotline/"),
            people[role],
            403,
            "auth.role_forbidden",
            _first_allowed(people),
        )


async def test_merchants_are_refused_by_every_city_staff_route(api, people):
    """Merchants are staff accounts (one sign-in) but work only in /api/merchant."""
    routes = _in("/api/inspector/") + _in("/api/admin/") + _in("/api/hotline/")
    await _sweep(
        api, routes, people["merchant"], 403, "auth.role_forbidden", _first_allowed(people)
    )


async def test_city_staff_are_refused_by_every_merchant_route(api, people):
    for role in CITY_STAFF_ROLES:
        await _sweep(
            api,
            _in("/api/merchant/"),
            people[role],
            403,
            "auth.role_forbidden",
            _first_allowed(people),
        )


async def test_operators_are_refused_by_every_admin_only_route(api, people):
    admin_only = [r for r in _in("/api/admin/") if r.roles == ("admin",)]
    writes = {r.key for r in _in("/api/admin/") if r.method != "GET"}
    assert writes - {r.key for r in admin_only} == OPERATOR_WRITES
    assert {r.key for r in admin_only if r.method == "GET"} == ADMIN_ONLY_READS
    await _sweep(
        api, admin_only, people["operator"], 403, "auth.role_forbidden", _first_allowed(people)
    )


async def test_handlers_and_admins_are_refused_by_inspector_only_routes(api, people):
    only = [r for r in _in("/api/inspector/") if r.roles == ("inspector",)]
    assert {r.path for r in only} >= {"/api/inspector/cases", "/api/inspector/patrols"}
    for role in ("handler", "operator", "admin", "call_taker"):
        await _sweep(api, only, people[role], 403, "auth.role_forbidden", _first_allowed(people))


async def test_no_token_is_refused_by_every_guarded_route(api):
    routes = [_in(app) for app in APPS]
    for route in [route for app in routes for route in app]:
        assert_problem(await _send(api, route.method, route.url, None), 401, "auth.required")


async def test_tokens_are_no_api_keys_on_the_intake_routes(api, people):
    routes = _in("/api/intake/")
    assert routes
    for route in routes:
        for who in (None, people["admin"], people["citizen"]):
            response = await _send(api, route.method, route.url, who)
            assert response.status_code == 401, (route, response.text)


# --- objects named in the body ---------------------------------------------------------------


async def test_a_report_takes_only_the_reporters_own_photos(api, world):
    theirs = await upload_photo(api.client, world.citizen_b, seed=501)
    staff_photo = await photo(api, world.city.inspector)
    for media_id in (theirs, staff_photo):
        response = await _report(api, world.citizen, [media_id])
        assert_problem(response, 404, "media.not_found")
    mine = await upload_photo(api.client, world.citizen, seed=502)
    assert (await _report(api, world.citizen, [mine])).status_code == 201
    # Refused, the photo was not taken from its owner.
    assert (await _report(api, world.citizen_b, [theirs])).status_code == 201


async def _report(api, citizen, media_ids):
    body = {"category": "E0102", "location": {"lat": IN_GRID[0], "lon": IN_GRID[1]}}
    return await api.post(
        "/api/citizen/reports", headers=citizen.headers, json={**body, "mediaIds": media_ids}
    )


async def test_evidence_photos_must_be_the_senders_own(api, world):
    hw, inspector = world.city.handler_hw, world.city.inspector
    case_id = await dispatched_case(world)
    citizens_photo = await upload_photo(api.client, world.citizen, seed=503)
    for media_id in (await photo(api, world.other_handler), await photo(api, inspector)):
        response = await act(api, hw, case_id, "resolve", {"mediaIds": [media_id]})
        assert_problem(response, 404, "media.not_found")
    response = await act(api, hw, case_id, "resolve", {"mediaIds": [citizens_photo]})
    assert_problem(response, 404, "media.not_found")
    handlers_photo = await photo(api, hw)
    await ok(api, hw, case_id, "resolve", {"mediaIds": [handlers_photo]})
    # The handler's after-photo cannot be passed off as the inspector's closing evidence.
    for media_id in (handlers_photo, await photo(api, world.other_inspector)):
        response = await act(api, inspector, case_id, "close", {"mediaIds": [media_id]})
        assert_problem(response, 404, "media.not_found")
    body = await ok(api, inspector, case_id, "close", {"mediaIds": [await photo(api, inspector)]})
    assert body["case"]["state"] == "closed"


async def test_patrol_and_quick_reports_take_only_the_inspectors_own_photos(api, world):
    inspector = world.city.inspector
    other = await photo(api, world.other_inspector)
    response = await patrol_report(api, inspector, photos=[other])
    assert_problem(response, 404, "media.not_found")
    quick = {
        "category": "E0102",
        "location": {"lat": IN_GRID[0], "lon": IN_GRID[1]},
        "mediaIds": [await photo(api, inspector)],
        "afterMediaIds": [other],
    }
    response = await api.post("/api/inspector/cases/quick", json=quick, headers=inspector.headers)
    assert_problem(response, 404, "media.not_found")
    quick["afterMediaIds"] = [await photo(api, inspector)]
    response = await api.post("/api/inspector/cases/quick", json=quick, headers=inspector.headers)
    assert response.status_code == 201, response.text
    assert (await patrol_report(api, world.other_inspector, photos=[other])).status_code == 201


async def test_marking_read_touches_only_my_own_notifications(api, world):
    await _deliver(citizen_id(world.citizen), 2)
    inbox = "/api/citizen/notifications"
    items = (await api.get(inbox, headers=world.citizen.headers)).json()["items"]
    ids = [item["id"] for item in items]
    assert len(ids) == 2
    response = await api.post(f"{inbox}/read", json={"ids": ids}, headers=world.citizen_b.headers)
    assert response.status_code == 200 and response.json()["updated"] == 0
    response = await api.post(f"{inbox}/read", json={"ids": ids}, headers=world.citizen.headers)
    assert response.json() == {"updated": 2, "unread": 0}


async def test_machine_keys_act_only_for_their_kind(api, world):
    """A key is issued for one kind of machine: a camera's key cannot set a car park's free
    spaces or speak Open311 for a city system, nor a car park's key file detections."""
    lot = await add_place(api, world.admin, kind="parking", name="停车场")
    event = {
        "externalId": "evt-1",
        "kind": "camera",
        "category": "E0102",
        "location": {"lat": IN_GRID[0], "lon": IN_GRID[1]},
    }
    clients = {k: await api_client(world, kind=k) for k in ("camera", "parking", "system")}
    keys = {kind: key for kind, (_, key) in clients.items()}
    bound = await api.put(
        f"/api/admin/places/{lot['id']}/feed",
        json={"clientId": clients["parking"][0]},
        headers=world.admin.headers,
    )
    assert bound.status_code == 200, bound.text
    for wrong, right, method, url, body in (
        (
            "camera",
            "parking",
            "PUT",
            f"/api/intake/places/{lot['id']}/availability",
            {"freeSpaces": 3},
        ),
        ("parking", "camera", "POST", "/api/intake/events", event),
    ):
        refused = await api.request(method, url, json=body, headers={"X-Api-Key": keys[wrong]})
        assert_problem(refused, 403, "auth.role_forbidden")
        served = await api.request(method, url, json=body, headers={"X-Api-Key": keys[right]})
        assert served.status_code in (200, 201), served.text
    for wrong in ("camera", "parking"):
        refused = await api.post("/open311/v2/requests.json", data=_form(keys[wrong]))
        assert refused.status_code == 403, refused.text
    served = await api.post("/open311/v2/requests.json", data=_form(keys["system"]))
    assert served.status_code == 201, served.text


# --- lists -----------------------------------------------------------------------------------


def _ids(body) -> set[str]:
    """Every "id" in a list response, whatever its envelope."""
    found: set[str] = set()
    if isinstance(body, dict):
        found |= {str(body["id"])} if "id" in body else set()
        for value in body.values():
            found |= _ids(value)
    elif isinstance(body, list):
        for item in body:
            found |= _ids(item)
    return found


async def test_lists_show_only_the_callers_objects(api, world):
    reported, dispatched = await reported_case(world), await dispatched_case(world)
    red, trip = str(await redemption(world)), str(await patrol(world))
    phone = str(await device(world, world.citizen))
    await _deliver(citizen_id(world.citizen), 1)
    mine = (await api.get("/api/citizen/notifications", headers=world.citizen.headers)).json()
    note = str(mine["items"][0]["id"])
    i = "/api/inspector"
    c = "/api/citizen"
    for url, owner, outsiders, object_id in (
        (f"{c}/reports", world.citizen, [world.citizen_b], reported),
        (f"{c}/redemptions", world.citizen, [world.citizen_b], red),
        (f"{c}/devices", world.citizen, [world.citizen_b], phone),
        (f"{c}/notifications", world.citizen, [world.citizen_b], note),
        (
            f"{i}/tasks",
            world.city.inspector,
            [world.other_inspector, world.other_handler],
            reported,
        ),
        (
            f"{i}/tasks",
            world.city.handler_hw,
            [world.other_inspector, world.other_handler],
            dispatched,
        ),
        (f"{i}/patrols", world.city.inspector, [world.other_inspector], trip),
    ):
        assert object_id in _ids((await api.get(url, headers=owner.headers)).json()), url
        for outsider in outsiders:
            response = await api.get(url, headers=outsider.headers)
            assert response.status_code == 200, response.text
            assert object_id not in _ids(response.json()), (url, outsider)


async def test_followers_see_neither_in_the_view_nor_by_id_the_verification_evidence(api, world):
    case_id = await reported_case(world)
    evidence = await photo(api, world.city.inspector)
    await ok(api, world.city.inspector, case_id, "verify", {"valid": True, "mediaIds": [evidence]})
    # Verified, so public: now it can be followed (tests/api/test_visibility.py).
    follow = await api.post(
        f"/api/citizen/reports/{case_id}/follow", headers=world.citizen_b.headers, json={}
    )
    assert follow.status_code == 200, follow.text
    views = {}
    for who in (world.citizen, world.citizen_b):
        view = await api.get(f"/api/citizen/reports/{case_id}", headers=who.headers)
        views[who.access] = {p["id"]: p["role"] for p in view.json()["photos"]}
    assert views[world.citizen.access][evidence] == "evidence"
    assert evidence not in views[world.citizen_b.access]
    report_photo = next(iter(views[world.citizen_b.access]))  # the report's own: shared
    for media_id, follower_status in ((evidence, 404), (report_photo, 200)):
        url = f"/api/citizen/media/{media_id}/thumb"
        assert (await api.get(url, headers=world.citizen.headers)).status_code == 200
        response = await api.get(url, headers=world.citizen_b.headers)
        assert response.status_code == follower_status, (media_id, response.text)
