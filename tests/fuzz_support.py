"""Schema fuzzing support: seed a real app process with something of everything, sign in as
every role, and run schemathesis over every operation of the app's OpenAPI document as one
role at a time, collecting every failure instead of stopping at the first."""

from __future__ import annotations

import os
import random
import time
from collections import Counter
from dataclasses import dataclass, field

import httpx
import jwt
import requests
from hypothesis import HealthCheck, Phase, given, seed, settings
from hypothesis import strategies as st

from tests.helpers import jpeg_bytes

PASSWORD = "fuzz-password-0123456789"
FUZZ_SEED = int(os.environ.get("CITYOPS_FUZZ_SEED", "20261128"))
ROLES = (
    "anonymous",
    "intake",
    "citizen",
    "inspector",
    "handler",
    "merchant",
    "operator",
    "admin",
)
# The staff of the demo (api/demo.py) under their demo usernames, so that `load_demo` puts
# the inspector in the demo grids and the handler in a unit; the passwords are ours.
STAFF = {"admin": "admin", "operator": "operator", "inspector": "inspector", "handler": "handler"}
# Staff created first, so the low ids an admin's fuzzed PATCH /staff/{id} tends to hit are
# these and not the accounts the other roles' runs sign in with.
DECOYS = 12

SEED = """
import asyncio
from core import db
from core.settings import get_settings
from core.schema import migrate

async def main():
    await db.open_pool(get_settings())
    await migrate()
    from accounts.passwords import hash_new_password
    from accounts.service import create_staff
    from api.demo import load_demo
    from core.db import transaction
    hashed = await hash_new_password("PASSWORD")
    async with transaction():
        for i in range(DECOYS):
            await create_staff(username=f"decoy{i}", password_hash=hashed, role="inspector")
        for username, role in STAFF.items():
            await create_staff(username=username, password_hash=hashed, role=role)
    summary = await load_demo()
    await db.close_pool()
    print(summary.splitlines()[0])

asyncio.run(main())
"""


def seed_script() -> str:
    return (
        SEED.replace("DECOYS", str(DECOYS))
        .replace("PASSWORD", PASSWORD)
        .replace("STAFF.items()", repr(tuple(STAFF.items())))
    )


def fuzz_env(**extra: str) -> dict[str, str]:
    """Settings of the fuzzed process: fast password hashing, long tokens, and rate limits
    high enough that the fuzzer reaches the handlers (429 stays a documented answer: the
    per-IP login and per-citizen report limits are fixed and still trip)."""
    return {
        "CITYOPS_PASSWORD_ITERATIONS": "1000",
        "CITYOPS_ACCESS_TOKEN_TTL_SECONDS": "3600",
        "CITYOPS_PLACES_NEARBY_RATE_LIMIT": "1000000",
        "CITYOPS_SIGNPOST_RATE_LIMIT": "1000000",
        "CITYOPS_LOGIN_MAX_FAILURES": "1000000",
        "CITYOPS_LOGIN_MAX_FAILURES_PER_IP": "1000000",
        "CITYOPS_MEDIA_UPLOAD_BURST": "1000000",
        "CITYOPS_MEDIA_DAILY_UPLOADS_CITIZEN": "1000000",
        "CITYOPS_MEDIA_DAILY_UPLOADS_STAFF": "1000000",
        "CITYOPS_CACHE_CHECK_SECONDS": "0",
        **extra,
    }


def _bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def _ok(response: httpx.Response) -> dict:
    assert response.status_code < 300, f"{response.request.url}: {response.text}"
    return response.json() if response.content else {}


@dataclass
class World:
    """Who the fuzzer is and what exists, for path parameters that reach the handlers."""

    headers: dict[str, dict[str, str]]
    known: dict[tuple[str, str], list] = field(default_factory=dict)

    def values(self, path: str, name: str) -> list:
        return self.known.get((path, name)) or self.known.get(("*", name)) or []


def _items(client: httpx.Client, path: str, headers: dict, **params) -> list[dict]:
    body = _ok(client.get(path, headers=headers, params=params))
    return body["items"] if isinstance(body, dict) else body


def _merchant(client: httpx.Client, admin: dict) -> dict[str, str]:
    """A merchant made as admins make one (a shop, then the account in it), with a reward of
    the shop, so its routes answer with something."""
    unit = {"kind": "shop", "code": "FUZZ-SHOP", "nameZh": "商户"}
    shop = _ok(client.post("/api/admin/org-units", json=unit, headers=admin))
    account = {"username": "merchant", "password": PASSWORD, "role": "merchant"}
    _ok(client.post("/api/admin/staff", json={**account, "orgUnitId": shop["id"]}, headers=admin))
    reward = {"name": "商户券", "cost": 1, "stock": 5, "fulfilment": "voucher"}
    _ok(client.post("/api/admin/rewards", json={**reward, "shopUnitId": shop["id"]}, headers=admin))
    login = client.post(
        "/api/inspector/auth/login", json={"username": "merchant", "password": PASSWORD}
    )
    return _bearer(_ok(login)["accessToken"])


def prepare(base: str, wechat_url: str) -> World:
    """Sign in as every role and create what the demo lacks (through the API), then list
    real ids and codes."""
    with httpx.Client(base_url=base, timeout=60) as client:
        headers: dict[str, dict[str, str]] = {"anonymous": {}}
        for role, username in STAFF.items():
            login = client.post(
                "/api/inspector/auth/login", json={"username": username, "password": PASSWORD}
            )
            headers[role] = _bearer(_ok(login)["accessToken"])
        code = _ok(httpx.post(f"{wechat_url}/__fake__/login", json={"openid": "fuzz-citizen"}))
        signed_in = _ok(client.post("/api/citizen/auth/wechat", json={"code": code["code"]}))
        headers["citizen"] = citizen = _bearer(signed_in["accessToken"])
        # A second citizen, for the stateful phase's "me too" (tests/fuzz_stateful.py).
        code = _ok(httpx.post(f"{wechat_url}/__fake__/login", json={"openid": "fuzz-citizen-2"}))
        other = _ok(client.post("/api/citizen/auth/wechat", json={"code": code["code"]}))
        headers["citizen2"] = _bearer(other["accessToken"])
        # DELETE /api/citizen/me closes the account it is sent with (auth_for).
        code = _ok(httpx.post(f"{wechat_url}/__fake__/login", json={"openid": "fuzz-closing"}))
        closing = _ok(client.post("/api/citizen/auth/wechat", json={"code": code["code"]}))
        headers["citizen-closing"] = _bearer(closing["accessToken"])
        admin, inspector = headers["admin"], headers["inspector"]
        headers["merchant"] = _merchant(client, admin)
        issued = _ok(
            client.post(
                "/api/admin/api-clients",
                json={"name": "fuzz-camera", "kind": "camera", "trusted": True},
                headers=admin,
            )
        )
        headers["intake"] = {"X-Api-Key": issued["apiKey"]}

        photo = {"file": ("photo.jpg", jpeg_bytes(), "image/jpeg")}
        media = _ok(client.post("/api/citizen/media", files=photo, headers=citizen))["id"]
        staff_media = _ok(client.post("/api/inspector/media", files=photo, headers=inspector))
        device = _ok(
            client.post(
                "/api/citizen/devices",
                json={"platform": "android", "token": "fuzz-device-token"},
                headers=citizen,
            )
        )
        # Admins name a citizen by the public id, the access token's subject.
        citizen_id = jwt.decode(signed_in["accessToken"], options={"verify_signature": False})[
            "sub"
        ]
        _ok(
            client.post(
                "/api/admin/points/adjust",
                json={"citizenId": citizen_id, "amount": 500, "reason": "fuzz"},
                headers=admin,
            )
        )
        reward = _ok(
            client.post(
                "/api/admin/rewards",
                json={"name": "公交卡", "cost": 10, "stock": 100, "fulfilment": "voucher"},
                headers=admin,
            )
        )
        redemption = _ok(
            client.post(f"/api/citizen/rewards/{reward['reward']['id']}/redeem", headers=citizen)
        )
        patrol = _ok(client.post("/api/inspector/patrols", json={}, headers=inspector))

        cases = [c["id"] for c in _items(client, "/api/admin/cases", admin, limit=50)]
        places = [p["id"] for p in _items(client, "/api/admin/places", admin, limit=20)]
        signposts = [s["code"] for s in _items(client, "/api/admin/signposts", admin, limit=20)]
        grids = [g["code"] for g in _items(client, "/api/admin/grids", admin)][:20]
        tree = _items(client, "/api/admin/categories", admin)
        categories = [n["category"]["code"] for n in tree][:10]
        categories += [c["code"] for n in tree for c in n["children"]][:20]
        kinds = [k["code"] for k in _items(client, "/api/admin/place-kinds", admin)]
        units = [u["id"] for u in _items(client, "/api/admin/org-units", admin)][:20]
        staff = [s["id"] for s in _items(client, "/api/admin/staff", admin, limit=DECOYS)]
        rules = [r["id"] for r in _items(client, "/api/admin/dispatch-rules", admin)][:20]
        services = [s["service_code"] for s in _ok(client.get("/open311/v2/services.json"))]
        handler_unit = _ok(client.get("/api/inspector/me", headers=headers["handler"]))

    known: dict[tuple[str, str], list] = {
        ("*", "case_id"): cases,
        ("*", "place_id"): places,
        ("*", "media_id"): [media, staff_media["id"]],
        ("*", "variant"): ["display", "thumb"],
        ("*", "device_id"): [device["id"]],
        ("*", "reward_id"): [reward["reward"]["id"]],
        ("*", "redemption_id"): [redemption["id"]],
        ("*", "patrol_id"): [patrol["id"]],
        ("*", "citizen_id"): [citizen_id],
        ("*", "unit_id"): units,
        ("*", "staff_id"): staff,
        ("*", "rule_id"): rules,
        ("*", "client_id"): [issued["client"]["id"]],
        ("*", "handler_unit"): [handler_unit["orgUnitId"]] if handler_unit["orgUnitId"] else [],
        ("*", "report_category"): [c["code"] for n in tree for c in n["children"]][:20],
        ("*", "day"): ["2026-10-01", "2026-09-27"],
        ("*", "action"): ["accept", "reject", "dispatch", "suspend", "resolve", "close"],
        ("*", "code"): signposts,
        ("/api/admin/grids/{code}", "code"): grids,
        ("/api/admin/categories/{code}", "code"): categories,
        ("/api/admin/place-kinds/{code}", "code"): kinds,
        ("/open311/v2/services/{name}", "name"): [f"{code}.json" for code in services],
        ("/open311/v2/requests/{name}", "name"): [f"{case}.json" for case in cases],
    }
    return World(headers=headers, known=known)


def home(role: str, path: str, security: list | None) -> bool:
    """Whether ``role`` may use the operation at all; elsewhere a few cases show that it is
    refused cleanly and the rest of the budget goes where the role gets in."""
    public = security is None or {} in security
    if role == "anonymous":
        return public
    if role == "intake":
        return path.startswith("/api/intake/") or path.startswith("/open311/")
    if role == "citizen":
        return public or path.startswith(("/api/citizen/", "/api/auth/"))
    if role == "merchant":
        return public or path.startswith(("/api/merchant/", "/api/auth/"))
    staff_home = path.startswith(("/api/inspector/", "/api/auth/"))
    if role in ("operator", "admin"):
        return public or staff_home or path.startswith(("/api/admin/", "/api/hotline/"))
    return public or staff_home


@dataclass
class RoleRun:
    role: str
    operations: int = 0
    home_operations: int = 0
    cases: int = 0
    home_successes: int = 0  # 2xx answers where the role gets in: its credentials work
    unexercised: list[str] = field(default_factory=list)
    statuses: Counter = field(default_factory=Counter)
    failures: list[str] = field(default_factory=list)
    seconds: float = 0.0

    def summary(self, database: str) -> str:
        return (
            f"schema fuzz [{database}] {self.role}: {self.operations} operations "
            f"({self.home_operations} open to the role), {self.cases} cases "
            f"({self.home_successes} successes where it gets in), "
            f"{status_classes(self.statuses)}, {len(self.failures)} failing, {self.seconds:.0f} s"
        )


def status_classes(statuses: Counter) -> dict[str, int]:
    """Answers by class: {"2xx": 12, "4xx": 30}."""
    classes = Counter(f"{status // 100}xx" for status in statuses.elements())
    return dict(sorted(classes.items()))


def checks() -> list:
    from schemathesis.checks import not_a_server_error
    from schemathesis.specs.openapi.checks import (
        content_type_conformance,
        response_headers_conformance,
        response_schema_conformance,
        status_code_conformance,
    )

    return [
        not_a_server_error,
        status_code_conformance,
        content_type_conformance,
        response_schema_conformance,
        response_headers_conformance,
    ]


# Closing an account (注销) gets a citizen of its own: sent with the fuzzed citizen's token,
# it would turn every later citizen request of the run into a 403.
CLOSING = ("DELETE", "/api/citizen/me")


def auth_for(world: World, role: str, method: str, path: str) -> dict[str, str]:
    if role == "citizen" and (method.upper(), path) == CLOSING:
        return world.headers["citizen-closing"]
    return world.headers[role]


def fuzz_role(
    schema, world: World, role: str, *, base: str, home_examples: int, away_examples: int
) -> RoleRun:
    from schemathesis import GenerationMode

    run = RoleRun(role=role)
    all_checks = checks()
    session = requests.Session()
    started = time.monotonic()
    for result in schema.get_all_operations():
        operation = result.ok()
        path = operation.path
        auth = auth_for(world, role, operation.method, path)
        security = operation.definition.raw.get("security")
        at_home = home(role, path, security)
        run.operations += 1
        run.home_operations += at_home
        sent_before = run.cases
        names = [p.name for p in operation.path_parameters]
        real = {name: world.values(path, name) for name in names}
        strategy = st.one_of(
            operation.as_strategy(generation_mode=GenerationMode.POSITIVE),
            operation.as_strategy(generation_mode=GenerationMode.NEGATIVE),
        )

        @seed(FUZZ_SEED)
        @settings(
            max_examples=home_examples if at_home else away_examples,
            deadline=None,
            database=None,
            phases=[Phase.generate],
            suppress_health_check=list(HealthCheck),
            print_blob=False,
        )
        @given(case=strategy, pick=st.randoms(use_true_random=False))
        def exercise(case, pick: random.Random):
            # Half the cases name objects that exist, so the handlers run and not only the
            # 404 of a random id; the other half keep what was generated.
            for name, values in real.items():
                if values and pick.random() < 0.5:
                    case.path_parameters = {**case.path_parameters, name: pick.choice(values)}
            headers = {**(case.headers or {}), **auth}
            response = case.call(base_url=base, session=session, headers=auth)
            run.cases += 1
            run.statuses[response.status_code] += 1
            run.home_successes += at_home and 200 <= response.status_code < 300
            case.validate_response(response, checks=all_checks, headers=headers)

        try:
            exercise()
        # Every failing operation is reported, not only the first; schemathesis raises its
        # check failures as a BaseExceptionGroup.
        except (Exception, BaseExceptionGroup) as exc:
            run.failures.append(f"{role} {operation.label}: {exc}"[:4000])
        if run.cases == sent_before:
            run.unexercised.append(operation.label)
    session.close()
    run.seconds = time.monotonic() - started
    return run
