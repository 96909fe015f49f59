"""POST /api/citizen/media and GET /api/citizen/media/{id}/{variant}, through HTTP."""

from __future__ import annotations

import io

import pytest
from PIL import Image

from tests.helpers import assert_problem
from tests.media import samples
from tests.media.samples import BOZHOU, BOZHOU_DECIMAL, assert_clean, exif_block, is_red

URL = "/api/citizen/media"


async def post_photo(
    api,
    session,
    data: bytes,
    filename: str = "IMG_0001.jpg",
    content_type: str = "image/jpeg",
    headers: dict | None = None,
    url: str = URL,
):
    return await api.post(
        url,
        files={"file": (filename, data, content_type)},
        headers={**session.headers, **(headers or {})},
    )


async def read_back(api, session, body: dict) -> tuple[Image.Image, Image.Image]:
    """Both stored derivatives, fetched the way a phone would, checked for metadata."""
    shown = []
    for variant in ("display", "thumb"):
        response = await api.get(body["urls"][variant], headers=session.headers)
        assert response.status_code == 200, response.text
        assert response.headers["content-type"] == "image/jpeg"
        assert response.headers["cache-control"].startswith("private")
        shown.append(assert_clean(response.content))
    return shown[0], shown[1]


@pytest.fixture(scope="module")
def photo_12mp() -> bytes:
    """What a phone sends: 4000x3000 stored sideways (Orientation 6), GPS, capture time."""
    return samples.jpeg(
        (4000, 3000),
        quality=88,
        exif=exif_block(orientation=6, lat=BOZHOU[0], lon=BOZHOU[1], taken="2026:11:20 09:15:00"),
    )


async def test_12mp_photo_is_accepted_with_hints_and_stored_without_exif(api, photo_12mp):
    me = await api.citizen()
    response = await post_photo(api, me, photo_12mp)
    assert response.status_code == 201, response.text
    body = response.json()
    assert body["id"].startswith("m_") and len(body["id"]) == 18
    assert (body["width"], body["height"]) == (3000, 4000)  # portrait, as the phone showed it
    assert body["format"] == "JPEG" and body["sizeBytes"] == len(photo_12mp)
    assert body["hints"]["lat"] == pytest.approx(BOZHOU_DECIMAL[0], abs=1e-6)
    assert body["hints"]["lon"] == pytest.approx(BOZHOU_DECIMAL[1], abs=1e-6)
    assert body["hints"]["coordSys"] == "wgs84"
    assert body["hints"]["takenAt"] in ("2026-11-20T01:15:00Z", "2026-11-20T01:15:00+00:00")
    assert body["urls"] == {
        "display": f"{URL}/{body['id']}/display",
        "thumb": f"{URL}/{body['id']}/thumb",
    }
    # Local storage signs its own URLs (tests/api/citizen/test_signed_media_urls.py).
    assert body["signedUrls"]["display"].endswith(
        f"/media/signed/{body['id']}/display?" + body["signedUrls"]["display"].split("?")[1]
    )

    display, thumb = await read_back(api, me, body)
    assert display.size == (1200, 1600) and thumb.size == (300, 400)
    assert is_red(display.getpixel((display.width - 5, 5)))  # stored top-left, turned


@pytest.mark.parametrize(
    ("make", "fmt"),
    [
        (lambda: samples.png((900, 700), exif=exif_block(lat=BOZHOU[0], lon=BOZHOU[1])), "PNG"),
        (lambda: samples.webp((900, 700), exif=exif_block(lat=BOZHOU[0], lon=BOZHOU[1])), "WEBP"),
        (lambda: samples.heic((900, 700), exif=exif_block(lat=BOZHOU[0], lon=BOZHOU[1])), "HEIF"),
        (lambda: samples.png((900, 700), mode="RGBA"), "PNG"),
    ],
    ids=["png-with-gps", "webp-with-gps", "heic-with-gps", "png-rgba"],
)
async def test_other_formats_are_accepted_and_stripped(api, make, fmt, request):
    me = await api.citizen()
    response = await post_photo(
        api, me, make(), filename="photo.bin", content_type="application/octet-stream"
    )
    assert response.status_code == 201, response.text
    body = response.json()
    assert body["format"] == fmt
    with_gps = "rgba" not in request.node.callspec.id
    assert (body["hints"]["lat"] is not None) == with_gps, body
    display, _ = await read_back(api, me, body)
    assert display.size == (900, 700)


async def test_heic_gps_is_a_hint_and_gone_from_the_files(api):
    me = await api.citizen()
    response = await post_photo(
        api,
        me,
        samples.heic((1000, 750), exif=exif_block(lat=BOZHOU[0], lon=BOZHOU[1])),
        filename="IMG_0002.HEIC",
        content_type="image/heic",
    )
    assert response.status_code == 201, response.text
    body = response.json()
    assert body["hints"]["lat"] == pytest.approx(BOZHOU_DECIMAL[0], abs=1e-6)
    await read_back(api, me, body)


@pytest.mark.parametrize(
    ("make", "status", "code"),
    [
        (samples.png_bomb, 422, "media.decompression_bomb"),
        (samples.webp_bomb, 422, "media.decompression_bomb"),
        (samples.gif_bomb, 415, "media.unsupported_format"),
        (samples.truncated_jpeg, 422, "media.truncated"),
        (lambda: b"", 422, "media.empty"),
        (samples.very_wide_png, 422, "media.dimensions_too_large"),
        (lambda: b"just some text, named photo.jpg", 415, "media.unsupported_format"),
        (samples.zip_bytes, 415, "media.unsupported_format"),
        (lambda: b"%PDF-1.4\n" + b"0" * 100, 415, "media.unsupported_format"),
    ],
    ids=[
        "png-bomb",
        "webp-bomb",
        "gif-bomb",
        "truncated-jpeg",
        "zero-bytes",
        "50000-wide",
        "text",
        "zip",
        "pdf",
    ],
)
async def test_hostile_uploads_are_refused_with_their_code(api, make, status, code):
    me = await api.citizen()
    response = await post_photo(api, me, make())
    assert_problem(response, status, code)


async def test_hostile_upload_problems_speak_english_on_request(api):
    me = await api.citizen()
    response = await api.post(
        URL,
        files={"file": ("b.png", samples.png_bomb(), "image/png")},
        headers={**me.headers, "Accept-Language": "en"},
    )
    body = assert_problem(response, 422, "media.decompression_bomb")
    assert "10000000000" in body["detail"] and "pixels" in body["detail"]


async def test_jpeg_zip_polyglot_is_accepted_but_the_zip_is_not_stored(api):
    me = await api.citizen()
    response = await post_photo(api, me, samples.polyglot())
    assert response.status_code == 201, response.text
    display, thumb = await read_back(api, me, response.json())  # assert_clean: no "PK\3\4"
    assert display.size == (640, 480)


async def test_extension_and_content_type_are_ignored_the_bytes_decide(api):
    me = await api.citizen()
    png_as_jpg = await post_photo(
        api, me, samples.png((300, 200)), filename="photo.jpg", content_type="image/jpeg"
    )
    assert png_as_jpg.status_code == 201 and png_as_jpg.json()["format"] == "PNG"
    gif_as_jpg = await post_photo(
        api, me, samples.gif(), filename="photo.jpg", content_type="image/jpeg"
    )
    assert_problem(gif_as_jpg, 415, "media.unsupported_format")


async def test_over_15_mb_is_refused(api):
    me = await api.citizen()
    limit = 15 * 1024 * 1024
    # Just over the limit: the body fits the route's allowance, the file check refuses it.
    just_over = b"\xff\xd8\xff" + b"\x00" * (limit - 2)
    assert_problem(await post_photo(api, me, just_over), 413, "media.too_large")
    # Far over: refused while reading the body, with the same code.
    body = assert_problem(
        await post_photo(api, me, just_over + b"\x00" * limit), 413, "media.too_large"
    )
    assert body["maxBytes"] == limit


async def test_missing_file_field_and_wrong_encoding_are_400(api):
    me = await api.citizen()
    response = await api.post(
        URL, files={"photo": ("a.jpg", samples.jpeg((64, 64)), "image/jpeg")}, headers=me.headers
    )
    assert response.status_code == 400 and response.headers["content-type"].startswith(
        "application/problem+json"
    )
    response = await api.post(URL, json={"file": "aGVsbG8="}, headers=me.headers)
    assert 400 <= response.status_code < 500


async def test_only_the_owner_can_fetch_a_photo(api):
    me, neighbour = await api.citizen(), await api.citizen()
    body = (await post_photo(api, me, samples.jpeg((640, 480)))).json()
    for variant in ("display", "thumb"):
        response = await api.get(body["urls"][variant], headers=neighbour.headers)
        assert_problem(response, 404, "media.not_found")
    assert_problem(
        await api.get(f"{URL}/m_0000000000000000/thumb", headers=me.headers), 404, "media.not_found"
    )
    response = await api.get(f"{URL}/{body['id']}/original", headers=me.headers)
    assert 400 <= response.status_code < 500
    assert_problem(await api.get(body["urls"]["thumb"]), 401, "auth.required")
    assert_problem(
        await post_photo(api, type(me)("", "", {}), samples.jpeg((64, 64))), 401, "auth.required"
    )


async def test_idempotency_key_replays_the_first_upload(api):
    me = await api.citizen()
    photo = samples.jpeg((640, 480))
    first = await post_photo(api, me, photo, headers={"Idempotency-Key": "upload-1"})
    again = await post_photo(api, me, photo, headers={"Idempotency-Key": "upload-1"})
    assert first.status_code == again.status_code == 201
    assert again.json()["id"] == first.json()["id"]
    assert again.headers.get("idempotent-replayed") == "true"
    other = await post_photo(
        api, me, samples.png((64, 64)), headers={"Idempotency-Key": "upload-1"}
    )
    assert_problem(other, 422, "idempotency.key_reused")
    fresh = await post_photo(api, me, photo, headers={"Idempotency-Key": "upload-2"})
    assert fresh.json()["id"] != first.json()["id"]


async def test_upload_route_is_in_the_openapi_schema(api):
    schema = (await api.get("/schema/openapi.json")).json()
    operation = schema["paths"]["/api/citizen/media"]["post"]
    assert "multipart/form-data" in operation["requestBody"]["content"]


def test_sample_photo_is_a_realistic_size(photo_12mp):
    image = Image.open(io.BytesIO(photo_12mp))
    assert image.size == (4000, 3000) and 2_000_000 < len(photo_12mp) < 8_000_000


async def test_uploads_are_limited_per_account_before_decoding(api, monkeypatch):
    """A burst of uploads is cut off at CITYOPS_MEDIA_UPLOAD_BURST (then one per interval),
    without decoding the refused ones; other accounts are not affected."""
    import asyncio
    import datetime as dt

    from core import clock
    from media import images
    from tests.helpers import jpeg_bytes, refreshed

    decoded = []
    original = images.process_off_loop

    async def counting(data, limits):
        decoded.append(len(data))
        return await original(data, limits)

    monkeypatch.setattr(images, "process_off_loop", counting)
    citizen, other = await api.citizen(), await api.citizen()
    photos = [jpeg_bytes(seed=i) for i in range(30)]
    responses = await asyncio.gather(*[post_photo(api, citizen, data) for data in photos])
    statuses = sorted(r.status_code for r in responses)
    assert statuses == [201] * 20 + [429] * 10
    refused = next(r for r in responses if r.status_code == 429)
    body = assert_problem(refused, 429, "rate_limited")
    assert 1 <= body["retryAfter"] <= 31  # whole seconds, rounded up
    assert len(decoded) == 20
    assert (await post_photo(api, other, photos[0])).status_code == 201
    clock.travel(dt.timedelta(seconds=31))  # 20 per 10 minutes: one back every 30 s
    citizen = await refreshed(api.client, citizen)
    assert (await post_photo(api, citizen, photos[0])).status_code == 201
    assert (await post_photo(api, citizen, photos[1])).status_code == 429


async def test_uploads_have_a_daily_quota(api, settings_env):
    import datetime as dt

    from core import clock
    from tests.helpers import jpeg_bytes, refreshed

    settings_env(CITYOPS_MEDIA_DAILY_UPLOADS_CITIZEN="3")
    citizen = await api.citizen()
    for seed in range(3):
        assert (await post_photo(api, citizen, jpeg_bytes(seed=seed))).status_code == 201
    body = assert_problem(
        await post_photo(api, citizen, jpeg_bytes(seed=9)), 429, "media.quota_exceeded"
    )
    assert body["retryAfter"] > 23 * 3600
    clock.travel(dt.timedelta(days=1, seconds=1))
    citizen = await refreshed(api.client, citizen)
    assert (await post_photo(api, citizen, jpeg_bytes(seed=9))).status_code == 201


async def test_photos_nothing_took_are_swept_after_a_day(api):
    import datetime as dt
    import hashlib

    from core import clock
    from media.service import storage_keys
    from media.storage import get_storage
    from media.tables import Media
    from media.tasks import sweep_orphan_files, sweep_unattached
    from tests.cases_city import AUTO_CATEGORY, IN_GRID, build_city
    from tests.helpers import jpeg_bytes, refreshed

    await build_city(api)
    citizen = await api.citizen()
    kept = (await post_photo(api, citizen, jpeg_bytes(seed=1))).json()
    loose = (await post_photo(api, citizen, jpeg_bytes(seed=2))).json()
    report = {
        "category": AUTO_CATEGORY,
        "location": {"lat": IN_GRID[0], "lon": IN_GRID[1]},
        "mediaIds": [kept["id"]],
    }
    assert (
        await api.post("/api/citizen/reports", json=report, headers=citizen.headers)
    ).status_code == 201
    assert await sweep_unattached() == 0  # not a day old yet
    clock.travel(dt.timedelta(hours=25))
    assert await sweep_unattached() == 1
    assert [m.public_id for m in await Media.objects()] == [kept["id"]]
    citizen = await refreshed(api.client, citizen)
    assert (await api.get(loose["urls"]["display"], headers=citizen.headers)).status_code == 404
    assert (await api.get(kept["urls"]["display"], headers=citizen.headers)).status_code == 200
    swept = await Media.objects().where(Media.public_id == kept["id"]).first()
    late = {**report, "mediaIds": [loose["id"]]}
    assert_problem(
        await api.post("/api/citizen/reports", json=late, headers=citizen.headers),
        404,
        "media.not_found",
    )
    clock.travel(dt.timedelta(hours=2))
    await sweep_orphan_files()  # the swept photo's files go, the kept one's stay
    storage = get_storage()
    loose_keys = storage_keys(hashlib.sha256(jpeg_bytes(seed=2)).hexdigest())
    assert not any([await storage.exists(key) for key in loose_keys])
    assert all([await storage.exists(key) for key in (swept.display_key, swept.thumb_key)])
