"""Authorization-matrix entries of the workbench's routes (/workbench): the same objects as
the admin API's entries, asked for with a cookie session instead of a Bearer token. The
owner is the city's operator; intruders are an operator of another district's centre (the
case is out of scope: 404), a supervisor where the route works a case (403), and a browser
with no session (303 to the sign-in page)."""

from __future__ import annotations

from accounts.tables import Staff
from core.db import transaction
from org import units
from tests.api.authz_cases import A, entry
from tests.api.authz_world import (
    Probe,
    World,
    dispatched_case,
    patrol,
    place,
    reported_case,
    signpost,
)
from tests.api.web.workbench.support import sign_in_as

W = "/workbench"
NO_SESSION: dict[str, str] = {}


async def cookie_of(w: World, session) -> dict[str, str]:
    """Headers that carry ``session``'s workbench cookie and CSRF token, as htmx sends them."""
    client = w.api.client
    await sign_in_as(w.api, session)
    wb, csrf = client.cookies.get("cityops_wb"), client.cookies.get("cityops_csrf")
    client.cookies.clear()
    return {
        "Cookie": f"cityops_wb={wb}; cityops_csrf={csrf}",
        "x-csrftoken": csrf,
        "HX-Request": "true",
    }


async def _people(w: World) -> dict[str, dict[str, str]]:
    async def make():
        city = await units.get_unit_by_code(code="370200")
        async with transaction():
            north = await units.create_org_unit(
                kind="district", code="370203", name_zh="市北区", parent_id=city.id
            )
            centre = await units.create_org_unit(
                kind="centre", code="370203-C", name_zh="市北区指挥中心", parent_id=north.id
            )
        outsider = await w.api.staff("operator")
        await Staff.update({Staff.org_unit_id: centre.id}).where(Staff.id == outsider.subject_id)
        supervisor = await w.api.staff("supervisor")
        return {
            "owner": await cookie_of(w, w.operator),
            "outsider": await cookie_of(w, outsider),
            "supervisor": await cookie_of(w, supervisor),
        }

    return await w.once("workbench people", make)


async def _probe(w: World, method: str, url: str, *, works_case: bool, body=None) -> Probe:
    people = await _people(w)
    intruders = [people["outsider"], NO_SESSION]
    if works_case:
        intruders.append(people["supervisor"])
    return Probe(method, url, people["owner"], intruders, body=body, refused=(303, 403, 404))


@entry("GET", f"{W}/cases/{{case_id:str}}")
async def _wb_case(w: World) -> Probe:
    return await _probe(w, "GET", f"{W}/cases/{await reported_case(w)}", works_case=False)


@entry("POST", f"{W}/cases/{{case_id:str}}/act/{{action:str}}")
async def _wb_act(w: World) -> Probe:
    url = f"{W}/cases/{await reported_case(w)}/act/accept"
    return await _probe(w, "POST", url, works_case=True)


@entry("POST", f"{W}/cases/{{case_id:str}}/notes")
async def _wb_note(w: World) -> Probe:
    url = f"{W}/cases/{await dispatched_case(w)}/notes"
    return await _probe(w, "POST", url, works_case=False, body={"text": "内部"})


@entry("POST", f"{W}/cases/{{case_id:str}}/supervision")
async def _wb_supervise(w: World) -> Probe:
    url = f"{W}/cases/{await dispatched_case(w)}/supervision"
    body = {"note": "请加快处置", "deadline": "2099-01-01T00:00:00Z"}
    return await _probe(w, "POST", url, works_case=False, body=body)


@entry("POST", f"{W}/cases/{{case_id:str}}/phone")
async def _wb_phone(w: World) -> Probe:
    url = f"{W}/cases/{await reported_case(w)}/phone"
    return await _probe(w, "POST", url, works_case=False)


@entry("GET", f"{W}/cases/{{case_id:str}}/photos/{{media_id:str}}/{{variant:str}}")
async def _wb_photo(w: World) -> Probe:
    case_id = await reported_case(w)
    view = await w.api.get(f"{A}/cases/{case_id}", headers=w.operator.headers)
    media_id = view.json()["photos"][0]["id"]
    url = f"{W}/cases/{case_id}/photos/{media_id}/thumb"
    return await _probe(w, "GET", url, works_case=False)


@entry("POST", f"{W}/alerts/{{alert_id:int}}/acknowledge")
async def _wb_alert(w: World) -> Probe:
    from cases import alerts
    from cases.access import load_case
    from cases.tables import Alert

    case_id = await reported_case(w)
    async with transaction():
        await alerts.raise_alert("undispatched", case=await load_case(case_id))
    alert = await Alert.select(Alert.id).order_by(Alert.id, ascending=False).first()
    return await _probe(w, "POST", f"{W}/alerts/{alert['id']}/acknowledge", works_case=False)


# Places and signposts are city-wide configuration: every workbench role reads them,
# operators and admins change them (a 303 to the saved object), supervisors only read (403);
# no session is sent to sign in (303). Patrol tracks are for supervisors and admins: an
# operator gets 403 and no session 401, as problem+json (the map's scripts read them).


async def _config_probe(w: World, method: str, url: str) -> Probe:
    people = await _people(w)
    intruders = [NO_SESSION] + ([people["supervisor"]] if method == "POST" else [])
    served = (303,) if method == "POST" else ()
    return Probe(method, url, people["owner"], intruders, refused=(303, 403), served=served)


@entry("GET", f"{W}/places/{{place_id:int}}")
async def _wb_place(w: World) -> Probe:
    return await _config_probe(w, "GET", f"{W}/places/{await place(w)}")


@entry("POST", f"{W}/places/{{place_id:int}}")
async def _wb_place_edit(w: World) -> Probe:
    return await _config_probe(w, "POST", f"{W}/places/{await place(w)}")


@entry("GET", f"{W}/signposts/{{code:str}}")
async def _wb_signpost(w: World) -> Probe:
    return await _config_probe(w, "GET", f"{W}/signposts/{await signpost(w)}")


@entry("POST", f"{W}/signposts/{{code:str}}")
async def _wb_signpost_edit(w: World) -> Probe:
    return await _config_probe(w, "POST", f"{W}/signposts/{await signpost(w)}")


@entry("GET", f"{W}/map/data/patrols/{{patrol_id:str}}")
async def _wb_patrol_track(w: World) -> Probe:
    people = await _people(w)
    owner = await cookie_of(w, w.admin)
    url = f"{W}/map/data/patrols/{await patrol(w)}"
    return Probe("GET", url, owner, [NO_SESSION, people["owner"]], refused=(401, 403))
