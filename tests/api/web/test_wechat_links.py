"""The signpost page's "report here" button opens the mini-program through a WeChat URL Link
(cached per signpost until shortly before it expires, the app link when WeChat cannot give
one), and the domain verification file WeChat asks for before it accepts the
扫普通链接二维码打开小程序 prefix rule."""

import datetime as dt
import re

import httpx
import msgspec

from api.app import create_app
from core import clock
from core.settings import get_settings
from qr import codes
from tests.qr.util import add_signpost


def _report_href(html: str) -> str:
    return re.search(r'id="report" href="([^"]+)"', html).group(1).replace("&amp;", "&")


def _links(api) -> list[dict]:
    return httpx.get(f"{api.wechat_url}/__fake__/url-links").json()


async def test_the_report_button_is_a_url_link_made_once_per_signpost(api):
    sign = await add_signpost(api, await api.staff("admin"))
    first = _report_href((await api.get(f"/q/{sign['code']}")).text)
    again = _report_href((await api.get(f"/q/{sign['code']}")).text)
    assert first == again and first.startswith("https://wxaurl.cn/")
    [request] = _links(api)
    assert request["path"] == "pages/report/new"
    assert request["query"].startswith(f"signpost={sign['code']}&lat=")
    assert (request["expire_type"], request["expire_interval"]) == (1, 30)
    # 29 days later the link has a day left: it is replaced before phones get a dead one.
    clock.travel(dt.timedelta(days=29, minutes=1))
    renewed = _report_href((await api.get(f"/q/{sign['code']}")).text)
    assert renewed != first and len(_links(api)) == 2


async def test_the_app_link_stands_in_when_wechat_refuses(api):
    sign = await add_signpost(api, await api.staff("admin"))
    httpx.post(f"{api.wechat_url}/__fake__/send-fail", json={"errcode": 45009})
    href = _report_href((await api.get(f"/q/{sign['code']}")).text)
    assert href.startswith(f"cityops://report?signpost={sign['code']}")
    assert _links(api) == []


async def test_printed_codes_fit_the_qr_prefix_rule(api):
    sign = await add_signpost(api, await api.staff("admin"))
    prefix = f"{get_settings().public_base_url.rstrip('/')}/q/"
    assert codes.url_of(sign["code"]).startswith(prefix)


async def test_the_verification_file_is_served_when_configured(api):
    settings = msgspec.structs.replace(
        get_settings(), wechat_verify_file="Ab12Cd34Ef.txt", wechat_verify_content="9f8e7d6c5b4a"
    )
    app = create_app(settings)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        response = await client.get("/Ab12Cd34Ef.txt")
        assert response.status_code == 200 and response.text == "9f8e7d6c5b4a"
        assert response.headers["content-type"].startswith("text/plain")
        assert (await client.get("/Other.txt")).status_code == 404
    # Not configured: no such route at all.
    assert (await api.get("/Ab12Cd34Ef.txt")).status_code == 404
