"""Helpers for signpost tests."""

from __future__ import annotations

import io
import re

from tests.places.util import CENTER, offset


async def add_signpost(
    api, admin, *, name="建新北路与北城天街交叉口", north=0.0, east=0.0, **fields
) -> dict:
    lat, lon = offset(*CENTER, north, east)
    response = await api.post(
        "/api/admin/signposts",
        headers=admin.headers,
        json={"name": name, "location": {"lat": lat, "lon": lon}, **fields},
    )
    assert response.status_code == 201, response.text
    return response.json()


def decode_qr(image) -> list[str]:
    import zxingcpp

    return [result.text for result in zxingcpp.read_barcodes(image)]


def pdf_page_images(pdf: bytes) -> list:
    """The page images of a PDF Pillow wrote (one JPEG stream per page)."""
    from PIL import Image

    images = []
    for match in re.finditer(rb"/Filter\s*/DCTDecode.*?stream\r?\n", pdf, re.S):
        start = match.end()
        end = pdf.index(b"endstream", start)
        images.append(Image.open(io.BytesIO(pdf[start:end])))
    return images
