"""Shared by the hostile-upload tests: every photo upload route, what is stored, and a spy on
how far Pillow got with a file."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from PIL import Image

from core.settings import get_settings
from media.tables import Media
from tests.helpers import Session

# Every route that takes photo bytes. Other records (cases, places, evidence) only take the
# ids these return, so hostile bytes can enter nowhere else.
UPLOAD_APPS = ("citizen", "inspector")


@dataclass
class Uploader:
    api: object
    session: Session
    app: str

    @property
    def url(self) -> str:
        return f"/api/{self.app}/media"

    async def post(
        self,
        data: bytes,
        filename: str = "IMG_0001.jpg",
        content_type: str = "image/jpeg",
        headers: dict | None = None,
    ):
        return await self.api.post(
            self.url,
            files={"file": (filename, data, content_type)},
            headers={**self.session.headers, **(headers or {})},
        )

    async def get(self, url: str):
        return await self.api.get(url, headers=self.session.headers)


@pytest.fixture(name="uploader", params=UPLOAD_APPS)
async def uploader_fixture(request, api) -> Uploader:
    session = await (api.citizen() if request.param == "citizen" else api.staff("inspector"))
    return Uploader(api, session, request.param)


def storage_root() -> Path:
    return Path(get_settings().media_path)


def stored_files() -> dict[str, str]:
    """Every file under the local storage root (temporary ones included), with its hash."""
    root = storage_root()
    if not root.exists():
        return {}
    return {
        path.relative_to(root).as_posix(): hashlib.sha256(path.read_bytes()).hexdigest()
        for path in root.rglob("*")
        if path.is_file()
    }


@dataclass
class Snapshot:
    rows: int
    files: dict[str, str]


async def snapshot() -> Snapshot:
    return Snapshot(rows=await Media.count(), files=stored_files())


async def assert_nothing_stored(before: Snapshot) -> None:
    after = await snapshot()
    assert after.rows == before.rows, "a refused upload left a media row"
    assert after.files == before.files, set(after.files) ^ set(before.files)


@dataclass
class PillowSpy:
    """What Pillow was asked to do: ``opened`` lists the formats Image.open was called for
    (whether or not it then raised), ``decoded`` those whose pixels were then loaded."""

    opened: list[str] = field(default_factory=list)
    decoded: list[str] = field(default_factory=list)


@pytest.fixture(name="pillow")
def pillow_fixture(monkeypatch) -> PillowSpy:
    """The pipeline runs in a worker thread: patching the module attribute reaches it there."""
    spy = PillowSpy()
    real_open = Image.open

    def spying_open(*args, **kwargs):
        spy.opened.append(",".join(kwargs.get("formats") or ["any"]))
        image = real_open(*args, **kwargs)
        real_load = image.load

        def spying_load():
            spy.decoded.append(image.format)
            return real_load()

        image.load = spying_load
        return image

    monkeypatch.setattr(Image, "open", spying_open)
    return spy
