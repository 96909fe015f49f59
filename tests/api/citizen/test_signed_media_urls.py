"""Signed, short-lived photo URLs on local storage (issue 20): a WeChat ``<image src>``
cannot send a token, so photo views carry a URL that works without one, for a while, for
that photo and that size only, and only for a viewer who may see the photo."""

import datetime as dt
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest
from PIL import Image

from core import clock
from tests.api.citizen.test_reports import REPORTS, _report
from tests.api.inspector.field import citizen_report, ok, photo
from tests.cases_city import build_city
from tests.helpers import assert_problem

BASE = "https://city.example"


@pytest.fixture
async def city(api, settings_env):
    settings_env(CITYOPS_PUBLIC_BASE_URL=BASE, CITYOPS_MEDIA_URL_TTL_SECONDS="300")
    return await build_city(api)


async def _own_photo(api, city):
    citizen = await api.citizen()
    case_id = (await _report(api, citizen, category="C0301")).json()["id"]
    view = (await api.get(f"{REPORTS}/{case_id}", headers=citizen.headers)).json()
    (shown,) = view["photos"]
    return citizen, case_id, shown


def _with(url: str, **changes: str) -> str:
    parts = urlsplit(url)
    query = {k: v[0] for k, v in parse_qs(parts.query).items()} | changes
    return f"{parts.scheme}://{parts.netloc}{parts.path}?{urlencode(query)}"


def _path(url: str, path: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}{path}?{parts.query}"


async def test_own_report_view_gives_urls_that_need_no_token(api, city):
    _, _, shown = await _own_photo(api, city)
    display, thumb = shown["signedUrl"], shown["signedThumbUrl"]
    for url in (display, thumb):
        parts = urlsplit(url)
        assert f"{parts.scheme}://{parts.netloc}" == BASE
        assert parts.path.startswith(f"/media/signed/{shown['id']}/")
    assert shown["signedUntil"]
    sizes = []
    for url in (display, thumb):
        response = await api.get(url)  # no Authorization, no cookie
        assert response.status_code == 200, response.text
        assert response.headers["content-type"] == "image/jpeg"
        assert response.headers["x-content-type-options"] == "nosniff"
        assert "set-cookie" not in response.headers
        cache = response.headers["cache-control"]
        assert cache.startswith("private, max-age=")
        assert 0 < int(cache.rsplit("=", 1)[1]) <= 300
        with Image.open(__import__("io").BytesIO(response.content)) as image:
            sizes.append(max(image.size))
    assert sizes[0] > sizes[1]  # the display image, then the thumbnail
    # The token route still answers the old fields.
    assert shown["url"].startswith("/api/citizen/media/")


async def test_a_thumbnail_url_does_not_open_the_display_image(api, city):
    _, _, shown = await _own_photo(api, city)
    thumb = shown["signedThumbUrl"]
    swapped = _path(thumb, urlsplit(thumb).path.replace("/thumb", "/display"))
    assert_problem(await api.get(swapped), 403, "media.url_invalid")


async def test_tampered_foreign_and_malformed_urls_are_refused(api, city):
    _, _, shown = await _own_photo(api, city)
    _, _, other = await _own_photo(api, city)
    url = shown["signedUrl"]
    sig = parse_qs(urlsplit(url).query)["sig"][0]
    exp = parse_qs(urlsplit(url).query)["exp"][0]
    flipped = ("A" if sig[0] != "A" else "B") + sig[1:]
    refused = [
        _with(url, sig=flipped),
        _with(url, exp=str(int(exp) + 3600)),  # stretched
        _path(url, f"/media/signed/{other['id']}/display"),  # another photo
        _with(url, exp="soon"),
        _with(url, exp="-5"),
        _with(url, exp="9" * 5000),
        _with(url, exp=""),
        _with(url, sig="!!!not*base64!!!"),
        _with(url, sig=sig[:-4]),
        _with(url, sig=sig + "AAAA"),
        _with(url, sig="0" * 64),  # hex, not ours
        _path(url, f"/media/signed/{shown['id']}/original"),
        url.split("?")[0],  # no query at all
    ]
    for bad in refused:
        assert_problem(await api.get(bad), 403, "media.url_invalid")
    unknown = _path(url, f"/media/signed/m_{'z' * 16}/display")
    assert_problem(await api.get(unknown), 403, "media.url_invalid")  # signed for another id
    assert (await api.get(url)).status_code == 200  # the real one still works


async def test_an_expired_url_is_refused(api, city):
    _, _, shown = await _own_photo(api, city)
    clock.travel(dt.timedelta(seconds=301))
    assert_problem(await api.get(shown["signedUrl"]), 403, "media.url_expired")
    assert_problem(await api.get(shown["signedThumbUrl"]), 403, "media.url_expired")


async def test_a_fresh_view_gives_fresh_urls(api, city):
    citizen, case_id, shown = await _own_photo(api, city)
    clock.travel(dt.timedelta(seconds=301))
    view = (await api.get(f"{REPORTS}/{case_id}", headers=citizen.headers)).json()
    assert (await api.get(view["photos"][0]["signedUrl"])).status_code == 200


async def test_the_report_list_carries_a_signed_thumbnail(api, city):
    citizen, _, shown = await _own_photo(api, city)
    (item,) = (await api.get(REPORTS, headers=citizen.headers)).json()["items"]
    assert urlsplit(item["signedThumbUrl"]).path == f"/media/signed/{shown['id']}/thumb"
    assert (await api.get(item["signedThumbUrl"])).status_code == 200


async def test_a_follower_gets_no_url_for_a_photo_they_may_not_see(api, city):
    alice, bob = await api.citizen(), await api.citizen()
    case_id = await citizen_report(api, alice)
    evidence = await photo(api, city.inspector)
    await ok(api, city.inspector, case_id, "verify", {"valid": True, "mediaIds": [evidence]})
    assert (await api.post(f"{REPORTS}/{case_id}/follow", headers=bob.headers)).status_code == 200

    mine = (await api.get(f"{REPORTS}/{case_id}", headers=alice.headers)).json()
    theirs = (await api.get(f"{REPORTS}/{case_id}", headers=bob.headers)).json()
    assert evidence not in {p["id"] for p in theirs["photos"]}
    assert len(theirs["photos"]) == 1 and evidence not in str(theirs)
    (item,) = (await api.get(REPORTS, params={"scope": "following"}, headers=bob.headers)).json()[
        "items"
    ]
    assert evidence not in str(item)
    assert theirs["photos"][0]["id"] in {p["id"] for p in mine["photos"]}
    # Staff in scope see it, signed too.
    staff = (
        await api.get(f"/api/inspector/cases/{case_id}", headers=city.inspector.headers)
    ).json()
    (shown,) = [p for p in staff["photos"] if p["id"] == evidence]
    assert urlsplit(shown["signedUrl"]).netloc == urlsplit(BASE).netloc
    assert (await api.get(shown["signedUrl"])).status_code == 200


async def test_an_upload_answers_signed_urls_and_a_photo_since_gone_is_not_found(api, city):
    from media.tasks import sweep_unattached
    from tests.api.citizen.test_media import post_photo
    from tests.helpers import jpeg_bytes

    citizen = await api.citizen()
    body = (await post_photo(api, citizen, jpeg_bytes(seed=7))).json()
    signed = body["signedUrls"]
    assert urlsplit(signed["display"]).netloc == urlsplit(BASE).netloc and signed["expiresAt"]
    assert (await api.get(signed["thumb"])).status_code == 200
    clock.travel(dt.timedelta(seconds=5))
    assert await sweep_unattached(older_than=dt.timedelta(seconds=1)) == 1
    assert_problem(await api.get(signed["display"]), 404, "media.not_found")
