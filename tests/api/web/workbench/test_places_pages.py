"""Service points and signposts on the workbench over HTTP: list and search, create and edit
through the API's Structs and services (coordinates typed in any system, stored WGS-84),
bulk import all or nothing with the bad rows shown, the QR print sheet."""

from __future__ import annotations

import pytest

from core.actors import SYSTEM
from core.db import transaction
from places import service as places
from qr import service as signposts
from tests.api.web.workbench.support import form_post, signed_in

# eviltransform's Shanghai vector: (WGS-84) -> (GCJ-02)
WGS = (31.1774276, 121.5272106)
GCJ = (31.17530398364597, 121.531541859215)


async def _place(name: str = "栈桥公厕", kind: str = "toilet"):
    async with transaction():
        return await places.create_place(actor=SYSTEM, kind=kind, name=name, lat=WGS[0], lon=WGS[1])


async def test_places_list_and_search_in_both_locales(api):
    await _place("栈桥公厕")
    await _place("中山公园", kind="park")
    await signed_in(api, "operator")
    page = await api.get("/workbench/places")
    assert page.status_code == 200 and '<html lang="zh-CN">' in page.text
    assert "栈桥公厕" in page.text and "中山公园" in page.text
    assert "script-src 'self';" in page.headers["content-security-policy"]
    found = await api.get("/workbench/places", params={"q": "公园"})
    assert "中山公园" in found.text and "栈桥公厕" not in found.text
    by_kind = await api.get("/workbench/places", params={"kind": "toilet"})
    assert "栈桥公厕" in by_kind.text and "中山公园" not in by_kind.text
    en = await api.get("/workbench/places", headers={"Accept-Language": "en"})
    assert '<html lang="en">' in en.text and "Service points" in en.text


async def test_a_place_typed_in_gcj02_is_stored_in_wgs84(api):
    await signed_in(api, "operator")
    form = await api.get("/workbench/places/new")
    assert form.status_code == 200 and 'data-wb-map="picker"' in form.text
    created = await form_post(
        api,
        "/workbench/places/new",
        form.text,
        {
            "kind": "toilet",
            "name": "第一海水浴场公厕",
            "status": "open",
            "lat": str(GCJ[0]),
            "lon": str(GCJ[1]),
            "coordSys": "gcj02",
        },
    )
    assert created.status_code == 303, created.text
    place_id = int(created.headers["location"].split("/")[-1].split("?")[0])
    stored = await places.get_place(place_id=place_id)
    assert (stored.lat, stored.lon) == pytest.approx(WGS, abs=1e-6)
    # Edited in BD-09 (from Baidu): stored WGS-84 again; the address may be emptied.
    edit = await api.get(f"/workbench/places/{place_id}")
    assert "第一海水浴场公厕" in edit.text and 'id="saved"' not in edit.text
    from org.geo import from_wgs84

    bd = from_wgs84(WGS[0], WGS[1], "bd09")
    changed = await form_post(
        api,
        f"/workbench/places/{place_id}",
        edit.text,
        {
            "name": "第一海水浴场公厕",
            "kind": "toilet",
            "status": "maintenance",
            "address": "",
            "lat": f"{bd[0]:.9f}",
            "lon": f"{bd[1]:.9f}",
            "coordSys": "bd09",
        },
    )
    assert changed.status_code == 303, changed.text
    stored = await places.get_place(place_id=place_id)
    assert stored.status == "maintenance"
    assert (stored.lat, stored.lon) == pytest.approx(WGS, abs=1e-6)


@pytest.mark.parametrize(
    ("fields", "status", "field", "message"),
    [
        ({"lat": "91", "lon": "121"}, 422, "lat", "&lt;= 90.0 - at `$.location.lat`"),
        ({"lat": "north", "lon": "121"}, 422, "lat", "Expected `float`"),
        ({"lat": "", "lon": ""}, 422, "lat", "location"),
        ({"coordSys": "mars"}, 422, "coordSys", "coordSys"),
        ({"kind": "nosuchkind"}, 422, "kind", "地点类型 nosuchkind 不存在"),
        ({"hours": "whenever"}, 422, "hours", "营业时间格式无效"),
        ({"name": ""}, 422, "name", "name"),
    ],
)
async def test_bad_place_forms_come_back_with_the_apis_messages(
    api, fields, status, field, message
):
    await signed_in(api, "operator")
    form = await api.get("/workbench/places/new")
    data = {"kind": "toilet", "name": "x", "lat": "36.06", "lon": "120.38", "coordSys": "wgs84"}
    response = await form_post(api, "/workbench/places/new", form.text, {**data, **fields})
    assert response.status_code == status, response.text
    html = response.text
    assert f'id="e-{field}"' in html or 'id="form-error"' in html, html[:3000]
    assert message in html
    assert (await places.list_places()).items == []


async def test_place_pages_of_unknown_places_are_404(api):
    await signed_in(api, "operator")
    assert (await api.get("/workbench/places/999999")).status_code == 404
    form = await api.get("/workbench/places/new")
    missing = await form_post(api, "/workbench/places/999999", form.text, {"name": "x"})
    assert missing.status_code == 404


async def test_supervisors_read_places_but_do_not_write(api):
    await _place()
    await signed_in(api, "supervisor")
    form = await api.get("/workbench/places/new")
    assert (await api.get("/workbench/places")).status_code == 200
    refused = await form_post(
        api,
        "/workbench/places/new",
        form.text,
        {"kind": "toilet", "name": "x", "lat": "36", "lon": "120"},
    )
    assert refused.status_code == 403
    assert len((await places.list_places()).items) == 1


async def _upload(api, url: str, page_html: str, content: bytes, name="places.csv", **fields):
    from tests.api.web.workbench.support import csrf_of

    return await api.post(
        url,
        data={"_csrf_token": csrf_of(page_html), **fields},
        files={"file": (name, content, "text/csv")},
    )


async def test_place_import_is_all_or_nothing_with_the_bad_rows_shown(api):
    await signed_in(api, "operator")
    page = await api.get("/workbench/places")
    bad = (
        "kind,name,lat,lon\n"
        "toilet,好的公厕,36.06,120.38\n"
        "toilet,坏的公厕,north,120.38\n"
        "nosuch,无类型,36.06,120.38\n"
    ).encode()
    refused = await _upload(api, "/workbench/places/import", page.text, bad)
    assert refused.status_code == 422, refused.text
    assert 'id="import-rows"' in refused.text and "2 行有误" in refused.text
    rows = refused.text.split('id="import-rows"')[1]
    assert "<td>3</td>" in rows and "<td>4</td>" in rows and "unknown kind" in rows
    assert (await places.list_places()).items == []
    good = "kind,name,lat,lon\ntoilet,好的公厕,{},{}\n".format(*GCJ).encode()
    done = await _upload(api, "/workbench/places/import", page.text, good, coordSys="gcj02")
    assert done.status_code == 200 and 'id="import-done"' in done.text
    (stored,) = (await places.list_places()).items
    assert (stored.lat, stored.lon) == pytest.approx(WGS, abs=1e-6)
    missing = await api.post(
        "/workbench/places/import",
        data={"_csrf_token": page.text.split('name="_csrf_token" value="')[1].split('"')[0]},
    )
    assert missing.status_code == 422 and "import-error" in missing.text


async def test_signposts_create_search_edit_and_print(api):
    await signed_in(api, "operator")
    form = await api.get("/workbench/signposts/new")
    assert form.status_code == 200
    created = await form_post(
        api,
        "/workbench/signposts/new",
        form.text,
        {
            "name": "香港中路路口",
            "kind": "intersection",
            "status": "active",
            "lat": str(GCJ[0]),
            "lon": str(GCJ[1]),
            "coordSys": "gcj02",
        },
    )
    assert created.status_code == 303, created.text
    code = created.headers["location"].split("/")[-1].split("?")[0]
    sign = await signposts.get_signpost(code=code)
    assert (sign.lat, sign.lon) == pytest.approx(WGS, abs=1e-6)
    listed = await api.get("/workbench/signposts", params={"q": "香港"})
    assert code in listed.text and "香港中路路口" in listed.text
    assert code not in (await api.get("/workbench/signposts", params={"q": "无此"})).text
    edit = await api.get(f"/workbench/signposts/{code}")
    changed = await form_post(
        api,
        f"/workbench/signposts/{code}",
        edit.text,
        {
            "name": "香港中路口",
            "status": "damaged",
            "lat": "36.06",
            "lon": "120.38",
            "coordSys": "wgs84",
        },
    )
    assert changed.status_code == 303, changed.text
    assert (await signposts.get_signpost(code=code)).status == "damaged"
    sheet = await form_post(
        api, "/workbench/signposts/sheet", listed.text, {"codes": code, "label": "1"}
    )
    assert sheet.status_code == 200 and sheet.content.startswith(b"%PDF")
    assert sheet.headers["content-disposition"].startswith("attachment")
    empty = await form_post(api, "/workbench/signposts/sheet", listed.text, {})
    assert empty.status_code == 422 and "请先勾选要打印的路牌" in empty.text
    unknown = await form_post(api, "/workbench/signposts/sheet", listed.text, {"codes": "ZZZ"})
    assert unknown.status_code == 422 and "路牌编码由 10 位字母和数字组成" in unknown.text
    (unused,) = await signposts.unused_codes(1)
    assert (await api.get(f"/workbench/signposts/{unused}")).status_code == 404
    en = await api.get("/workbench/signposts", headers={"Accept-Language": "en"})
    assert '<html lang="en">' in en.text and "Signposts" in en.text


async def test_signpost_import_shows_bad_rows(api):
    await signed_in(api, "operator")
    page = await api.get("/workbench/signposts")
    bad = "name,lat,lon\n路口一,36.06,120.38\n,36.06,120.38\n".encode()
    refused = await _upload(api, "/workbench/signposts/import", page.text, bad, "signs.csv")
    assert refused.status_code == 422 and 'id="import-rows"' in refused.text
    assert (await signposts.list_signposts())[0] == []


async def test_a_form_sent_twice_creates_one_place(api):
    import asyncio

    await signed_in(api, "operator")
    form = await api.get("/workbench/places/new")
    key = form.text.split('name="_key" value="')[1].split('"')[0]
    data = {
        "kind": "toilet",
        "name": "双击公厕",
        "lat": "36.06",
        "lon": "120.38",
        "coordSys": "wgs84",
        "_key": key,
    }
    first, second = await asyncio.gather(
        form_post(api, "/workbench/places/new", form.text, data),
        form_post(api, "/workbench/places/new", form.text, data),
    )
    statuses = sorted([first.status_code, second.status_code])
    assert statuses[0] == 303, (first.text, second.text)
    (place,) = (await places.list_places()).items
    for response in (first, second):
        if response.status_code == 303:
            assert response.headers["location"] == f"/workbench/places/{place.id}?saved=1"
    # A later resend of the same form (a lost response) finds the same place.
    again = await form_post(api, "/workbench/places/new", form.text, data)
    assert again.headers["location"] == f"/workbench/places/{place.id}?saved=1"
    assert len((await places.list_places()).items) == 1
    # A new render carries a new key: the next submit is a new place.
    other = await api.get("/workbench/places/new")
    assert key not in other.text
