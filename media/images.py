"""The photo pipeline: sniff, open, refuse hostile files, read EXIF hints, orient, resize,
re-encode without metadata, hash.

Everything here is synchronous and CPU-bound; ``process_off_loop`` runs it in a worker thread
(Pillow releases the GIL while decoding, resizing and encoding) behind a limiter, so a burst of
uploads cannot hold more decoded frames in memory than there are cores.

Only the derivatives leave this module: the original, with its EXIF, is never stored.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import math
import os
import re
import warnings
from functools import partial
from struct import error as struct_error  # some plugins raise it on garbage headers

import anyio
import msgspec
import pillow_heif
from PIL import Image, ImageCms, ImageFile

from core import clock
from media import errors

pillow_heif.register_heif_opener()

# Our own size checks run before any decode; these are the backstop for code paths (e.g. a
# HEIF thumbnail) that open images we did not check ourselves.
Image.MAX_IMAGE_PIXELS = 50_000_000
warnings.simplefilter("error", Image.DecompressionBombWarning)
# Never decode a partial file into a grey-padded picture.
ImageFile.LOAD_TRUNCATED_IMAGES = False

DISPLAY_SIDE = 1600
THUMB_SIDE = 400
JPEG_QUALITY = 85
MAX_SIDE = 20_000  # a 50,000 px wide strip is not a photo of a pothole

CONTENT_TYPES = {
    "JPEG": "image/jpeg",
    "PNG": "image/png",
    "WEBP": "image/webp",
    "HEIF": "image/heic",
}
_HEIF_BRANDS = {
    b"heic",
    b"heix",
    b"heim",
    b"heis",
    b"hevc",
    b"hevx",
    b"hevm",
    b"hevs",
    b"mif1",
    b"msf1",
}

# EXIF tags
_ORIENTATION = 0x0112
_DATETIME = 0x0132
_EXIF_IFD = 0x8769
_GPS_IFD = 0x8825
_DATETIME_ORIGINAL = 0x9003
_DATETIME_DIGITIZED = 0x9004
_OFFSET_TIME = 0x9010
_OFFSET_TIME_ORIGINAL = 0x9011
_OFFSET_TIME_DIGITIZED = 0x9012

# ImageOps.exif_transpose's table. We apply it ourselves to the already reduced image:
# rotating 2 MP is cheaper than rotating 12 MP, and the result is the same.
_TRANSPOSE = {
    2: Image.Transpose.FLIP_LEFT_RIGHT,
    3: Image.Transpose.ROTATE_180,
    4: Image.Transpose.FLIP_TOP_BOTTOM,
    5: Image.Transpose.TRANSPOSE,
    6: Image.Transpose.ROTATE_270,
    7: Image.Transpose.TRANSVERSE,
    8: Image.Transpose.ROTATE_90,
}

_SRGB = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB"))


class Limits(msgspec.Struct, frozen=True, kw_only=True):
    max_pixels: int = 50_000_000
    max_side: int = MAX_SIDE


class Hints(msgspec.Struct, frozen=True, kw_only=True):
    """What the photo says about itself. Only hints: EXIF is trivially forged."""

    taken_at: dt.datetime | None = None
    lat: float | None = None
    lon: float | None = None


class Derivative(msgspec.Struct, frozen=True, kw_only=True):
    data: bytes
    width: int
    height: int
    content_type: str = "image/jpeg"


class ProcessedImage(msgspec.Struct, frozen=True, kw_only=True):
    sha256: str
    phash: str
    format: str
    content_type: str
    size_bytes: int
    width: int  # of the original, as displayed (after orientation)
    height: int
    hints: Hints
    display: Derivative
    thumb: Derivative


# --- sniffing ------------------------------------------------------------------------------


def sniff(data: bytes) -> str:
    """The format by magic bytes. The filename and the client's Content-Type are ignored:
    a PNG named .jpg is a PNG, and a GIF named .jpg is refused."""
    if not data:
        raise errors.MediaEmpty()
    if data[:3] == b"\xff\xd8\xff":
        return "JPEG"
    if data[:8] == b"\x89PNG\r\n\x1a\n":
        return "PNG"
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "WEBP"
    if data[4:8] == b"ftyp":
        box_size = int.from_bytes(data[:4], "big")
        brands = {data[8:12]} | {
            data[i : i + 4] for i in range(16, min(box_size, len(data), 64), 4)
        }
        if brands & _HEIF_BRANDS:
            return "HEIF"
    raise errors.UnsupportedFormat()


def _decode_error(exc: Exception) -> errors.DomainError:
    text = str(exc).lower()
    if "truncat" in text or "end of file" in text or "premature" in text:
        return errors.Truncated()
    return errors.Corrupt()


def _open(data: bytes, fmt: str, limits: Limits) -> ImageFile.ImageFile:
    try:
        image = Image.open(io.BytesIO(data), formats=[fmt])
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        # Pillow's own check (at MAX_IMAGE_PIXELS) fired while reading the header.
        declared = re.search(r"\((\d+) pixels\)", str(exc))
        raise errors.DecompressionBomb(
            pixels=int(declared[1]) if declared else "?", max_pixels=limits.max_pixels
        ) from None
    except Image.UnidentifiedImageError:
        # The magic matched but the header does not parse.
        raise errors.Corrupt() from None
    except (OSError, SyntaxError, ValueError, EOFError, struct_error) as exc:
        raise _decode_error(exc) from None
    width, height = image.size
    if width < 1 or height < 1:
        raise errors.Corrupt()
    # Before a single pixel is decoded: the header is all a bomb needs to be recognised.
    if width * height > limits.max_pixels:
        raise errors.DecompressionBomb(pixels=width * height, max_pixels=limits.max_pixels)
    if max(width, height) > limits.max_side:
        raise errors.DimensionsTooLarge(max_side=limits.max_side, width=width, height=height)
    return image


# --- EXIF hints ----------------------------------------------------------------------------


def _text(value: object) -> str | None:
    if isinstance(value, bytes):
        value = value.decode("ascii", "replace")
    if not isinstance(value, str):
        return None
    return value.strip("\x00 ").strip() or None


def _number(value: object) -> float:
    result = float(value)  # type: ignore[arg-type]  # IFDRational, int, float
    if not math.isfinite(result):
        raise ValueError("not finite")
    return result


def _degrees(value: object, ref: object) -> float | None:
    """EXIF GPS is (degrees, minutes, seconds) rationals plus an N/S or E/W reference."""
    try:
        parts = [_number(v) for v in value] if isinstance(value, tuple | list) else [_number(value)]
    except (TypeError, ValueError, ZeroDivisionError):
        return None
    if not 1 <= len(parts) <= 3 or any(p < 0 for p in parts):
        return None
    decimal = sum(p / 60**i for i, p in enumerate(parts))
    if (_text(ref) or "").upper() in ("S", "W"):
        decimal = -decimal
    return decimal


def _gps(exif: Image.Exif) -> tuple[float | None, float | None]:
    try:
        gps = exif.get_ifd(_GPS_IFD)
    except (KeyError, ValueError, TypeError, OSError):
        return None, None
    if not gps:
        return None, None
    lat = _degrees(gps.get(2), gps.get(1)) if 2 in gps else None
    lon = _degrees(gps.get(4), gps.get(3)) if 4 in gps else None
    if lat is None or lon is None or not (-90 <= lat <= 90 and -180 <= lon <= 180):
        return None, None
    if lat == 0 and lon == 0:  # "no fix" written as zeros, not a photo from the Gulf of Guinea
        return None, None
    return round(lat, 7), round(lon, 7)


_OFFSET = re.compile(r"^([+-])(\d{2}):?(\d{2})$")


def _taken_at(exif: Image.Exif) -> dt.datetime | None:
    try:
        sub = exif.get_ifd(_EXIF_IFD)
    except (KeyError, ValueError, TypeError, OSError):
        sub = {}
    pairs = (
        (sub.get(_DATETIME_ORIGINAL), sub.get(_OFFSET_TIME_ORIGINAL)),
        (sub.get(_DATETIME_DIGITIZED), sub.get(_OFFSET_TIME_DIGITIZED)),
        (exif.get(_DATETIME), sub.get(_OFFSET_TIME)),
    )
    for stamp, offset in pairs:
        text = _text(stamp)
        if not text:
            continue
        try:
            naive = dt.datetime.strptime(text[:19].replace("-", ":"), "%Y:%m:%d %H:%M:%S")
        except ValueError:
            continue
        zone: dt.tzinfo = clock.city_zone()  # phones write local time without a zone
        if (match := _OFFSET.match(_text(offset) or "")) is not None:
            sign, hours, minutes = match.groups()
            delta = dt.timedelta(hours=int(hours), minutes=int(minutes))
            zone = dt.timezone(-delta if sign == "-" else delta)
        moment = naive.replace(tzinfo=zone).astimezone(dt.UTC)
        if dt.datetime(1990, 1, 1, tzinfo=dt.UTC) <= moment <= clock.now() + dt.timedelta(days=1):
            return moment
        return None
    return None


def read_hints(exif: Image.Exif) -> tuple[Hints, int]:
    """(hints, EXIF orientation 1-8)."""
    lat, lon = _gps(exif)
    orientation = exif.get(_ORIENTATION, 1)
    if orientation not in _TRANSPOSE:
        orientation = 1
    return Hints(taken_at=_taken_at(exif), lat=lat, lon=lon), orientation


# --- pixels ---------------------------------------------------------------------------------


def _fit(width: int, height: int, side: int) -> tuple[int, int]:
    scale = min(1.0, side / max(width, height))
    return max(1, round(width * scale)), max(1, round(height * scale))


def _resizable(image: Image.Image) -> Image.Image:
    """A mode Pillow resizes with a real filter (palette images only resize NEAREST)."""
    mode = image.mode
    if mode in ("RGB", "L", "RGBA", "LA"):
        return image
    if mode == "P":
        return image.convert("RGBA" if "transparency" in image.info else "RGB")
    if mode == "PA":
        return image.convert("RGBA")
    if mode in ("I;16", "I;16B", "I;16L", "I", "F"):
        # 16-bit greyscale PNG: scale to 8 bits rather than clip.
        scale = 1 / 256 if mode.startswith("I;16") or mode == "I" else 255
        return (
            image.convert("I").point(lambda v: v * scale).convert("L")
            if mode != "F"
            else image.point(lambda v: v * scale).convert("L")
        )
    if mode == "1":
        return image.convert("L")
    return image.convert("RGB")  # CMYK, YCbCr, LAB, HSV


def _flatten(image: Image.Image) -> Image.Image:
    """JPEG has no alpha: composite on white, as a phone's gallery shows a transparent PNG."""
    if image.mode in ("RGBA", "LA"):
        rgba = image.convert("RGBA")
        background = Image.new("RGB", rgba.size, (255, 255, 255))
        background.paste(rgba, mask=rgba.getchannel("A"))
        return background
    return image


def _to_srgb(image: Image.Image, icc: bytes | None) -> Image.Image:
    """Bake a camera's colour profile (Display P3 on iPhones) into sRGB pixels, so the
    derivative can go out without any embedded profile and still look right."""
    if not icc or image.mode != "RGB":
        return image
    try:
        source = ImageCms.ImageCmsProfile(io.BytesIO(icc))
        return ImageCms.profileToProfile(image, source, _SRGB, outputMode="RGB") or image
    except (ImageCms.PyCMSError, OSError, ValueError, TypeError):
        return image


def _encode(image: Image.Image) -> bytes:
    # The JPEG encoder copies info["comment"] from the source; EXIF, XMP and ICC go out only
    # when passed explicitly, which we never do. An empty info dict keeps it that way.
    image.info = {}
    out = io.BytesIO()
    image.save(out, "JPEG", quality=JPEG_QUALITY, progressive=True)
    return out.getvalue()


def dhash(image: Image.Image) -> str:
    """64-bit difference hash as 16 hex digits: each bit says whether a pixel of a 9x8
    greyscale miniature is brighter than its left neighbour. Robust to re-encoding and
    resizing; Hamming distance <= ~10 means "probably the same photo"."""
    small = image.convert("L").resize((9, 8), Image.Resampling.LANCZOS)
    pixels = small.tobytes()
    value = 0
    for row in range(8):
        for col in range(8):
            left, right = pixels[row * 9 + col], pixels[row * 9 + col + 1]
            value = (value << 1) | (right > left)
    return f"{value:016x}"


def phash_distance(a: str, b: str) -> int:
    return (int(a, 16) ^ int(b, 16)).bit_count()


def process(data: bytes, limits: Limits | None = None) -> ProcessedImage:
    limits = limits or Limits()
    if Image.MAX_IMAGE_PIXELS is not None and limits.max_pixels > Image.MAX_IMAGE_PIXELS:
        Image.MAX_IMAGE_PIXELS = limits.max_pixels  # the backstop must not undercut the setting
    fmt = sniff(data)
    image = _open(data, fmt, limits)
    width, height = image.size
    try:
        exif = image.getexif()
    except Exception:  # noqa: BLE001 - a broken EXIF block is no reason to refuse the photo
        exif = Image.Exif()
    hints, orientation = read_hints(exif)
    icc = image.info.get("icc_profile")

    target = _fit(width, height, DISPLAY_SIDE)
    if fmt == "JPEG" and target != (width, height):
        # Let libjpeg decode at 1/2, 1/4 or 1/8 scale (never below the target): a 12 MP
        # photo decodes about 3x faster and the result is resampled down anyway.
        image.draft(None, target)
    try:
        image.load()
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise errors.DecompressionBomb(
            pixels=width * height, max_pixels=limits.max_pixels
        ) from None
    except (OSError, SyntaxError, ValueError, EOFError, struct_error) as exc:
        raise _decode_error(exc) from None

    pixels = _resizable(image)
    if pixels.size != target:
        pixels = pixels.resize(target, Image.Resampling.LANCZOS, reducing_gap=3.0)
    if orientation != 1:
        pixels = pixels.transpose(_TRANSPOSE[orientation])
    display = _to_srgb(_flatten(pixels), icc)
    thumb = (
        display.resize(_fit(*display.size, THUMB_SIDE), Image.Resampling.LANCZOS, reducing_gap=2.0)
        if max(display.size) > THUMB_SIDE
        else display
    )

    if orientation in (5, 6, 7, 8):
        width, height = height, width
    return ProcessedImage(
        sha256=hashlib.sha256(data).hexdigest(),
        phash=dhash(thumb),
        format=fmt,
        content_type=CONTENT_TYPES[fmt],
        size_bytes=len(data),
        width=width,
        height=height,
        hints=hints,
        display=Derivative(data=_encode(display), width=display.width, height=display.height),
        thumb=Derivative(data=_encode(thumb), width=thumb.width, height=thumb.height),
    )


_limiter: anyio.CapacityLimiter | None = None


async def process_off_loop(data: bytes, limits: Limits | None = None) -> ProcessedImage:
    global _limiter
    if _limiter is None:
        _limiter = anyio.CapacityLimiter(os.cpu_count() or 2)
    return await anyio.to_thread.run_sync(partial(process, data, limits), limiter=_limiter)
