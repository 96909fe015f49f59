"""GET /q/{code}: the page a phone camera opens, as plain HTTP (rendering in Chromium is in
test_signpost_page_chromium.py)."""

import re
from urllib.parse import parse_qs, urlparse

from qr import codes
from tests.places.util import add_place, fresh_index  # noqa: F401
from tests.qr.util import add_signpost


async def _setup(api):
    admin = await api.staff("admin")
    sign = await add_signpost(api, admin)
    await add_place(api, admin, name="栈桥公厕", north=120, hours="24/7")
    await add_place(
        api,
        admin,
        kind="parking",
        name="栈桥停车场",
        east=250,
        attributes={"total_spaces": 80, "free_spaces": 12},
    )
    return admin, sign


def _hrefs(html: str) -> dict[str, str]:
    return dict(re.findall(r'<a [^>]*?(?:id|class)="([\w-]+)" href="([^"]+)"', html))


async def test_page_in_chinese_small_and_without_script(api):
    _, sign = await _setup(api)
    response = await api.get(f"/q/{sign['code']}")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    html = response.text
    assert len(response.content) < 50 * 1024
    assert "<script" not in html.lower()
    assert 'name="viewport"' in html and 'lang="zh-CN"' in html
    assert "您在这里" in html and "建新北路与北城天街交叉口" in html
    assert "栈桥公厕" in html and "120 米" in html and "营业中" in html
    assert "栈桥停车场" in html and "空余车位 12" in html
    assert "2 公里内没有" in html  # no park
    links = _hrefs(html)
    assert links["report"].startswith("https://wxaurl.cn/")  # a WeChat URL Link
    assert links["damaged"] == f"/q/{sign['code']}/damaged"
    toilet = _hrefs(html.split('id="near-toilet"')[1].split("</section>")[0])
    amap = parse_qs(urlparse(toilet["amap"].replace("&amp;", "&")).query)
    assert amap["to"][0].endswith(",栈桥公厕")
    assert "how-to-report" in html  # the fallback when the app does not open


async def test_page_in_english(api):
    _, sign = await _setup(api)
    html = (await api.get(f"/q/{sign['code']}", headers={"Accept-Language": "en-US,en;q=0.9"})).text
    assert 'lang="en"' in html and "You are here" in html and "Nearest toilet" in html
    assert "120 m" in html and "Report a problem here" in html


async def test_unknown_malformed_and_counterfeit_codes(api):
    unknown = await api.get(f"/q/{codes.new_code()}")
    assert unknown.status_code == 404 and "路牌不存在" in unknown.text
    malformed = await api.get("/q/hello")
    assert malformed.status_code == 404 and 'id="not-found"' in malformed.text
    real = codes.new_code()
    forged = real[:5] + ("00000" if real[5:] != "00000" else "11111")
    counterfeit = await api.get(f"/q/{forged}")
    assert counterfeit.status_code == 400
    assert "警告" in counterfeit.text and 'id="counterfeit"' in counterfeit.text
    english = await api.get(f"/q/{forged}", headers={"Accept-Language": "en"})
    assert "counterfeit" in english.text.lower() or "not issued" in english.text


async def test_reporting_a_damaged_sign_from_the_page(api):
    admin, sign = await _setup(api)
    form = await api.get(f"/q/{sign['code']}/damaged")
    assert form.status_code == 200 and 'method="post"' in form.text
    sent = await api.post(f"/q/{sign['code']}/damaged", data={"note": "贴纸被撕掉一半"})
    assert sent.status_code == 200 and 'id="thanks"' in sent.text
    reports = (await api.get("/api/admin/signposts/damage-reports", headers=admin.headers)).json()[
        "items"
    ]
    assert [(r["note"], r["channel"]) for r in reports] == [("贴纸被撕掉一半", "web")]
    damaged = await api.patch(
        f"/api/admin/signposts/{sign['code']}", headers=admin.headers, json={"status": "damaged"}
    )
    assert damaged.status_code == 200
    assert 'id="status"' in (await api.get(f"/q/{sign['code']}")).text
