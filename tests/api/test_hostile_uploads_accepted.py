"""Uploads that are accepted although they carry something we do not want: metadata (EXIF GPS,
XMP, ICC, text chunks, comments) and smuggled archives. Each becomes a re-encoded JPEG with
none of it, read back through the API and from the storage root.

Decision on JPEG/ZIP polyglots: accepted and re-encoded. The bytes are a valid photo, and the
original is never stored or served (only freshly encoded derivatives are), so the archive
cannot be handed out again; refusing would only reject photos from apps that append data.
A file that merely starts like a JPEG but holds no picture is refused as corrupt
(test_hostile_uploads.py).
"""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import pytest
from PIL import Image

from media.tables import Media
from tests.api.hostile_uploads import (  # noqa: F401 - fixtures by name
    Uploader,
    snapshot,
    storage_root,
    uploader_fixture,
)
from tests.media import samples
from tests.media.samples import BOZHOU_DECIMAL, SECRET_TEXT, XMP

# Long enough not to turn up by chance in compressed picture data.
PLANTED = (SECRET_TEXT.encode(), b"TestCam", b"adobe:ns:meta", b"ICC_PROFILE", b"PK\x03\x04")


def assert_stripped(data: bytes) -> Image.Image:
    """A stored derivative: a plain JFIF JPEG. Beyond samples.assert_clean (no EXIF, XMP,
    ICC or comment by Pillow's reading, nothing after the end marker), its only APPn/COM
    segment is the JFIF header, and nothing planted in the upload survives in its bytes."""
    image = samples.assert_clean(data)
    assert [segment[:5] for segment in samples.metadata_segments(data)] == [b"JFIF\x00"]
    assert not image.getexif().get_ifd(0x8825)  # GPS IFD
    for planted in PLANTED:
        assert planted not in data, planted
    assert not zipfile.is_zipfile(io.BytesIO(data))
    return image


async def read_back(uploader: Uploader, body: dict) -> dict[str, Image.Image]:
    """Every stored derivative, through the API's media URLs and from the storage root (the
    same bytes), and proof that nothing else of this upload was stored."""
    row = await Media.objects().where(Media.public_id == body["id"]).first()
    keys = {"display": row.display_key, "thumb": row.thumb_key}
    root = storage_root()
    # Content-addressed: one folder per original, holding the derivatives and nothing else
    # (the original, with its metadata, is never written).
    folder = {Path(key).parent for key in keys.values()}
    assert len(folder) == 1
    assert sorted(p.name for p in (root / folder.pop()).iterdir()) == ["display.jpg", "thumb.jpg"]
    shown = {}
    for variant, key in keys.items():
        response = await uploader.get(body["urls"][variant])
        assert response.status_code == 200, response.text
        assert response.headers["content-type"] == "image/jpeg"
        assert response.content == (root / key).read_bytes()
        shown[variant] = assert_stripped(response.content)
    return shown


async def upload_ok(uploader: Uploader, data: bytes, **kwargs) -> dict:
    before = await snapshot()
    response = await uploader.post(data, **kwargs)
    assert response.status_code == 201, response.text
    after = await snapshot()
    assert after.rows == before.rows + 1
    body = response.json()
    assert body["urls"]["display"] == f"{uploader.url}/{body['id']}/display"
    return body


def assert_gps_hint(body: dict) -> None:
    hints = body["hints"]
    assert hints["lat"] == pytest.approx(BOZHOU_DECIMAL[0], abs=1e-6), hints
    assert hints["lon"] == pytest.approx(BOZHOU_DECIMAL[1], abs=1e-6), hints
    assert hints["coordSys"] == "wgs84"


async def test_jpeg_with_gps_orientation_xmp_icc_and_comment(uploader):
    data = samples.jpeg_with_metadata((1200, 900), orientation=6)
    assert all(planted in data for planted in PLANTED[:4])  # the control: all there to strip
    body = await upload_ok(uploader, data)
    assert_gps_hint(body)
    assert body["hints"]["takenAt"] is not None
    shown = await read_back(uploader, body)
    # Orientation 6 applied to the pixels (the tag itself is gone): portrait, and the red
    # marker of the stored top-left corner now at the top right.
    display = shown["display"]
    assert display.size == (900, 1200) and shown["thumb"].size == (300, 400)
    assert samples.is_red(display.getpixel((display.width - 5, 5)))


async def test_png_with_exif_text_xmp_and_icc_chunks(uploader):
    data = samples.png_with_metadata()
    for chunk in (b"eXIf", b"tEXt", b"zTXt", b"iTXt", b"iCCP"):
        assert chunk in data
    body = await upload_ok(uploader, data, filename="shot.png", content_type="image/png")
    assert body["format"] == "PNG"
    assert_gps_hint(body)
    await read_back(uploader, body)


async def test_webp_with_exif_xmp_and_icc(uploader):
    data = samples.webp_with_metadata()
    for chunk in (b"EXIF", b"XMP ", b"ICCP"):
        assert chunk in data
    body = await upload_ok(uploader, data, filename="shot.webp", content_type="image/webp")
    assert body["format"] == "WEBP"
    assert_gps_hint(body)
    await read_back(uploader, body)


async def test_heic_with_gps_is_a_hint_and_gone_from_the_files(uploader):
    """A real HEIC (HEVC, encoded here by pillow-heif's x265) with EXIF GPS and XMP, as an
    iPhone sends it."""
    data = samples.heic_with_metadata()
    assert data[4:12] == b"ftypheic" and XMP in data
    body = await upload_ok(uploader, data, filename="IMG_0042.HEIC", content_type="image/heic")
    assert body["format"] == "HEIF" and (body["width"], body["height"]) == (1000, 750)
    assert_gps_hint(body)
    shown = await read_back(uploader, body)
    assert shown["display"].size == (1000, 750)


async def test_png_named_jpg_is_taken_as_the_png_it_is(uploader):
    """A wrong name or type is not hostile by itself (phones and browsers mislabel): the bytes
    decide, and the answer says what they were."""
    body = await upload_ok(
        uploader, samples.png((300, 200)), filename="photo.jpg", content_type="image/jpeg"
    )
    assert body["format"] == "PNG"
    await read_back(uploader, body)


@pytest.mark.parametrize(
    "make",
    [samples.polyglot, samples.jpeg_with_zip_in_comment],
    ids=["zip-appended", "zip-in-comment-segment"],
)
async def test_jpeg_zip_polyglot_is_accepted_and_the_zip_is_not_stored(uploader, make):
    data = make()
    assert b"PK\x03\x04" in data
    if make is samples.polyglot:
        assert zipfile.is_zipfile(io.BytesIO(data))  # the control: it really unzips
    body = await upload_ok(uploader, data)
    assert body["format"] == "JPEG" and (body["width"], body["height"]) == (640, 480)
    shown = await read_back(uploader, body)  # assert_stripped: no PK, not a zip
    assert shown["display"].size == (640, 480)
