"""QR images of signposts: PNG and SVG (error correction Q, the standard 4-module quiet
zone, an optional label under the code) and a printable PDF sheet of many labelled codes.

The PDF is drawn with Pillow and saved as a multi-page PDF rather than with reportlab:
Pillow is already a dependency, and the label font is Noto Sans CJK, an OpenType/CFF
collection that reportlab cannot embed (it takes TrueType outlines only) but FreeType,
under Pillow, renders. Pages are 300 dpi A4 bitmaps, sharp enough for sticker printers.
"""

from __future__ import annotations

import io
import logging
from functools import lru_cache
from xml.sax.saxutils import escape

import qrcode
from PIL import Image, ImageDraw, ImageFont
from qrcode.constants import ERROR_CORRECT_Q

from core.settings import get_settings

log = logging.getLogger("cityops.qr")
QUIET_ZONE = 4  # modules, as ISO/IEC 18004 asks
DPI = 300
A4 = (2480, 3508)  # pixels at 300 dpi
SHEET_COLUMNS, SHEET_ROWS = 3, 4


def matrix(url: str) -> list[list[bool]]:
    """Modules including the quiet zone."""
    code = qrcode.QRCode(error_correction=ERROR_CORRECT_Q, border=QUIET_ZONE)
    code.add_data(url)
    code.make(fit=True)
    return code.get_matrix()


@lru_cache(maxsize=16)
def _font(size: int) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    settings = get_settings()
    try:
        return ImageFont.truetype(settings.qr_font_path, size, index=settings.qr_font_index)
    except OSError:
        log.warning("QR label font %s not found; CJK labels will not render", settings.qr_font_path)
        return ImageFont.load_default(size)


def _fit_font(draw: ImageDraw.ImageDraw, text: str, width: int, size: int):
    while size > 10:
        font = _font(size)
        if draw.textlength(text, font=font) <= width:
            return font
        size -= 2
    return _font(size)


def _draw_code(
    image: Image.Image, modules: list[list[bool]], left: int, top: int, box: int
) -> None:
    draw = ImageDraw.Draw(image)
    for y, row in enumerate(modules):
        x = 0
        while x < len(row):  # one rectangle per run of dark modules
            if row[x]:
                start = x
                while x < len(row) and row[x]:
                    x += 1
                draw.rectangle(
                    [
                        left + start * box,
                        top + y * box,
                        left + x * box - 1,
                        top + (y + 1) * box - 1,
                    ],
                    fill=0,
                )
            else:
                x += 1


def _label_height(box: int) -> int:
    return box * 6


def code_image(url: str, label: str | None = None, *, box: int = 10) -> Image.Image:
    modules = matrix(url)
    side = len(modules) * box
    height = side + (_label_height(box) if label else 0)
    image = Image.new("L", (side, height), 255)
    _draw_code(image, modules, 0, 0, box)
    if label:
        draw = ImageDraw.Draw(image)
        font = _fit_font(draw, label, side - 2 * QUIET_ZONE * box // 2, box * 3)
        draw.text((side // 2, side + box), label, fill=0, font=font, anchor="ma")
    return image


def png(url: str, label: str | None = None, *, box: int = 10) -> bytes:
    out = io.BytesIO()
    code_image(url, label, box=box).save(out, "PNG", optimize=True)
    return out.getvalue()


def svg(url: str, label: str | None = None, *, box: int = 10) -> bytes:
    """Vector: one path of the dark modules; the label is text in the CJK font family from
    settings, so it prints sharp at any size."""
    modules = matrix(url)
    side = len(modules) * box
    height = side + (_label_height(box) if label else 0)
    parts = []
    for y, row in enumerate(modules):
        x = 0
        while x < len(row):
            if row[x]:
                start = x
                while x < len(row) and row[x]:
                    x += 1
                parts.append(
                    f"M{start * box} {y * box}h{(x - start) * box}v{box}h-{(x - start) * box}z"
                )
            else:
                x += 1
    text = ""
    if label:
        family = escape(get_settings().qr_font_family, {'"': "&quot;"})
        text = (
            f'<text x="{side // 2}" y="{side + box * 4}" text-anchor="middle" '
            f'font-family="{family}" font-size="{box * 3}" fill="#000">'
            f"{escape(label)}</text>"
        )
    document = (
        f'<?xml version="1.0" encoding="UTF-8"?>\n'
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{side}" height="{height}" '
        f'viewBox="0 0 {side} {height}" shape-rendering="crispEdges">'
        f'<rect width="{side}" height="{height}" fill="#fff"/>'
        f'<path fill="#000" d="{"".join(parts)}"/>{text}</svg>'
    )
    return document.encode()


def sheet_pdf(items: list[tuple[str, str]]) -> bytes:
    """A4 pages of SHEET_COLUMNS x SHEET_ROWS labelled codes, cut lines between them."""
    per_page = SHEET_COLUMNS * SHEET_ROWS
    margin = 120
    cell_w = (A4[0] - 2 * margin) // SHEET_COLUMNS
    cell_h = (A4[1] - 2 * margin) // SHEET_ROWS
    pages = []
    for start in range(0, len(items), per_page):
        page = Image.new("L", A4, 255)
        draw = ImageDraw.Draw(page)
        for slot, (url, label) in enumerate(items[start : start + per_page]):
            column, row = slot % SHEET_COLUMNS, slot // SHEET_COLUMNS
            left, top = margin + column * cell_w, margin + row * cell_h
            draw.rectangle([left, top, left + cell_w - 1, top + cell_h - 1], outline=190)
            modules = len(matrix(url))
            box = max(4, min((cell_w - 40) // modules, (cell_h - 140) // modules))
            image = code_image(url, label, box=box)
            page.paste(image, (left + (cell_w - image.width) // 2, top + 20))
        pages.append(page)
    out = io.BytesIO()
    pages[0].save(
        out,
        "PDF",
        resolution=DPI,
        save_all=True,
        append_images=pages[1:],
        quality=95,
        title="cityops signposts",
    )
    return out.getvalue()
