"""Scenario builders of the authorization matrix (tests/api/test_authorization_matrix.py).

Every route that reads or changes one object gets an entry keyed by its method and its
Litestar path: the entry builds the object in a small world (tests/api/authz_world.py) and
names who must be served (``owner``) and who must be refused (``intruders``: a second
citizen, an inspector of another grid, a handler of another unit; for admin-only writes an
operator too)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from core import clock
from tests.api.authz_world import (
    NE_GRID,
    SW_GRID,
    A,
    Body,
    Probe,
    World,
    api_client,
    case_photo,
    closed_citizen_case,
    dead_letter,
    device,
    dispatched_case,
    duty,
    first,
    patrol,
    photo_body,
    place,
    redemption,
    reported_case,
    resolved_case,
    reward,
    signpost,
)
from tests.api.inspector.field import citizen_report
from tests.cases_city import IN_GRID
from tests.helpers import jpeg_bytes
from tests.places.util import add_place
from tests.rewards.support import citizen_id, public_citizen_id, seed_points

# --- the matrix --------------------------------------------------------------------------------

Entry = Callable[[World], Awaitable[Probe]]
MATRIX: dict[tuple[str, str], Entry] = {}


def entry(method: str, path: str) -> Callable[[Entry], Entry]:
    def register(build: Entry) -> Entry:
        assert (method, path) not in MATRIX, (method, path)
        MATRIX[(method, path)] = build
        return build

    return register


C = "/api/citizen"
I = "/api/inspector"  # noqa: E741


# Citizen app: the second citizen gets a 404 (never a hint that the object exists); staff
# tokens are refused by the app itself (403 auth.wrong_audience).


@entry("DELETE", f"{C}/devices/{{device_id:int}}")
async def _citizen_device(w: World) -> Probe:
    url = f"{C}/devices/{await device(w, w.citizen)}"
    return Probe("DELETE", url, w.citizen, w.intruders)


@entry("DELETE", f"{C}/watch-areas/{{area_id:int}}")
async def _watch_area(w: World) -> Probe:
    circle = {"center": {"lat": IN_GRID[0], "lon": IN_GRID[1]}, "radiusM": 300}
    made = await w.api.post(f"{C}/watch-areas", json={"circle": circle}, headers=w.citizen.headers)
    return Probe("DELETE", f"{C}/watch-areas/{made.json()['id']}", w.citizen, w.intruders)


@entry("GET", f"{C}/reports/{{case_id:str}}")
async def _my_report(w: World) -> Probe:
    return Probe("GET", f"{C}/reports/{await reported_case(w)}", w.citizen, w.intruders)


@entry("POST", f"{C}/reports/{{case_id:str}}/follow")
async def _follow(w: World) -> Probe:
    # "Me too" is open to every citizen for a public case (the similar-cases list shows
    # them nearby), so the second citizen is the one served here; staff are refused. Cases
    # that are not public are a 404 for every follower (tests/api/test_visibility.py).
    url = f"{C}/reports/{await dispatched_case(w)}/follow"
    return Probe("POST", url, w.citizen_b, [w.other_inspector, w.other_handler], body={})


@entry("DELETE", f"{C}/reports/{{case_id:str}}/follow")
async def _unfollow(w: World) -> Probe:
    # Unfollowing touches only the caller's own follow, so every citizen is served (204
    # whatever the case); staff tokens are refused by the citizen app.
    url = f"{C}/reports/{await dispatched_case(w)}/follow"
    return Probe("DELETE", url, w.citizen_b, [w.other_inspector, w.other_handler])


@entry("POST", f"{C}/reports/{{case_id:str}}/withdraw")
async def _withdraw(w: World) -> Probe:
    # A report of its own, waiting for verification: the intruders must leave it as it is
    # for the reporter to withdraw last.
    url = f"{C}/reports/{await citizen_report(w.api, w.citizen)}/withdraw"
    return Probe("POST", url, w.citizen, w.intruders, body={"reason": "拍错了"})


@entry("POST", f"{C}/reports/{{case_id:str}}/rating")
async def _rating(w: World) -> Probe:
    url = f"{C}/reports/{await closed_citizen_case(w)}/rating"
    return Probe("POST", url, w.citizen, w.intruders, body={"score": 5})


@entry("POST", f"{C}/reports/{{case_id:str}}/reopen")
async def _reopen(w: World) -> Probe:
    url = f"{C}/reports/{await closed_citizen_case(w)}/reopen"
    return Probe("POST", url, w.citizen, w.intruders, body={"reason": "还没修好"})


@entry("GET", f"{C}/reports/{{case_id:str}}/survey")
async def _survey(w: World) -> Probe:
    url = f"{C}/reports/{await closed_citizen_case(w)}/survey"
    return Probe("GET", url, w.citizen, w.intruders)


@entry("POST", f"{C}/reports/{{case_id:str}}/survey")
async def _survey_answer(w: World) -> Probe:
    url = f"{C}/reports/{await closed_citizen_case(w)}/survey"
    body = {"fixed": True, "speed": 5, "attitude": 5, "result": 5}
    return Probe("POST", url, w.citizen, w.intruders, body=body)


@entry("GET", f"{C}/media/{{media_id:str}}/{{variant:str}}")
async def _citizen_photo(w: World) -> Probe:
    url = f"{C}/media/{await case_photo(w, app='citizen')}/thumb"
    return Probe("GET", url, w.citizen, w.intruders)


@entry("GET", f"{C}/rewards/{{reward_id:str}}")
async def _reward(w: World) -> Probe:
    # The catalogue is the same for every citizen: only staff are refused.
    url = f"{C}/rewards/{await reward(w)}"
    return Probe("GET", url, w.citizen_b, [w.other_inspector, w.other_handler])


@entry("POST", f"{C}/rewards/{{reward_id:str}}/redeem")
async def _redeem(w: World) -> Probe:
    # Any citizen may spend their own points on any reward; staff may not.
    await seed_points(citizen_id(w.citizen_b), 100)
    url = f"{C}/rewards/{await reward(w)}/redeem"
    return Probe("POST", url, w.citizen_b, [w.other_inspector, w.other_handler])


@entry("GET", f"{C}/redemptions/{{redemption_id:str}}")
async def _redemption(w: World) -> Probe:
    return Probe("GET", f"{C}/redemptions/{await redemption(w)}", w.citizen, w.intruders)


@entry("GET", f"{C}/redemptions/{{redemption_id:str}}/qr.png")
async def _voucher_qr(w: World) -> Probe:
    url = f"{C}/redemptions/{await redemption(w)}/qr.png"
    return Probe("GET", url, w.citizen, w.intruders)


@entry("POST", f"{C}/redemptions/{{redemption_id:str}}/cancel")
async def _cancel_redemption(w: World) -> Probe:
    url = f"{C}/redemptions/{await redemption(w)}/cancel"
    return Probe("POST", url, w.citizen, w.intruders, body={})


# Inspector app: another grid's inspector and another unit's handler get a 404 for a case
# they may not see (403 when they may see it but the step is not theirs); citizens are
# refused by the app.


@entry("GET", f"{I}/cases/{{case_id:str}}")
async def _staff_case(w: World) -> Probe:
    return Probe("GET", f"{I}/cases/{await dispatched_case(w)}", w.city.handler_hw, w.intruders)


@entry("POST", f"{I}/cases/{{case_id:str}}/verify")
async def _verify(w: World) -> Probe:
    url = f"{I}/cases/{await reported_case(w)}/verify"
    return Probe("POST", url, w.city.inspector, w.intruders, body={"valid": True})


@entry("POST", f"{I}/cases/{{case_id:str}}/reporter-phone")
async def _reporter_phone(w: World) -> Probe:
    url = f"{I}/cases/{await reported_case(w)}/reporter-phone"
    return Probe("POST", url, w.city.inspector, w.intruders, body={})


@entry("GET", "/api/hotline/calls/{case_id:str}")
async def _hotline_call(w: World) -> Probe:
    taker, other = await w.once("call_takers", lambda: _two_call_takers(w))
    body = {
        "callerName": "李四",
        "callerPhone": "13800138411",
        "category": "E0102",
        "location": {"lat": IN_GRID[0], "lon": IN_GRID[1]},
    }
    filed = await w.api.post("/api/hotline/calls", json=body, headers=taker.headers)
    assert filed.status_code == 201, filed.text
    url = f"/api/hotline/calls/{filed.json()['caseId']}"
    return Probe("GET", url, taker, [other, w.citizen_b, w.other_inspector])


async def _two_call_takers(w: World) -> tuple:
    return await w.api.staff("call_taker"), await w.api.staff("call_taker")


@entry("POST", f"{I}/cases/{{case_id:str}}/resolve")
async def _resolve(w: World) -> Probe:
    url = f"{I}/cases/{await dispatched_case(w)}/resolve"
    return Probe("POST", url, w.city.handler_hw, w.intruders, body=photo_body(w, "mediaIds"))


@entry("POST", f"{I}/cases/{{case_id:str}}/request-extension")
async def _extension(w: World) -> Probe:
    url = f"{I}/cases/{await dispatched_case(w)}/request-extension"
    body = {"reason": "需要调配车辆", "hours": 8}
    return Probe("POST", url, w.city.handler_hw, w.intruders, body=body)


@entry("POST", f"{I}/cases/{{case_id:str}}/request-return")
async def _return(w: World) -> Probe:
    url = f"{I}/cases/{await dispatched_case(w)}/request-return"
    return Probe("POST", url, w.city.handler_hw, w.intruders, body={"reason": "不属于本单位"})


@entry("POST", f"{I}/cases/{{case_id:str}}/check")
async def _check(w: World) -> Probe:
    url = f"{I}/cases/{await resolved_case(w)}/check"
    return Probe("POST", url, w.city.inspector, w.intruders, body={"passed": True})


@entry("POST", f"{I}/cases/{{case_id:str}}/close")
async def _close(w: World) -> Probe:
    url = f"{I}/cases/{await resolved_case(w)}/close"
    return Probe("POST", url, w.city.inspector, w.intruders, body=photo_body(w, "mediaIds"))


@entry("GET", f"{I}/media/{{media_id:str}}/{{variant:str}}")
async def _staff_photo(w: World) -> Probe:
    # The handling unit sees the patrol report's photo through the case, not as its owner.
    url = f"{I}/media/{await case_photo(w, app='inspector')}/display"
    return Probe("GET", url, w.city.handler_hw, w.intruders)


@entry("DELETE", f"{I}/devices/{{device_id:int}}")
async def _staff_device(w: World) -> Probe:
    url = f"{I}/devices/{await device(w, w.city.inspector)}"
    return Probe("DELETE", url, w.city.inspector, w.intruders)


@entry("GET", f"{I}/patrols/{{patrol_id:str}}")
async def _patrol(w: World) -> Probe:
    return Probe("GET", f"{I}/patrols/{await patrol(w)}", w.city.inspector, w.intruders)


@entry("POST", f"{I}/patrols/{{patrol_id:str}}/track")
async def _track(w: World) -> Probe:
    fix = {"lat": IN_GRID[0], "lon": IN_GRID[1], "at": clock.now().isoformat()}
    url = f"{I}/patrols/{await patrol(w)}/track"
    return Probe("POST", url, w.city.inspector, w.intruders, body={"fixes": [fix]})


@entry("POST", f"{I}/patrols/{{patrol_id:str}}/end")
async def _end_patrol(w: World) -> Probe:
    url = f"{I}/patrols/{await patrol(w)}/end"
    return Probe("POST", url, w.city.inspector, w.intruders, body={})


# Admin API: the command centre sees every object, so the check is the role: field staff
# and citizens are refused, and operators too where only admins may write.


def _admin(method: str, url: str, w: World, body: Body = None, *, admin_only: bool) -> Probe:
    owner = w.admin if admin_only else w.operator
    intruders = w.admin_intruders if admin_only else w.intruders
    return Probe(method, url, owner, intruders, body=body)


def admin_entry(method: str, path: str, *, admin_only: bool, body: Body = None):
    """An admin route whose object ``make(w)`` returns the id or code in its path."""

    def register(make: Callable[[World], Awaitable[Any]]):
        async def build(w: World) -> Probe:
            url = path.split("{")[0] + str(await make(w)) + path.split("}", 1)[1]
            return _admin(method, url, w, body, admin_only=admin_only)

        return entry(method, path)(build)

    return register


admin_entry("POST", f"{A}/notifications/dead/{{delivery_id:int}}/retry", admin_only=False)(
    dead_letter
)
admin_entry("DELETE", f"{A}/patrol-duties/{{duty_id:int}}", admin_only=False)(duty)


for _method, _body in (("GET", None), ("PATCH", {"name": "新公厕"}), ("DELETE", None)):
    admin_entry(_method, f"{A}/places/{{place_id:int}}", admin_only=False, body=_body)(place)


async def _car_park(w: World) -> int:
    return await place(w, kind="parking")


for _method, _body in (("GET", None), ("PUT", {"clientId": None})):
    admin_entry(_method, f"{A}/places/{{place_id:int}}/feed", admin_only=False, body=_body)(
        _car_park
    )


@admin_entry("PATCH", f"{A}/place-kinds/{{code:str}}", admin_only=False, body={"sortOrder": 7})
async def _kind(w: World) -> str:
    return "toilet"


for _method, _path, _body in (
    ("GET", "", None),
    ("PATCH", "", {"name": "中山路口"}),
    ("DELETE", "", None),
    ("GET", "/qr.png", None),
    ("GET", "/qr.svg", None),
    ("GET", "/scans", None),
):
    admin_entry(_method, f"{A}/signposts/{{code:str}}{_path}", admin_only=False, body=_body)(
        signpost
    )


@admin_entry("GET", f"{A}/cases/{{case_id:str}}", admin_only=False)
async def _admin_case(w: World) -> str:
    return await reported_case(w)


for _method, _body in (("PUT", {"description": "路边垃圾"}), ("DELETE", None)):
    admin_entry(_method, f"{A}/cases/{{case_id:str}}/public-text", admin_only=False, body=_body)(
        reported_case
    )


@entry("POST", f"{A}/cases/{{case_id:str}}/{{action:str}}")
async def _admin_act(w: World) -> Probe:
    return _admin("POST", f"{A}/cases/{await reported_case(w)}/accept", w, {}, admin_only=False)


admin_entry("GET", f"{A}/rewards/{{reward_id:str}}", admin_only=False)(reward)
admin_entry("PATCH", f"{A}/rewards/{{reward_id:str}}", admin_only=True, body={"stock": 9})(reward)
admin_entry("DELETE", f"{A}/rewards/{{reward_id:str}}", admin_only=True)(reward)


@admin_entry("GET", f"{A}/points/accounts/{{citizen_id:str}}", admin_only=True)
async def _points_account(w: World) -> str:
    return public_citizen_id(w.citizen)


@admin_entry("POST", f"{A}/points/holds/{{case_id:str}}/release", admin_only=False)
async def _held_points(w: World) -> str:
    """A report whose award is held for a person's look (points.holds)."""
    from cases.tables import Case
    from points import holds

    case_id = await reported_case(w)
    row = await Case.select(Case.id, Case.reporter_id).where(Case.public_id == case_id).first()
    await holds.hold(
        account_id=row["reporter_id"],
        subject=f"case:{row['id']}",
        reference=f"case:{row['id']}:accept",
        stage="accept",
        amount=3,
        reason="evidence",
    )
    return case_id


@admin_entry(
    "POST",
    f"{A}/points/review/{{citizen_id:str}}/decision",
    admin_only=True,
    body={"decision": "clear"},
)
async def _points_review(w: World) -> str:
    """A citizen flagged for farming (points.review)."""
    from points import review

    await review.flag(account_id=citizen_id(w.citizen), signal={"signal": "same_photo"})
    return public_citizen_id(w.citizen)


async def _unit(w: World) -> int:
    return w.city.unit_ids["370202-HW"]


admin_entry("GET", f"{A}/org-units/{{unit_id:int}}", admin_only=False)(_unit)
admin_entry("PATCH", f"{A}/org-units/{{unit_id:int}}", admin_only=True, body={"phone": "0532-1"})(
    _unit
)
admin_entry(
    "PUT",
    f"{A}/org-units/{{unit_id:int}}/working-hours",
    admin_only=True,
    body={"workingHours": "08:00-12:00"},
)(_unit)
admin_entry("DELETE", f"{A}/org-units/{{unit_id:int}}/working-hours", admin_only=True)(_unit)


async def _staff_id(w: World) -> int:
    return w.other_inspector.subject_id


admin_entry("GET", f"{A}/staff/{{staff_id:int}}", admin_only=False)(_staff_id)
admin_entry("PATCH", f"{A}/staff/{{staff_id:int}}", admin_only=True, body={"displayName": "王"})(
    _staff_id
)
admin_entry(
    "PUT", f"{A}/staff/{{staff_id:int}}/grids", admin_only=True, body={"gridCodes": [NE_GRID]}
)(_staff_id)
admin_entry(
    "PUT", f"{A}/staff/{{staff_id:int}}/password", admin_only=True, body={"password": "x" * 12}
)(_staff_id)


async def _grid(w: World) -> str:
    return SW_GRID


admin_entry("GET", f"{A}/grids/{{code:str}}", admin_only=False)(_grid)
admin_entry("PATCH", f"{A}/grids/{{code:str}}", admin_only=True, body={"name": "一号网格"})(_grid)


async def _category(w: World) -> str:
    return "E0102"


admin_entry("GET", f"{A}/categories/{{code:str}}", admin_only=False)(_category)
admin_entry("PATCH", f"{A}/categories/{{code:str}}", admin_only=True, body={"slaValue": 8})(
    _category
)


async def _rule(w: World) -> int:
    return await first(w, "dispatch-rules")


admin_entry("PATCH", f"{A}/dispatch-rules/{{rule_id:int}}", admin_only=True, body={"priority": 2})(
    _rule
)
admin_entry("DELETE", f"{A}/dispatch-rules/{{rule_id:int}}", admin_only=True)(_rule)


async def _day(w: World) -> str:
    return "2031-10-13"


admin_entry("PUT", f"{A}/calendar/{{day:str}}", admin_only=True, body={"isWorkday": False})(_day)


@admin_entry("DELETE", f"{A}/calendar/{{day:str}}", admin_only=True)
async def _calendar_override(w: World) -> str:
    response = await w.api.put(
        f"{A}/calendar/2031-10-14", headers=w.admin.headers, json={"isWorkday": False}
    )
    assert response.status_code == 200, response.text
    return "2031-10-14"


async def _client_id(w: World) -> int:
    return (await api_client(w))[0]


for _method, _path, _body in (
    ("POST", "/revoke", {}),
    ("POST", "/rotate", {}),
    ("PATCH", "", {"trusted": True}),
):
    admin_entry(_method, f"{A}/api-clients/{{client_id:int}}{_path}", admin_only=True, body=_body)(
        _client_id
    )


@entry("PUT", "/api/intake/places/{place_id:int}/availability")
async def _availability(w: World) -> Probe:
    # Machines authenticate with an API key, so every bearer token is a 401 here.
    lot = await add_place(
        w.api, w.admin, kind="parking", name="停车场", attributes={"total_spaces": 50}
    )
    client_id, key = await api_client(w, kind="parking")
    bound = await w.api.put(
        f"{A}/places/{lot['id']}/feed", json={"clientId": client_id}, headers=w.admin.headers
    )
    assert bound.status_code == 200, bound.text
    url = f"/api/intake/places/{lot['id']}/availability"
    return Probe(
        "PUT",
        url,
        {"X-Api-Key": key},
        [*w.intruders, w.admin],
        body={"freeSpaces": 3},
        refused=(401,),
    )


@entry("GET", "/api/intake/media/{media_id:str}/{variant:str}")
async def _snapshot(w: World) -> Probe:
    # A camera's snapshot: its own key sees it; another camera's key finds nothing (404) and
    # bearer tokens are no keys (401).
    _, key = await api_client(w, kind="camera")
    _, other = await api_client(w, kind="camera")
    uploaded = await w.api.post(
        "/api/intake/media",
        headers={"X-Api-Key": key},
        files={"file": ("s.jpg", jpeg_bytes(seed=7), "image/jpeg")},
    )
    assert uploaded.status_code == 201, uploaded.text
    url = f"/api/intake/media/{uploaded.json()['id']}/thumb"
    return Probe(
        "GET",
        url,
        {"X-Api-Key": key},
        [*w.intruders, w.admin, {"X-Api-Key": other}],
        refused=(401, 404),
    )


# Public by design: anyone may read these without an account, so they have no owner to
# protect. A route with a path parameter must be here or in MATRIX.
PUBLIC: dict[tuple[str, str], str] = {
    ("GET", f"{C}/places/{{place_id:int}}"): "a public service point (toilet, park, parking)",
    ("GET", f"{C}/signposts/{{code:str}}"): "the signpost a passer-by scanned",
    ("POST", f"{C}/signposts/{{code:str}}/damage"): "anyone may report a damaged sign",
    ("GET", "/q/{code:str}"): "the QR landing page, for any phone camera",
    ("GET", "/q/{code:str}/damaged"): "the landing page's damage form",
    ("POST", "/q/{code:str}/damaged"): "the landing page's damage form, sent",
    ("GET", "/open311/v2/services/{name:str}"): "Open311 service definitions are public",
    ("GET", "/open311/v2/requests/{name:str}"): (
        "the public view of accepted requests only (cases.visibility, tests/api/test_visibility.py)"
    ),
    ("GET", "/api/public/cases/{case_id:str}"): (
        "the public view of an accepted case only (cases.visibility, "
        "tests/api/public/test_public_map.py)"
    ),
    ("GET", "/schema/{path:str}"): "the OpenAPI document and its renderers",
    ("GET", "/workbench/static/{file_path:path}"): (
        "the workbench's own and vendored scripts and styles (the sign-in page needs them)"
    ),
    ("GET", "/media/signed/{media_id:str}/{variant:str}"): (
        "the URL's signature is the permission, minted only for allowed viewers "
        "(tests/api/citizen/test_signed_media_urls.py)"
    ),
}


# Command centres at every level (issue 16): the unit's own steps in the staff app, and the
# centre's queues in the admin API.


async def _fresh_dispatched(w: World, name: str) -> str:
    """A dispatched case of its own, for a probe whose step moves it on."""
    from tests.api.inspector.field import patrol_report

    async def make() -> str:
        response = await patrol_report(w.api, w.city.inspector)
        assert response.status_code == 201, response.text
        return response.json()["case"]["id"]

    return await w.once(name, make)


for _step, _body in (
    ("acknowledge", {}),
    ("notes", {"text": "已电话联系当事人"}),
):

    def _unit_step(step: str, body: Body):
        async def build(w: World) -> Probe:
            url = f"{I}/cases/{await dispatched_case(w)}/{step}"
            return Probe("POST", url, w.city.handler_hw, w.intruders, body=body)

        return build

    entry("POST", f"{I}/cases/{{case_id:str}}/{_step}")(_unit_step(_step, _body))


@entry("POST", f"{I}/cases/{{case_id:str}}/assign")
async def _assign(w: World) -> Probe:
    url = f"{I}/cases/{await dispatched_case(w)}/assign"
    body = {"staffId": w.city.handler_hw.subject_id}
    return Probe("POST", url, w.city.handler_hw, w.intruders, body=body)


@entry("POST", f"{I}/cases/{{case_id:str}}/transfer")
async def _transfer(w: World) -> Probe:
    url = f"{I}/cases/{await _fresh_dispatched(w, 'transfer')}/transfer"
    return Probe("POST", url, w.city.handler_hw, w.intruders, body={"reason": "不属于本单位"})


@entry("POST", f"{I}/cases/{{case_id:str}}/assist-report")
async def _assist_report(w: World) -> Probe:
    async def make() -> str:
        case_id = await _fresh_dispatched(w, "assisted")
        added = await w.api.post(
            f"{A}/cases/{case_id}/assist",
            json={"unitIds": [w.city.unit_ids["370200-GAS"]]},
            headers=w.operator.headers,
        )
        assert added.status_code == 200, added.text
        return case_id

    url = f"{I}/cases/{await w.once('assist', make)}/assist-report"
    return Probe("POST", url, w.city.handler_gas, w.intruders, body={"note": "已关阀"})


@admin_entry(
    "POST",
    f"{A}/cases/{{case_id:str}}/supervision",
    admin_only=False,
    body={"note": "请加快处置", "deadline": "2099-01-01T00:00:00Z"},
)
async def _supervised(w: World) -> str:
    return await dispatched_case(w)


admin_entry("POST", f"{A}/cases/{{case_id:str}}/notes", admin_only=False, body={"text": "内部"})(
    dispatched_case
)


@admin_entry("POST", f"{A}/alerts/{{alert_id:int}}/acknowledge", admin_only=False)
async def _alert(w: World) -> int:
    from cases import alerts
    from cases.tables import Alert
    from core.db import transaction

    async with transaction():
        await alerts.raise_alert("calendar", case=None)
    return (await Alert.select(Alert.id).first())["id"]


@admin_entry("DELETE", f"{A}/duty-shifts/{{shift_id:int}}", admin_only=False)
async def _shift(w: World) -> int:
    import datetime as dt

    from core.db import transaction
    from org import duty

    async with transaction():
        shift = await duty.create_shift(
            unit_id=w.city.unit_ids["370202-HW"],
            staff_id=w.city.handler_hw.subject_id,
            starts_at=clock.now(),
            ends_at=clock.now() + dt.timedelta(hours=8),
        )
    return shift.id


async def _webhook_subscriber(w: World) -> int:
    from notify.tables import WebhookSubscriber

    row = WebhookSubscriber(name="12345", url="https://hotline.example.cn/hook", secret="s" * 20)
    await row.save()
    return row.id


admin_entry("DELETE", f"{A}/webhooks/{{subscriber_id:int}}", admin_only=True)(_webhook_subscriber)


# The workbench's pages, asked for with a cookie session (tests/api/authz_workbench.py).
import tests.api.authz_workbench  # noqa: E402, F401
