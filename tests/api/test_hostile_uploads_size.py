"""Upload size through every upload route: the limit is exact, enforced while the body streams
in (a client cannot make the server buffer more than the limit), and a refusal stores nothing."""

from __future__ import annotations

from core.settings import get_settings
from tests.api.hostile_uploads import (  # noqa: F401 - fixtures by name
    assert_nothing_stored,
    snapshot,
    uploader_fixture,
)
from tests.helpers import assert_problem
from tests.media import samples

CHUNK = 256 * 1024
BOUNDARY = "hostile-upload-boundary"


def limit() -> int:
    return get_settings().media_max_bytes


def padded_jpeg(size: int) -> bytes:
    """A real photo followed by zeros up to ``size`` bytes (decoders stop at the end marker)."""
    photo = samples.jpeg((320, 240))
    return photo + b"\x00" * (size - len(photo))


class CountingBody:
    """A multipart body of ``file_bytes`` zeros behind a JPEG magic, sent in chunks; counts
    what the app actually pulled."""

    def __init__(self, file_bytes: int) -> None:
        self.file_bytes = file_bytes
        self.pulled = 0

    async def __aiter__(self):
        head = (
            f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="file"; filename="big.jpg"\r\n'
            "Content-Type: image/jpeg\r\n\r\n"
        ).encode() + b"\xff\xd8\xff"
        self.pulled += len(head)
        yield head
        sent = 3
        while sent < self.file_bytes:
            chunk = b"\x00" * min(CHUNK, self.file_bytes - sent)
            sent += len(chunk)
            self.pulled += len(chunk)
            yield chunk
        tail = f"\r\n--{BOUNDARY}--\r\n".encode()
        self.pulled += len(tail)
        yield tail


async def test_a_photo_of_exactly_the_limit_is_accepted(uploader):
    response = await uploader.post(padded_jpeg(limit()))
    assert response.status_code == 201, response.text
    assert response.json()["sizeBytes"] == limit()


async def test_one_byte_over_the_limit_is_refused_and_nothing_is_stored(uploader):
    before = await snapshot()
    body = assert_problem(await uploader.post(padded_jpeg(limit() + 1)), 413, "media.too_large")
    assert body["maxBytes"] == limit()
    await assert_nothing_stored(before)


async def test_an_endless_chunked_upload_is_cut_off_at_the_limit(uploader):
    """No Content-Length (chunked): the server counts while it reads and stops pulling the
    body soon after the limit, instead of buffering 100 MB first."""
    before = await snapshot()
    body = CountingBody(100 * 1024 * 1024)
    response = await uploader.api.post(
        uploader.url,
        content=body,
        headers={
            **uploader.session.headers,
            "Content-Type": f"multipart/form-data; boundary={BOUNDARY}",
        },
    )
    assert_problem(response, 413, "media.too_large")
    # The route allows the limit plus 64 KiB of multipart framing; one chunk more arrives
    # before the count trips.
    assert body.pulled <= limit() + 64 * 1024 + CHUNK, body.pulled
    assert body.pulled < body.file_bytes
    await assert_nothing_stored(before)


async def test_an_announced_oversized_body_is_refused_before_it_is_read(uploader):
    before = await snapshot()
    body = CountingBody(64 * 1024 * 1024)
    response = await uploader.api.post(
        uploader.url,
        content=body,
        headers={
            **uploader.session.headers,
            "Content-Type": f"multipart/form-data; boundary={BOUNDARY}",
            "Content-Length": str(64 * 1024 * 1024 + 200),
        },
    )
    assert_problem(response, 413, "media.too_large")
    assert body.pulled == 0
    await assert_nothing_stored(before)
