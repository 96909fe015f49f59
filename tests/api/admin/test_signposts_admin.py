"""Admin signposts: CRUD, bulk import, QR images (PNG, SVG) and the PDF sheet, each decoded
with a real QR decoder (zxing-cpp)."""

import io
import json
import time

import pytest
from PIL import Image

from qr import codes
from tests.helpers import assert_problem
from tests.places.util import CENTER, fresh_index, offset  # noqa: F401
from tests.qr.util import add_signpost, decode_qr, pdf_page_images


async def test_crud(api):
    admin = await api.staff("admin")
    sign = await add_signpost(api, admin, kind="park_gate", installedOn="2026-05-01")
    assert sign["status"] == "active" and sign["installedOn"] == "2026-05-01"
    assert sign["gridCode"] is None  # outside every grid
    one = await api.get(f"/api/admin/signposts/{sign['code']}", headers=admin.headers)
    assert one.json() == sign
    changed = await api.patch(
        f"/api/admin/signposts/{sign['code']}",
        headers=admin.headers,
        json={"status": "damaged", "name": "中山公园南门"},
    )
    assert changed.status_code == 200, changed.text
    assert (changed.json()["status"], changed.json()["name"]) == ("damaged", "中山公园南门")
    listed = await api.get(
        "/api/admin/signposts", headers=admin.headers, params={"status": "damaged"}
    )
    assert [s["code"] for s in listed.json()["items"]] == [sign["code"]]
    assert (
        await api.delete(f"/api/admin/signposts/{sign['code']}", headers=admin.headers)
    ).status_code == 204
    assert_problem(
        await api.get(f"/api/admin/signposts/{sign['code']}", headers=admin.headers),
        404,
        "signpost.not_found",
    )


async def test_reregistering_a_printed_code(api):
    admin = await api.staff("admin")
    code = codes.new_code()
    sign = await add_signpost(api, admin, code=code)
    assert sign["code"] == code
    again = await api.post(
        "/api/admin/signposts",
        headers=admin.headers,
        json={"name": "x", "location": {"lat": 36, "lon": 120}, "code": code},
    )
    assert_problem(again, 409, "signpost.code_taken")
    forged = await api.post(
        "/api/admin/signposts",
        headers=admin.headers,
        json={"name": "x", "location": {"lat": 36, "lon": 120}, "code": code[:5] + "00000"},
    )
    assert forged.status_code == 422 and forged.json()["code"] in (
        "signpost.counterfeit",
        "signpost.code_taken",
    )


@pytest.mark.parametrize(
    ("body", "status", "code"),
    [
        ({"name": ""}, 400, "request.invalid"),
        ({"location": {"lat": 36, "lon": 200}}, 400, "request.invalid"),
        ({"status": "stolen"}, 400, "request.invalid"),
        ({"gridCode": "999"}, 422, "grid.unknown"),
        ({"code": "abc"}, 422, "signpost.malformed_code"),
    ],
)
async def test_bad_signposts(api, body, status, code):
    admin = await api.staff("admin")
    full = {"name": "路口", "location": {"lat": 36.06, "lon": 120.38}} | body
    assert_problem(
        await api.post("/api/admin/signposts", json=full, headers=admin.headers), status, code
    )


async def test_png_and_its_label_decode_to_the_url(api):
    admin = await api.staff("admin")
    sign = await add_signpost(api, admin)
    response = await api.get(f"/api/admin/signposts/{sign['code']}/qr.png", headers=admin.headers)
    assert response.status_code == 200 and response.headers["content-type"] == "image/png"
    image = Image.open(io.BytesIO(response.content))
    assert decode_qr(image) == [sign["url"]]
    # Error correction Q, and a label strip below the square code.
    import zxingcpp

    result = zxingcpp.read_barcodes(image)[0]
    assert result.ec_level == "Q"
    assert image.height > image.width
    plain = await api.get(
        f"/api/admin/signposts/{sign['code']}/qr.png",
        headers=admin.headers,
        params={"label": "false", "size": 4},
    )
    small = Image.open(io.BytesIO(plain.content))
    assert small.width == small.height and decode_qr(small) == [sign["url"]]
    # The quiet zone: the outer 4 modules are white.
    assert small.crop((0, 0, small.width, 16)).getextrema() == (255, 255)


async def test_svg_carries_the_code_and_label(api):
    admin = await api.staff("admin")
    sign = await add_signpost(api, admin, name="A&B 路口 <北>")
    response = await api.get(f"/api/admin/signposts/{sign['code']}/qr.svg", headers=admin.headers)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("image/svg+xml")
    text = response.text
    assert "A&amp;B 路口 &lt;北&gt;" in text and "Noto Sans CJK SC" in text
    # Decoded after rendering in Chromium: tests/api/web/test_signpost_page_chromium.py.


async def test_pdf_sheet_decodes_every_code(api):
    admin = await api.staff("admin")
    signs = [await add_signpost(api, admin, name=f"路口{i}", north=i) for i in range(14)]
    response = await api.post(
        "/api/admin/signposts/sheet",
        headers=admin.headers,
        json={"codes": [s["code"] for s in signs]},
    )
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/pdf"
    assert response.content.startswith(b"%PDF")
    pages = pdf_page_images(response.content)
    assert len(pages) == 2  # 12 per A4 page
    found = sorted(url for page in pages for url in decode_qr(page))
    assert found == sorted(s["url"] for s in signs)


async def test_bad_sheets(api):
    admin = await api.staff("admin")
    assert_problem(
        await api.post("/api/admin/signposts/sheet", headers=admin.headers, json={"codes": []}),
        400,
        "request.invalid",
    )
    assert_problem(
        await api.post(
            "/api/admin/signposts/sheet", headers=admin.headers, json={"codes": [codes.new_code()]}
        ),
        404,
        "signpost.not_found",
    )
    assert_problem(
        await api.post(
            "/api/admin/signposts/sheet", headers=admin.headers, json={"codes": ["A"] * 241}
        ),
        422,
        "signpost.sheet_too_large",
    )


async def test_csv_import_of_20000_signposts(api):
    admin = await api.staff("admin")
    lines = ["name,lat,lon,kind,installed_on"]
    for i in range(20_000):
        lat, lon = offset(*CENTER, (i % 150) * 20, (i // 150) * 20)
        lines.append(f"路口{i},{lat:.7f},{lon:.7f},intersection,2026-01-01")
    started = time.perf_counter()
    response = await api.post(
        "/api/admin/signposts/import",
        headers={**admin.headers, "Content-Type": "text/csv"},
        content="\n".join(lines).encode(),
    )
    print(f"imported 20,000 signposts in {time.perf_counter() - started:.2f} s")
    assert response.status_code == 201, response.text[:300]
    assert response.json() == {"imported": 20_000}
    page = (
        await api.get("/api/admin/signposts", headers=admin.headers, params={"limit": 3})
    ).json()
    assert [s["name"] for s in page["items"]] == ["路口0", "路口1", "路口2"]
    assert all(codes.verify(s["code"]) for s in page["items"])


async def test_signpost_import_reports_every_bad_row(api):
    admin = await api.staff("admin")
    existing = await add_signpost(api, admin)
    fresh = codes.new_code()
    forged = fresh[:5] + ("00000" if fresh[5:] != "00000" else "11111")
    rows = [
        ("好的", 36.06, 120.38, ""),
        ("", 36.06, 120.38, ""),  # line 3
        ("坏纬度", 99, 120.38, ""),  # 4
        ("重复已有", 36.06, 120.38, existing["code"]),  # 5
        ("新码", 36.06, 120.38, fresh),  # 6: fine
        ("文件内重复", 36.06, 120.38, fresh),  # 7
        ("伪造", 36.06, 120.38, forged),  # 8
        ("格式错", 36.06, 120.38, "XYZ"),  # 9
    ]
    features = [
        {
            "type": "Feature",
            "geometry": {"type": "Point", "coordinates": [lon, lat]},
            "properties": {"name": name, "code": code},
        }
        for name, lat, lon, code in rows
    ]
    csv_text = "name,lat,lon,code\n" + "\n".join(f"{n},{a},{o},{c}" for n, a, o, c in rows)
    response = await api.post(
        "/api/admin/signposts/import",
        content=csv_text.encode(),
        headers={**admin.headers, "Content-Type": "text/csv"},
    )
    body = assert_problem(response, 422, "import.rejected")
    assert [r["line"] for r in body["rows"]] == [3, 4, 5, 7, 8, 9]
    reasons = {r["line"]: r["reason"] for r in body["rows"]}
    assert "already exists" in reasons[5] and "repeats line 6" in reasons[7]
    assert "not issued" in reasons[8] and "10 letters" in reasons[9]
    geojson = (
        '{"type":"FeatureCollection","features":[\n'
        + ",\n".join(json.dumps(f, ensure_ascii=False) for f in features)
        + "\n]}"
    )
    response = await api.post(
        "/api/admin/signposts/import",
        content=geojson.encode(),
        params={"format": "geojson"},
        headers=admin.headers,
    )
    body = assert_problem(response, 422, "import.rejected")
    assert [r["line"] for r in body["rows"]] == [3, 4, 5, 7, 8, 9]
    listed = (await api.get("/api/admin/signposts", headers=admin.headers)).json()
    assert [s["code"] for s in listed["items"]] == [existing["code"]]  # nothing imported


async def test_minted_codes_step_around_the_ones_signs_already_carry(api, monkeypatch):
    """Serials have 25 bits: among a city's tens of thousands of signs a fresh code is now and
    then taken. Creating and importing mint past it instead of failing."""
    admin = await api.staff("admin")
    first = await add_signpost(api, admin)
    spare = [codes.new_code() for _ in range(4)]
    # Every mint first offers the code the existing sign carries, then fresh ones.
    offers = iter([first["code"], spare[0], first["code"], spare[1], spare[1], spare[2]])
    monkeypatch.setattr(codes, "new_code", lambda: next(offers))
    second = await add_signpost(api, admin, name="第二个路口", north=50)
    assert second["code"] == spare[0]
    lines = [
        "name,lat,lon,code",
        "甲,36.06,120.38,",
        "乙,36.061,120.38,",
        f"丙,36.06,120.381,{spare[3]}",
    ]
    response = await api.post(
        "/api/admin/signposts/import",
        headers={**admin.headers, "Content-Type": "text/csv"},
        content="\n".join(lines).encode(),
    )
    assert response.status_code == 201, response.text
    listed = await api.get("/api/admin/signposts", headers=admin.headers, params={"limit": 10})
    by_name = {s["name"]: s["code"] for s in listed.json()["items"]}
    assert {by_name["甲"], by_name["乙"]} == {spare[1], spare[2]}  # a code once, none taken
    assert by_name["丙"] == spare[3]
