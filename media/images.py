"""The photo pipeline: sniff, open, refuse hostile files, read EXIF hints, orient, resize,
re-encode without metadata, hash.

Everything here is synchronous and CPU-bound; ``process_off_loop`` runs it in a worker thread
(Pillow releases the GIL while decoding, resizing and encoding) behind a limiter, so a burst of
uploads cannot hold more decoded frames in memory than there are cores.

Only the derivatives leave this module: the original, with its EXIF, is never stored. So a
JPEG/ZIP polyglot (an archive appended to a photo, or hidden in one of its segments) is
accepted as the photo it also is: the re-encoded derivatives no longer hold the archive.
"""

from __future__ import annotations

import hashlib
import io
import os
import re
import warnings
from functools import partial
from struct import error as struct_error  # some plugins raise it on garbage headers

import anyio
import msgspec
import pillow_heif
from PIL import Image, ImageCms, ImageFile

from media import errors, transforms
from media.exif import Hints, read_hints

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
# Encoders write 1 scan (baseline) or about 10 (progressive). A repeated 26-byte scan costs
# ~2 ms of CPU on a 49 MP picture, so 15 MB of them would decode for over 20 minutes.
MAX_JPEG_SCANS = 256

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
# AVIF files list the generic mif1 brand too, but hold AV1, which we do not accept.
_AVIF_BRANDS = {b"avif", b"avis"}
_HEVC_BRANDS = _HEIF_BRANDS - {b"mif1", b"msf1"}

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
    max_jpeg_scans: int = MAX_JPEG_SCANS


class Derivative(msgspec.Struct, frozen=True, kw_only=True):
    data: bytes
    width: int
    height: int
    content_type: str = "image/jpeg"


class ProcessedImage(msgspec.Struct, frozen=True, kw_only=True):
    sha256: str
    phash: str
    # Turned, mirrored and cropped copies (media.transforms): stored, and looked up by.
    crop_hash: str = ""
    probes: tuple[str, ...] = ()
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
        is_avif = data[8:12] in _AVIF_BRANDS or (
            brands & _AVIF_BRANDS and not brands & _HEVC_BRANDS
        )
        if brands & _HEIF_BRANDS and not is_avif:
            return "HEIF"
    raise errors.UnsupportedFormat()


def _decode_error(exc: Exception) -> errors.DomainError:
    text = str(exc).lower()
    if "truncat" in text or "end of file" in text or "premature" in text:
        return errors.Truncated()
    return errors.Corrupt()


def _declared_size(data: bytes, fmt: str) -> tuple[int, int] | None:
    """The size a PNG or WebP header declares, read without Pillow. Opening a WebP creates
    libwebp's decoder, which reserves the whole canvas (twice, 4 bytes a pixel) before
    Pillow's own bomb check runs: a 150-byte file can reserve 800 MB that way."""
    if fmt == "PNG" and len(data) >= 24 and data[12:16] == b"IHDR":
        return int.from_bytes(data[16:20], "big"), int.from_bytes(data[20:24], "big")
    if fmt != "WEBP" or len(data) < 30:
        return None
    chunk = data[12:16]
    if chunk == b"VP8X":
        return int.from_bytes(data[24:27], "little") + 1, int.from_bytes(data[27:30], "little") + 1
    if chunk == b"VP8L" and data[20] == 0x2F:
        bits = int.from_bytes(data[21:25], "little")
        return (bits & 0x3FFF) + 1, ((bits >> 14) & 0x3FFF) + 1
    if chunk == b"VP8 " and data[23:26] == b"\x9d\x01\x2a":
        size = int.from_bytes(data[26:28], "little"), int.from_bytes(data[28:30], "little")
        return size[0] & 0x3FFF, size[1] & 0x3FFF
    return None


# A marker: FF then a code, but not a stuffed data byte (FF 00), a restart (FF D0-D7) or fill.
_JPEG_MARKER = re.compile(rb"\xff[^\x00\xd0-\xd7\xff]")


def _jpeg_scans(data: bytes, limit: int) -> int:
    """The start-of-scan markers of the first picture, counted up to limit + 1. Segment
    payloads (EXIF, ICC: arbitrary bytes) are stepped over by their length, entropy-coded
    data by the regex (in C), and what follows the end marker (a motion photo's video, an
    appended archive) is not looked at."""
    scans, at = 0, 2
    while scans <= limit and (match := _JPEG_MARKER.search(data, at)) is not None:
        at = match.start()
        marker = data[at + 1]
        if marker == 0xD9:
            break
        scans += marker == 0xDA
        at += 2 if marker == 0x01 else 2 + int.from_bytes(data[at + 2 : at + 4], "big")
    return scans


def _check_size(width: int, height: int, limits: Limits) -> None:
    if width < 1 or height < 1:
        raise errors.Corrupt()
    if width * height > limits.max_pixels:
        raise errors.DecompressionBomb(pixels=width * height, max_pixels=limits.max_pixels)
    if max(width, height) > limits.max_side:
        raise errors.DimensionsTooLarge(max_side=limits.max_side, width=width, height=height)


def _open(data: bytes, fmt: str, limits: Limits) -> ImageFile.ImageFile:
    if (header_size := _declared_size(data, fmt)) is not None:
        _check_size(*header_size, limits)
    if fmt == "JPEG" and _jpeg_scans(data, limits.max_jpeg_scans) > limits.max_jpeg_scans:
        raise errors.TooManyScans(max_scans=limits.max_jpeg_scans)
    if fmt == "WEBP" and int.from_bytes(data[4:8], "little") + 8 > len(data):
        # libwebp only says "could not create decoder object" for a cut-off file.
        raise errors.Truncated()
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
    # Before a single pixel is decoded: the header is all a bomb needs to be recognised.
    _check_size(*image.size, limits)
    return image


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
        crop_hash=transforms.crop_hash(thumb),
        probes=tuple(transforms.probes(thumb)),
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
