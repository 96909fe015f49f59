"""Hostile photo uploads through every upload route: each is refused with a 4xx problem and its
stable code, bombs before a pixel is decoded, and nothing is stored.

Accepted hostile files (polyglots, metadata) are in test_hostile_uploads_accepted.py, sizes and
streaming in test_hostile_uploads_size.py.
"""

from __future__ import annotations

import pytest

from tests.api.hostile_uploads import (  # noqa: F401 - fixtures by name
    assert_nothing_stored,
    pillow_fixture,
    snapshot,
    uploader_fixture,
)
from tests.helpers import assert_problem
from tests.media import samples

BOMB, WIDE = "media.decompression_bomb", "media.dimensions_too_large"
UNSUPPORTED, EMPTY = "media.unsupported_format", "media.empty"
TRUNCATED, CORRUPT = "media.truncated", "media.corrupt"

# How far Pillow may get before the refusal: "sniff" (not even a header parsed by Pillow;
# our own magic-byte and header checks), "header" (Image.open read the header, no pixel
# decoded), or "decode" (a decode was tried and failed).
HOSTILE = [
    # id, builder, status, code, stage
    ("zero-bytes", lambda: b"", 422, EMPTY, "sniff"),
    ("png-bomb-30000x30000-of-zeros", samples.png_zero_bomb, 422, BOMB, "sniff"),
    ("png-bomb-100000x100000-sparse", samples.png_bomb, 422, BOMB, "sniff"),
    ("gif-bomb-65535-screen-and-frame", samples.gif_frame_bomb, 415, UNSUPPORTED, "sniff"),
    ("webp-bomb-vp8l-16384", samples.webp_bomb, 422, BOMB, "sniff"),
    ("webp-bomb-vp8x-canvas-9000", samples.webp_canvas_bomb, 422, BOMB, "sniff"),
    ("jpeg-bomb-65000x65000", samples.jpeg_bomb, 422, BOMB, "header"),
    ("heic-bomb-30000x30000", samples.heic_bomb, 422, BOMB, "header"),
    ("jpeg-scan-bomb-5000-scans", samples.jpeg_scan_bomb, 422, BOMB, "sniff"),
    # Pillow inflates at most 1 MB of a metadata chunk and calls the rest broken.
    ("png-ztxt-bomb-64mb", samples.png_chunk_bomb, 422, CORRUPT, "header"),
    ("png-iccp-bomb-64mb", lambda: samples.png_chunk_bomb(b"iCCP"), 422, CORRUPT, "header"),
    ("png-50000x1", lambda: samples.very_wide_png((50_000, 1)), 422, WIDE, "sniff"),
    ("jpeg-50000x1", samples.very_wide_jpeg, 422, WIDE, "header"),
    ("jpeg-1x50000", lambda: samples.very_wide_jpeg((1, 50_000)), 422, WIDE, "header"),
    ("truncated-jpeg", samples.truncated_jpeg, 422, TRUNCATED, "decode"),
    (
        "truncated-progressive-jpeg",
        lambda: samples.truncated(samples.jpeg((800, 600), progressive=True)),
        422,
        TRUNCATED,
        "decode",
    ),
    ("jpeg-headers-only", lambda: samples.jpeg((300, 200))[:400], 422, TRUNCATED, None),
    (
        "truncated-png",
        lambda: samples.truncated(samples.png((640, 480)), 0.5),
        422,
        TRUNCATED,
        None,
    ),
    (
        "truncated-webp",
        lambda: samples.truncated(samples.webp((640, 480))),
        422,
        TRUNCATED,
        "sniff",
    ),
    ("truncated-heic", lambda: samples.truncated(samples.heic((640, 480))), 422, TRUNCATED, None),
    ("zip-with-jpeg-header", samples.zip_with_jpeg_header, 422, CORRUPT, None),
    ("jpeg-magic-then-garbage", lambda: b"\xff\xd8\xff" + b"\x00" * 200, 422, CORRUPT, None),
    ("zip", samples.zip_bytes, 415, UNSUPPORTED, "sniff"),
    ("text-named-jpg", lambda: b"just some text, named photo.jpg\n", 415, UNSUPPORTED, "sniff"),
    (
        "html-named-jpg",
        lambda: b"<html><script>alert(1)</script></html>",
        415,
        UNSUPPORTED,
        "sniff",
    ),
    (
        "svg-named-jpg",
        lambda: b'<svg xmlns="http://www.w3.org/2000/svg" width="9" height="9"/>',
        415,
        UNSUPPORTED,
        "sniff",
    ),
    ("gif-named-jpg", samples.gif, 415, UNSUPPORTED, "sniff"),
    ("avif-named-jpg", samples.avif, 415, UNSUPPORTED, "sniff"),
    (
        "tiff-named-jpg",
        lambda: samples.encode(samples.picture((64, 64)), "TIFF"),
        415,
        UNSUPPORTED,
        "sniff",
    ),
]


@pytest.mark.parametrize(
    ("make", "status", "code", "stage"),
    [case[1:] for case in HOSTILE],
    ids=[case[0] for case in HOSTILE],
)
async def test_hostile_upload_is_refused_with_its_code_and_nothing_is_stored(
    uploader, pillow, make, status, code, stage
):
    data = make()
    before = await snapshot()
    # The client's name and type say "a JPEG photo" every time: only the bytes count.
    response = await uploader.post(data, filename="photo.jpg", content_type="image/jpeg")
    assert_problem(response, status, code)
    await assert_nothing_stored(before)
    if stage in ("sniff", "header"):
        assert pillow.decoded == [], "pixels were decoded before the refusal"
    if stage == "sniff":
        assert pillow.opened == [], "Pillow parsed a file our own checks should have refused"
    if stage == "decode":
        assert pillow.decoded, "expected the refusal to come from the decoder"


async def test_the_pillow_spy_sees_an_accepted_photo_decoded(uploader, pillow):
    """The control for the stage checks above: an ordinary photo is opened and decoded."""
    response = await uploader.post(samples.png((64, 48)), filename="ok.png")
    assert response.status_code == 201, response.text
    assert pillow.opened == ["PNG"] and "PNG" in pillow.decoded


async def test_a_progressive_jpeg_with_its_usual_scans_is_accepted(uploader):
    """The control for the scan-bomb refusal: an ordinary progressive photo has ~10 scans."""
    data = samples.jpeg((800, 600), progressive=True)
    assert 5 <= data.count(b"\xff\xda") <= 20
    response = await uploader.post(data)
    assert response.status_code == 201, response.text


async def test_scan_bomb_problem_names_the_scans(uploader):
    response = await uploader.post(samples.jpeg_scan_bomb(), headers={"Accept-Language": "en"})
    body = assert_problem(response, 422, BOMB)
    assert "more than 256 scans" in body["detail"], body


async def test_data_after_the_end_of_a_jpeg_does_not_count_as_scans(uploader):
    """A motion photo carries its video after the picture's end marker; random bytes hold a
    start-of-scan pattern every 64 KiB on average, but they are not part of the picture."""
    tail = samples.jpeg_scan_bomb()  # 5,000 scans, but after the first picture's end
    data = samples.jpeg((640, 480)) + tail
    assert data.count(b"\xff\xda") > 5_000
    response = await uploader.post(data)
    assert response.status_code == 201, response.text


async def test_bomb_problem_names_the_declared_and_allowed_pixels(uploader):
    response = await uploader.post(samples.png_zero_bomb(), headers={"Accept-Language": "en"})
    body = assert_problem(response, 422, BOMB)
    assert "900000000" in body["detail"] and "50000000" in body["detail"], body


async def test_50000_px_wide_problem_names_the_limit(uploader):
    response = await uploader.post(
        samples.very_wide_png((50_000, 1)), headers={"Accept-Language": "en"}
    )
    body = assert_problem(response, 422, WIDE)
    assert "50000x1" in body["detail"] and "20000" in body["detail"], body


async def test_a_refused_upload_does_not_use_up_its_idempotency_key(uploader):
    """A phone that retries with a good photo after a refusal must not get the refusal (or a
    key-reused error) back: refusals happen before the key is recorded."""
    key = {"Idempotency-Key": f"hostile-{uploader.app}"}
    assert_problem(await uploader.post(samples.truncated_jpeg(), headers=key), 422, TRUNCATED)
    before = await snapshot()
    retry = await uploader.post(samples.jpeg((320, 240)), headers=key)
    assert retry.status_code == 201, retry.text
    assert retry.headers.get("idempotent-replayed") is None
    assert (await snapshot()).rows == before.rows + 1


async def test_two_files_in_one_upload_are_refused(uploader):
    before = await snapshot()
    photo = samples.jpeg((64, 64))
    response = await uploader.api.post(
        uploader.url,
        files=[("file", ("a.jpg", photo, "image/jpeg")), ("file", ("b.jpg", photo, "image/jpeg"))],
        headers=uploader.session.headers,
    )
    assert 400 <= response.status_code < 500, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    await assert_nothing_stored(before)


async def test_a_text_field_instead_of_a_file_is_refused(uploader):
    before = await snapshot()
    response = await uploader.api.post(
        uploader.url, data={"file": "not a file"}, headers=uploader.session.headers
    )
    assert response.status_code == 400, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    await assert_nothing_stored(before)
