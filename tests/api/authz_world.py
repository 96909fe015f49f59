"""The world of the authorization matrix (tests/api/authz_cases.py): the demo city, two
citizens, an inspector of another grid, and the objects the entries are about, made on
demand through the real API."""

from __future__ import annotations

import datetime as dt
import itertools
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from core import clock
from core.db import transaction
from notify.tables import NotificationDelivery
from org import grids
from tests.api.inspector.field import citizen_report, ok, patrol_report, photo
from tests.api.inspector.test_authorization import NE_GRID
from tests.api.inspector.test_grids_and_duties import SW_GRID
from tests.cases_city import IN_GRID, City, build_city
from tests.helpers import Api, Session
from tests.places.util import add_place
from tests.rewards.support import citizen_id, new_reward, seed_points

A = "/api/admin"
_seq = itertools.count(1)

Body = dict[str, Any] | Callable[[Session], Awaitable[dict[str, Any]]] | None


@dataclass
class Probe:
    """One request, sent by each intruder (all must be refused) and then by the owner (who
    must be served): the owner going last shows the intruders changed nothing."""

    method: str
    url: str
    owner: Session | dict[str, str]
    intruders: list[Session | dict[str, str]]
    body: Body = None  # JSON; a callable builds it per sender (each uses their own photos)
    refused: tuple[int, ...] = (403, 404)
    # What serving the owner looks like; () = any 2xx (a workbench form answers 303 to the
    # saved object).
    served: tuple[int, ...] = ()


def headers_of(who: Session | dict[str, str]) -> dict[str, str]:
    return who.headers if isinstance(who, Session) else who


@dataclass
class World:
    """The people of every scenario; objects are made on demand by the entries."""

    api: Api
    city: City
    citizen: Session  # owns the citizen objects (signed in by phone: has a number to reveal)
    citizen_b: Session  # a second citizen
    other_inspector: Session  # assigned to NE_GRID only
    admin: Session
    _cache: dict[str, Any] = field(default_factory=dict)

    @property
    def operator(self) -> Session:
        return self.city.operator

    @property
    def other_handler(self) -> Session:
        """A handler of the municipal works unit: patrol reports go to sanitation."""
        return self.city.handler_sz

    @property
    def intruders(self) -> list[Session]:
        return [self.citizen_b, self.other_inspector, self.other_handler]

    @property
    def admin_intruders(self) -> list[Session]:
        return [*self.intruders, self.operator]

    async def once(self, name: str, make: Callable[[], Awaitable[Any]]) -> Any:
        if name not in self._cache:
            self._cache[name] = await make()
        return self._cache[name]


async def build_world(api: Api) -> World:
    city = await build_city(api)
    other = await api.staff("inspector")
    async with transaction():
        await grids.assign_inspector(grid_code=NE_GRID, staff_id=other.subject_id)
    return World(
        api=api,
        city=city,
        citizen=await api.citizen_by_phone(f"1381234{next(_seq):04d}"),
        citizen_b=await api.citizen(),
        other_inspector=other,
        admin=await api.staff("admin"),
    )


# --- objects ---------------------------------------------------------------------------------


async def reported_case(w: World) -> str:
    """The citizen's report, waiting for the grid inspector's verification (核实)."""
    return await w.once("reported", lambda: citizen_report(w.api, w.citizen))


async def dispatched_case(w: World) -> str:
    """A patrol report of the city's inspector, dispatched to sanitation (handler_hw)."""

    async def make() -> str:
        response = await patrol_report(w.api, w.city.inspector)
        assert response.status_code == 201, response.text
        return response.json()["case"]["id"]

    return await w.once("dispatched", make)


async def resolved_case(w: World) -> str:
    async def make() -> str:
        case_id = await dispatched_case(w)
        hw = w.city.handler_hw
        await ok(w.api, hw, case_id, "resolve", {"mediaIds": [await photo(w.api, hw)]})
        return case_id

    return await w.once("resolved", make)


async def closed_citizen_case(w: World) -> str:
    """The citizen's report taken through verification, handling and the check to closed;
    the second citizen follows it while open and public (a follower may see it, not rate or
    reopen)."""

    async def make() -> str:
        case_id = await reported_case(w)
        await ok(w.api, w.city.inspector, case_id, "verify", {"valid": True})
        follow = await w.api.post(
            f"/api/citizen/reports/{case_id}/follow", headers=w.citizen_b.headers, json={}
        )
        assert follow.status_code in (200, 201), follow.text
        hw = w.city.handler_hw
        await ok(w.api, hw, case_id, "resolve", {"mediaIds": [await photo(w.api, hw)]})
        await ok(w.api, w.city.inspector, case_id, "check", {"passed": True})
        return case_id

    return await w.once("closed", make)


async def case_photo(w: World, *, app: str) -> str:
    """A photo attached to a case: the citizen's report photo or the patrol report's."""
    path = "/api/citizen/reports" if app == "citizen" else "/api/inspector/cases"
    owner = w.citizen if app == "citizen" else w.city.inspector
    case_id = await (reported_case(w) if app == "citizen" else dispatched_case(w))
    view = await w.api.get(f"{path}/{case_id}", headers=owner.headers)
    assert view.status_code == 200, view.text
    return view.json()["photos"][0]["id"]


async def device(w: World, who: Session) -> int:
    token = f"device-token-{next(_seq):08d}"
    app = "citizen" if who in (w.citizen, w.citizen_b) else "inspector"
    response = await w.api.post(
        f"/api/{app}/devices", headers=who.headers, json={"platform": "android", "token": token}
    )
    assert response.status_code == 201, response.text
    return response.json()["id"]


async def reward(w: World) -> str:
    return await w.once("reward", lambda: _new_reward(w))


async def _new_reward(w: World) -> str:
    return (await new_reward(w.api, w.admin, name="环保袋", cost=10, stock=5))["id"]


async def redemption(w: World) -> str:
    async def make() -> str:
        await seed_points(citizen_id(w.citizen), 100)
        response = await w.api.post(
            f"/api/citizen/rewards/{await reward(w)}/redeem", headers=w.citizen.headers
        )
        assert response.status_code == 201, response.text
        return response.json()["id"]

    return await w.once("redemption", make)


async def patrol(w: World) -> str:
    async def make() -> str:
        response = await w.api.post(
            "/api/inspector/patrols", headers=w.city.inspector.headers, json={}
        )
        assert response.status_code == 201, response.text
        return response.json()["id"]

    return await w.once("patrol", make)


async def place(w: World, kind: str = "toilet") -> int:
    return (await add_place(w.api, w.admin, kind=kind, name=f"地点{next(_seq)}"))["id"]


async def signpost(w: World) -> str:
    response = await w.api.post(
        f"{A}/signposts",
        headers=w.admin.headers,
        json={"name": "路口", "location": {"lat": IN_GRID[0], "lon": IN_GRID[1]}},
    )
    assert response.status_code == 201, response.text
    return response.json()["code"]


async def first(w: World, path: str, key: str = "id") -> Any:
    """The first item of an admin list (demo city configuration)."""
    response = await w.api.get(f"{A}/{path}", headers=w.admin.headers)
    assert response.status_code == 200, response.text
    body = response.json()
    items = body["items"] if isinstance(body, dict) else body
    assert items, body
    return items[0][key]


async def dead_letter(w: World) -> int:
    """Written directly: making the providers fail four times is notify's own test."""
    row = NotificationDelivery(
        job_id=1,
        channel="fcm",
        target="t" * 40,
        recipient_kind="citizen",
        recipient_id=citizen_id(w.citizen),
        template="case.accepted",
        status="dead",
        attempts=4,
    )
    await row.save()
    return row.id


async def duty(w: World) -> int:
    now = clock.now()
    response = await w.api.post(
        f"{A}/patrol-duties",
        headers=w.operator.headers,
        json={
            "staffId": w.city.inspector.subject_id,
            "gridCode": SW_GRID,
            "startsAt": now.isoformat(),
            "endsAt": (now + dt.timedelta(hours=4)).isoformat(),
        },
    )
    assert response.status_code == 201, response.text
    return response.json()["id"]


async def api_client(w: World, kind: str = "parking") -> tuple[int, str]:
    response = await w.api.post(
        f"{A}/api-clients",
        headers=w.admin.headers,
        json={"name": f"client-{next(_seq)}", "kind": kind},
    )
    assert response.status_code == 201, response.text
    body = response.json()
    return body["client"]["id"], body["apiKey"]


def photo_body(w: World, key: str) -> Callable[[Session], Awaitable[dict]]:
    """A body naming a photo of whoever sends it, so only the case decides the answer."""

    async def build(who: Session) -> dict:
        if who is w.citizen_b:  # refused by the app before any photo is looked at
            return {key: ["m_none"]}
        return {key: [await photo(w.api, who)]}

    return build
