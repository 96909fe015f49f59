"""The Pillow pipeline on its own: formats, hostile files, EXIF hints, orientation, stripping."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from PIL import Image, ImageCms

from media import errors, images
from tests.media import samples
from tests.media.samples import BOZHOU, BOZHOU_DECIMAL, assert_clean, exif_block, is_red


def test_sniff_decides_by_magic_bytes_not_names():
    assert images.sniff(samples.jpeg((32, 32))) == "JPEG"
    assert images.sniff(samples.png((32, 32))) == "PNG"
    assert images.sniff(samples.webp((32, 32))) == "WEBP"
    assert images.sniff(samples.heic((64, 64))) == "HEIF"
    with pytest.raises(errors.UnsupportedFormat):
        images.sniff(samples.gif())
    with pytest.raises(errors.UnsupportedFormat):
        images.sniff(b"%PDF-1.7 hello")
    with pytest.raises(errors.UnsupportedFormat):
        images.sniff(samples.zip_bytes())
    with pytest.raises(errors.MediaEmpty):
        images.sniff(b"")


def test_12_megapixel_jpeg_with_exif_gives_hints_and_clean_derivatives():
    data = samples.jpeg((4000, 3000), exif=exif_block(orientation=6, lat=BOZHOU[0], lon=BOZHOU[1]))
    result = images.process(data)
    # Orientation 6: stored landscape, shown portrait.
    assert (result.width, result.height) == (3000, 4000)
    assert (result.display.width, result.display.height) == (1200, 1600)
    assert (result.thumb.width, result.thumb.height) == (300, 400)
    assert result.hints.lat == pytest.approx(BOZHOU_DECIMAL[0], abs=1e-6)
    assert result.hints.lon == pytest.approx(BOZHOU_DECIMAL[1], abs=1e-6)
    # No offset in the EXIF: the phone's local time, taken as the city's (UTC+8).
    assert result.hints.taken_at == dt.datetime(2024, 5, 5, 23, 8, 9, tzinfo=dt.UTC)
    assert result.format == "JPEG" and result.content_type == "image/jpeg"
    assert result.size_bytes == len(data) and len(result.sha256) == 64
    for derivative in (result.display, result.thumb):
        clean = assert_clean(derivative.data)
        # The red marker was the stored top-left; rotated 90° clockwise it is top-right.
        assert is_red(clean.getpixel((clean.width - 3, 3)))
        assert not is_red(clean.getpixel((3, 3)))


@pytest.mark.parametrize(
    ("orientation", "shown", "red_corner"),
    [
        (1, (400, 300), "tl"),
        (3, (400, 300), "br"),
        (6, (300, 400), "tr"),
        (8, (300, 400), "bl"),
        (2, (400, 300), "tr"),
        (5, (300, 400), "tl"),
    ],
)
def test_every_orientation_is_applied(orientation, shown, red_corner):
    result = images.process(samples.jpeg((400, 300), exif=exif_block(orientation=orientation)))
    image = assert_clean(result.display.data)
    assert image.size == shown
    w, h = image.size
    corners = {"tl": (3, 3), "tr": (w - 4, 3), "bl": (3, h - 4), "br": (w - 4, h - 4)}
    assert is_red(image.getpixel(corners[red_corner]))


def test_southern_and_western_references_are_negative():
    exif = exif_block(lat=(22.0, 54.0, 0.0), lat_ref="S", lon=(43.0, 12.0, 36.0), lon_ref="W")
    hints = images.process(samples.jpeg((64, 64), exif=exif)).hints
    assert hints.lat == pytest.approx(-22.9) and hints.lon == pytest.approx(-43.21)


def test_broken_gps_is_no_hint_not_an_error():
    from PIL.TiffImagePlugin import IFDRational

    zero_denominator = exif_block(lat=(IFDRational(1, 0), 0.0, 0.0), lon=(10.0, 0.0, 0.0))
    assert images.process(samples.jpeg((64, 64), exif=zero_denominator)).hints.lat is None
    out_of_range = exif_block(lat=(10.0, 0.0, 0.0), lon=(200.0, 0.0, 0.0))
    assert images.process(samples.jpeg((64, 64), exif=out_of_range)).hints.lon is None
    zero = exif_block(lat=(0.0, 0.0, 0.0), lon=(0.0, 0.0, 0.0))
    assert images.process(samples.jpeg((64, 64), exif=zero)).hints.lat is None


def test_offset_time_original_is_honoured():
    exif = exif_block(taken="2024:05:06 07:08:09", offset="+02:00")
    hints = images.process(samples.jpeg((64, 64), exif=exif)).hints
    assert hints.taken_at == dt.datetime(2024, 5, 6, 5, 8, 9, tzinfo=dt.UTC)


@pytest.mark.parametrize(
    "taken", ["garbage", "2024:13:45 99:00:00", "1970:01:01 00:00:00", "2999:01:01 00:00:00", ""]
)
def test_implausible_capture_times_are_dropped(taken):
    hints = images.process(samples.jpeg((64, 64), exif=exif_block(taken=taken))).hints
    assert hints.taken_at is None


def test_png_webp_heic_with_metadata_are_read_and_stripped():
    exif = exif_block(orientation=1, lat=BOZHOU[0], lon=BOZHOU[1])
    xmp = b'<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF/></x:xmpmeta>'
    for data in (
        samples.png(exif=exif),
        samples.webp(exif=exif, xmp=xmp),
        samples.heic(exif=exif),
        samples.encode(
            samples.picture((300, 200)),
            "JPEG",
            exif=exif,
            xmp=xmp,
            comment=b"secret note",
            icc_profile=ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes(),
        ),
    ):
        result = images.process(data)
        assert result.hints.lat == pytest.approx(BOZHOU_DECIMAL[0], abs=1e-6), result.format
        assert_clean(result.display.data)
        assert_clean(result.thumb.data)
        assert b"secret note" not in result.display.data


@pytest.mark.parametrize("mode", ["RGBA", "LA", "P", "L", "1", "I;16", "CMYK"])
def test_image_modes_become_plain_jpeg(mode):
    base = samples.picture((300, 200))
    if mode == "I;16":
        image = (
            Image.linear_gradient("L")
            .resize((300, 200))
            .convert("I")
            .point(lambda v: v * 256)
            .convert("I;16")
        )
        data = samples.encode(image, "PNG")
    elif mode == "CMYK":
        data = samples.encode(base.convert("CMYK"), "JPEG")
    else:
        data = samples.encode(base.convert(mode), "PNG")
    result = images.process(data)
    assert assert_clean(result.display.data).mode in ("RGB", "L")


def test_transparent_png_is_flattened_on_white():
    image = Image.new("RGBA", (100, 100), (0, 0, 0, 0))
    result = images.process(samples.encode(image, "PNG"))
    shown = assert_clean(result.display.data).convert("RGB")
    assert all(channel > 245 for channel in shown.getpixel((50, 50)))


def test_tiny_image_is_kept_at_its_size():
    result = images.process(samples.png((10, 7)))
    assert (result.display.width, result.display.height) == (10, 7)
    assert (result.thumb.width, result.thumb.height) == (10, 7)


@pytest.mark.parametrize(
    ("data", "error"),
    [
        (samples.png_bomb(), errors.DecompressionBomb),
        (samples.webp_bomb(), errors.DecompressionBomb),
        (samples.gif_bomb(), errors.UnsupportedFormat),
        (samples.truncated_jpeg(), errors.Truncated),
        (samples.jpeg((300, 200))[:400], errors.Truncated),
        (samples.png((300, 200))[:-200], errors.Truncated),
        (b"", errors.MediaEmpty),
        (samples.very_wide_png(), errors.DimensionsTooLarge),
        (b"\xff\xd8\xff" + b"\x00" * 200, errors.Corrupt),
        (
            samples.png((30, 20))[:29] + b"\x00\x00\x00\x00" + samples.png((30, 20))[33:],
            errors.Corrupt,
        ),  # IHDR with a wrong checksum
    ],
    ids=[
        "png-bomb",
        "webp-bomb",
        "gif-bomb",
        "truncated-jpeg",
        "jpeg-header-only",
        "truncated-png",
        "empty",
        "50000-wide",
        "jpeg-garbage",
        "png-garbage",
    ],
)
def test_hostile_files_are_refused(data, error):
    with pytest.raises(error):
        images.process(data)


def test_pixel_cap_is_checked_from_the_header():
    data = samples.png((1000, 1000))
    with pytest.raises(errors.DecompressionBomb):
        images.process(data, images.Limits(max_pixels=999_999))
    assert images.process(data, images.Limits(max_pixels=1_000_000)).width == 1000


def test_polyglot_keeps_the_picture_and_drops_the_zip():
    data = samples.polyglot()
    assert b"PK\x03\x04" in data
    result = images.process(data)
    assert result.format == "JPEG" and result.width == 640
    assert b"PK\x03\x04" not in result.display.data + result.thumb.data


def test_perceptual_hash_survives_reencoding_and_separates_different_photos():
    picture = samples.picture((1600, 1200))
    first = images.process(samples.encode(picture, "JPEG", quality=95)).phash
    resized = images.process(samples.encode(picture.resize((800, 600)), "JPEG", quality=60))
    as_png = images.process(samples.encode(picture, "PNG"))
    other = images.process(
        samples.encode(picture.transpose(Image.Transpose.ROTATE_180), "JPEG")
    ).phash
    assert len(first) == 16 and int(first, 16) >= 0
    assert images.phash_distance(first, resized.phash) <= 6
    assert images.phash_distance(first, as_png.phash) <= 6
    assert images.phash_distance(first, other) >= 20


async def test_processing_off_loop_gives_the_same_result():
    data = samples.jpeg((640, 480))
    result = await images.process_off_loop(data)
    assert result.sha256 == images.process(data).sha256
    assert Image.open(io.BytesIO(result.display.data)).size == (640, 480)
