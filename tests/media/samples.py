"""Test photos, made with Pillow on the spot: ordinary ones with EXIF, and hostile ones."""

from __future__ import annotations

import io
import struct
import zipfile
import zlib

import pillow_heif
from PIL import Image

pillow_heif.register_heif_opener()

RED = (230, 20, 20)


def exif_block(
    *,
    orientation: int | None = None,
    lat: tuple | None = None,
    lat_ref: str = "N",
    lon: tuple | None = None,
    lon_ref: str = "E",
    taken: str | None = "2024:05:06 07:08:09",
    offset: str | None = None,
) -> Image.Exif:
    """EXIF with the Pillow API: GPS in its own IFD (0x8825), times in the Exif IFD (0x8769)."""
    exif = Image.Exif()
    exif[0x010F] = "TestCam"  # Make
    if orientation is not None:
        exif[0x0112] = orientation
    if lat is not None and lon is not None:
        gps = exif.get_ifd(0x8825)
        gps[1], gps[2], gps[3], gps[4] = lat_ref, lat, lon_ref, lon
    if taken is not None:
        sub = exif.get_ifd(0x8769)
        sub[0x9003] = taken
        if offset is not None:
            sub[0x9011] = offset
    return exif


# Bozhou city centre-ish, as a phone writes it: 33° 50' 40.5" N, 115° 46' 48.2" E
BOZHOU = ((33.0, 50.0, 40.5), (115.0, 46.0, 48.2))
BOZHOU_DECIMAL = (33.8445833, 115.7800556)


def picture(size: tuple[int, int], *, noise: bool = True, marker: bool = True) -> Image.Image:
    """A photo-like picture (noise over a gradient, so it does not compress to nothing) with
    a red block in the top-left corner to check orientation."""
    width, height = size
    gradient = Image.linear_gradient("L").rotate(90).resize(size)
    base = Image.merge(
        "RGB",
        (
            gradient,
            gradient.transpose(Image.Transpose.FLIP_LEFT_RIGHT),
            Image.linear_gradient("L").resize(size),
        ),
    )
    if noise:
        base = Image.blend(base, Image.effect_noise(size, 48).convert("RGB"), 0.35)
    if marker:
        base.paste(RED, (0, 0, max(1, width // 5), max(1, height // 5)))
    return base


def encode(image: Image.Image, fmt: str, **params) -> bytes:
    out = io.BytesIO()
    image.save(out, fmt, **params)
    return out.getvalue()


def jpeg(size=(1200, 900), *, exif: Image.Exif | None = None, quality: int = 90, **params) -> bytes:
    extra = {"exif": exif} if exif is not None else {}
    return encode(picture(size), "JPEG", quality=quality, **extra, **params)


def png(size=(800, 600), mode: str = "RGB", **params) -> bytes:
    return encode(picture(size).convert(mode), "PNG", **params)


def webp(size=(800, 600), **params) -> bytes:
    return encode(picture(size), "WEBP", quality=80, **params)


def heic(size=(800, 600), *, exif: Image.Exif | None = None) -> bytes:
    extra = {"exif": exif.tobytes()} if exif is not None else {}
    return encode(picture(size), "HEIF", quality=70, **extra)


def gif(size=(64, 64)) -> bytes:
    return encode(picture(size, noise=False), "GIF")


# --- hostile ---------------------------------------------------------------------------------


def _png_chunk(kind: bytes, body: bytes) -> bytes:
    return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))


def png_bomb(width: int = 100_000, height: int = 100_000) -> bytes:
    """A few hundred bytes that declare 10 gigapixels (30 GB decoded)."""
    rows = zlib.compress(b"\x00" * (1 + width) * 4, 9)  # a few zero rows, the rest "missing"
    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)  # 8-bit greyscale
    return (
        b"\x89PNG\r\n\x1a\n"
        + _png_chunk(b"IHDR", header)
        + _png_chunk(b"IDAT", rows)
        + _png_chunk(b"IEND", b"")
    )


def gif_bomb() -> bytes:
    """A 64x64 GIF whose logical screen claims 65535 x 65535."""
    data = bytearray(gif())
    data[6:10] = struct.pack("<HH", 65535, 65535)
    return bytes(data)


def webp_bomb() -> bytes:
    """A lossless WebP whose VP8L header claims 16384 x 16384 (268 MP)."""
    data = bytearray(encode(Image.new("RGB", (64, 64), (1, 2, 3)), "WEBP", lossless=True))
    assert data[12:16] == b"VP8L" and data[20] == 0x2F
    bits = int.from_bytes(data[21:25], "little")
    bits = (bits & ~((1 << 28) - 1)) | (16384 - 1) | ((16384 - 1) << 14)
    data[21:25] = bits.to_bytes(4, "little")
    return bytes(data)


def truncated_jpeg() -> bytes:
    data = jpeg((800, 600))
    return data[: len(data) * 2 // 3]


def zip_bytes() -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("payload.txt", "not a photo " * 100)
    return out.getvalue()


def polyglot() -> bytes:
    """A valid JPEG with a ZIP archive appended: opens as both."""
    return jpeg((640, 480)) + zip_bytes()


def very_wide_png() -> bytes:
    """50,000 x 4 px: few pixels in all, but no photo is that wide."""
    return encode(Image.new("L", (50_000, 4), 128), "PNG")


# --- reading back ----------------------------------------------------------------------------


def assert_clean(data: bytes) -> Image.Image:
    """A stored derivative: a JPEG with no EXIF, GPS, XMP, ICC or comment, and nothing
    smuggled after it."""
    image = Image.open(io.BytesIO(data))
    assert image.format == "JPEG"
    assert not image.getexif(), dict(image.getexif())
    for key in ("exif", "xmp", "icc_profile", "comment", "photoshop"):
        assert key not in image.info, (key, image.info)
    assert b"Exif\x00\x00" not in data
    assert b"http://ns.adobe.com/xap" not in data  # XMP packet
    assert b"PK\x03\x04" not in data
    assert data.endswith(b"\xff\xd9")
    image.load()
    return image


def is_red(pixel) -> bool:
    r, g, b = pixel[:3]
    return r > 180 and g < 90 and b < 90
