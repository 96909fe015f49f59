"""Test photos, made with Pillow on the spot: ordinary ones with EXIF, and hostile ones."""

from __future__ import annotations

import functools
import io
import struct
import zipfile
import zlib

import pillow_heif
from PIL import Image, ImageCms, PngImagePlugin

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


def heic(size=(800, 600), *, exif: Image.Exif | None = None, **params) -> bytes:
    extra = {"exif": exif.tobytes()} if exif is not None else {}
    return encode(picture(size), "HEIF", quality=70, **extra, **params)


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


def very_wide_png(size=(50_000, 4)) -> bytes:
    """50,000 x 4 px: few pixels in all, but no photo is that wide."""
    return encode(Image.new("L", size, 128), "PNG")


@functools.cache
def png_zero_bomb(side: int = 30_000) -> bytes:
    """A complete, valid PNG of side x side black pixels: 900 MB decoded for the default side,
    under 1 MB on disk (deflate's best ratio is about 1:1030). Cached: it takes a second or
    two to compress."""
    packer = zlib.compressobj(9, zlib.DEFLATED, 15, 9, zlib.Z_RLE)
    rows = b"\x00" * ((1 + side) * 1000)  # filter byte + pixels, a thousand rows at a time
    whole, rest = divmod(side, 1000)
    idat = b"".join(
        [packer.compress(rows) for _ in range(whole)]
        + [packer.compress(b"\x00" * ((1 + side) * rest)), packer.flush()]
    )
    header = struct.pack(">IIBBBBB", side, side, 8, 0, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + _png_chunk(b"IHDR", header)
        + _png_chunk(b"IDAT", idat)
        + _png_chunk(b"IEND", b"")
    )


def png_chunk_bomb(kind: bytes = b"zTXt", inflated: int = 64 * 1024 * 1024) -> bytes:
    """A small PNG with a compressed text (zTXt, iTXt) or colour profile (iCCP) chunk that
    inflates to ``inflated`` bytes of metadata when the header is read."""
    packer = zlib.compressobj(9, zlib.DEFLATED, 15, 9, zlib.Z_RLE)
    megabyte = b"\x00" * (1024 * 1024)
    body = b"".join([packer.compress(megabyte) for _ in range(inflated // len(megabyte))])
    body += packer.flush()
    prefix = {b"zTXt": b"Comment\x00\x00", b"iTXt": b"Comment\x00\x01\x00\x00\x00"}
    chunk = _png_chunk(kind, prefix.get(kind, b"profile\x00\x00") + body)
    small = png((64, 64))
    return small[:33] + chunk + small[33:]  # right after IHDR


def gif_frame_bomb() -> bytes:
    """A tiny GIF whose logical screen and first frame both claim 65535 x 65535."""
    data = bytearray(gif_bomb())
    flags = data[10]
    at = 13 + (3 * 2 ** ((flags & 7) + 1) if flags & 0x80 else 0)
    while data[at] == 0x21:  # extension blocks: label, then sub-blocks up to a 0 length
        at += 2
        while data[at]:
            at += data[at] + 1
        at += 1
    assert data[at] == 0x2C  # image descriptor
    data[at + 5 : at + 9] = struct.pack("<HH", 65535, 65535)
    return bytes(data)


def webp_canvas_bomb(side: int = 9_000) -> bytes:
    """An animated WebP of two 64 px frames whose VP8X canvas claims side x side. 81 MP by
    default: above our cap but below twice Pillow's, so only our own header check stops
    libwebp from reserving the canvas (~800 MB of address space) when Pillow opens it."""
    frames = [Image.new("RGB", (64, 64), colour) for colour in ((1, 2, 3), (200, 100, 50))]
    data = bytearray(encode(frames[0], "WEBP", save_all=True, append_images=frames[1:]))
    assert data[12:16] == b"VP8X"
    data[24:27] = (side - 1).to_bytes(3, "little")
    data[27:30] = (side - 1).to_bytes(3, "little")
    return bytes(data)


def jpeg_bomb(width: int = 65_000, height: int = 65_000) -> bytes:
    """A small JPEG whose frame header (SOF) claims width x height."""
    data = bytearray(jpeg((64, 64)))
    at = next(i for i, marker in jpeg_segments(bytes(data)) if marker in (0xC0, 0xC2))
    data[at + 5 : at + 9] = struct.pack(">HH", height, width)
    return bytes(data)


def jpeg_scan_bomb(side: int = 64, scans: int = 5_000) -> bytes:
    """A progressive JPEG with its smallest scan repeated ``scans`` times before the end
    marker. libjpeg only warns about the bogus progression and passes over the whole picture
    once per scan: on a 49 MP picture each copy costs milliseconds of CPU."""
    data = encode(Image.new("RGB", (side, side), (120, 130, 140)), "JPEG", progressive=True)
    offsets = [at for at, _ in jpeg_segments(data)]
    starts = [at for at, marker in jpeg_segments(data) if marker == 0xDA]
    start, end = min(
        ((at, offsets[offsets.index(at) + 1]) for at in starts), key=lambda s: s[1] - s[0]
    )
    eoi = data.rindex(b"\xff\xd9")
    return data[:eoi] + data[start:end] * scans + data[eoi:]


def heic_bomb(side: int = 30_000) -> bytes:
    """A small HEIC whose image spatial extents ('ispe') claim side x side."""
    data = bytearray(heic((64, 64)))
    at = data.find(b"ispe")
    assert at > 0 and struct.unpack(">II", data[at + 8 : at + 16]) == (64, 64)
    data[at + 8 : at + 16] = struct.pack(">II", side, side)
    return bytes(data)


def avif(size=(320, 240)) -> bytes:
    """AVIF lists the HEIF brand mif1 too, but holds AV1: not a format we take."""
    return encode(picture(size), "AVIF")


def very_wide_jpeg(size=(50_000, 1)) -> bytes:
    return encode(Image.new("RGB", size, (128, 128, 128)), "JPEG")


def truncated(data: bytes, keep: float = 2 / 3) -> bytes:
    return data[: int(len(data) * keep)]


def zip_with_jpeg_header() -> bytes:
    """A ZIP archive behind a JPEG's header segments (SOI to the frame and tables, no scan):
    it starts like a photo and unzips, as zip readers find the archive from its end."""
    header = jpeg((64, 64))
    return header[: header.index(b"\xff\xda")] + zip_bytes()


def jpeg_with_zip_in_comment() -> bytes:
    """A valid JPEG carrying a ZIP archive in a COM segment, before the picture."""
    payload = zip_bytes()
    photo = jpeg((640, 480))
    return photo[:2] + b"\xff\xfe" + struct.pack(">H", len(payload) + 2) + payload + photo[2:]


# Strings planted in metadata: none may reach a stored derivative.
SECRET_TEXT = "secret-note-cityops-7f3a"
XMP = (
    b'<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/'
    b'22-rdf-syntax-ns#"><rdf:Description xmlns:exif="http://ns.adobe.com/exif/1.0/" '
    b'exif:GPSLatitude="33,50.675N" exif:GPSLongitude="115,46.803E"/></rdf:RDF></x:xmpmeta>'
)


def icc_profile() -> bytes:
    return ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()


def jpeg_with_metadata(size=(1200, 900), *, orientation: int = 6) -> bytes:
    """What a phone writes: EXIF (GPS, capture time, orientation), XMP, an ICC profile and a
    comment."""
    return encode(
        picture(size),
        "JPEG",
        quality=90,
        exif=exif_block(orientation=orientation, lat=BOZHOU[0], lon=BOZHOU[1]),
        xmp=XMP,
        icc_profile=icc_profile(),
        comment=SECRET_TEXT.encode(),
    )


def png_with_metadata(size=(900, 700)) -> bytes:
    """EXIF in an eXIf chunk, text in tEXt, zTXt and iTXt (XMP), and an iCCP profile."""
    info = PngImagePlugin.PngInfo()
    info.add_text("Comment", SECRET_TEXT)
    info.add_text("Author", SECRET_TEXT, zip=True)
    info.add_itxt("XML:com.adobe.xmp", XMP.decode())
    return encode(
        picture(size),
        "PNG",
        pnginfo=info,
        exif=exif_block(lat=BOZHOU[0], lon=BOZHOU[1]),
        icc_profile=icc_profile(),
    )


def webp_with_metadata(size=(900, 700)) -> bytes:
    return webp(
        size, exif=exif_block(lat=BOZHOU[0], lon=BOZHOU[1]), xmp=XMP, icc_profile=icc_profile()
    )


def heic_with_metadata(size=(1000, 750)) -> bytes:
    return heic(size, exif=exif_block(lat=BOZHOU[0], lon=BOZHOU[1]), xmp=XMP)


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


def jpeg_segments(data: bytes) -> list[tuple[int, int]]:
    """(offset, marker) of every marker in a JPEG, stepping over segment payloads and the
    entropy-coded data after each scan."""
    assert data[:2] == b"\xff\xd8"
    found, at = [(0, 0xD8)], 2
    while at < len(data) - 1:
        assert data[at] == 0xFF, f"no marker at {at}"
        while data[at + 1] == 0xFF:  # fill bytes
            at += 1
        marker = data[at + 1]
        found.append((at, marker))
        if marker == 0xD9:
            break
        if 0xD0 <= marker <= 0xD7 or marker == 0x01:
            at += 2
            continue
        at += 2 + int.from_bytes(data[at + 2 : at + 4], "big")
        if marker == 0xDA:
            while not (data[at] == 0xFF and data[at + 1] not in range(0xD0, 0xD8) and data[at + 1]):
                at += 1
    return found


def metadata_segments(data: bytes) -> list[bytes]:
    """The APPn and COM segments of a JPEG, each as its first 16 payload bytes."""
    return [
        data[at + 4 : at + 20]
        for at, marker in jpeg_segments(data)
        if 0xE0 <= marker <= 0xEF or marker == 0xFE
    ]


def is_red(pixel) -> bool:
    r, g, b = pixel[:3]
    return r > 180 and g < 90 and b < 90
