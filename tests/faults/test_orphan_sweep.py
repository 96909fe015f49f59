"""The orphaned-file sweep (media/tasks.py) on the suite's database: files an upload stored
before a crash or a rollback kept its row from committing, and temporary files of writes a
kill interrupted, go once they are old; files a row points at, and fresh files whose row
may still be on its way, stay. The killed-process tests run it after real kills."""

from __future__ import annotations

import hashlib
import os
import time
from pathlib import Path

from core.periodic import default_tasks
from core.settings import get_settings
from media.service import storage_keys
from media.storage import get_storage
from media.tables import Media
from media.tasks import ORPHAN_GRACE, sweep_orphan_files
from tests.helpers import jpeg_bytes, upload_photo


def _age(path: Path, seconds: float) -> None:
    then = time.time() - seconds
    os.utime(path, (then, then))


async def test_sweep_removes_old_orphans_only(api):
    citizen = await api.citizen()
    photo_id = await upload_photo(api.client, citizen, seed=7)
    row = await Media.objects().where(Media.public_id == photo_id).first()
    root = Path(get_settings().media_path)
    storage = get_storage()

    old_orphan = storage_keys(hashlib.sha256(b"never committed").hexdigest())
    fresh_orphan = storage_keys(hashlib.sha256(b"row on its way").hexdigest())
    for key in (*old_orphan, *fresh_orphan):
        await storage.put(key, jpeg_bytes(size=(64, 48)), "image/jpeg")
    torn = root / old_orphan[0].rsplit("/", 1)[0] / ".tmp-killed-mid-write"
    torn.write_bytes(b"\xff\xd8 half a photo")
    old = ORPHAN_GRACE.total_seconds() + 600
    for path in (
        root / row.display_key,
        root / row.thumb_key,
        *(root / key for key in old_orphan),
        torn,
    ):
        _age(path, old)

    assert await sweep_orphan_files() == len(old_orphan) + 1

    assert not any((root / key).exists() for key in old_orphan) and not torn.exists()
    assert all((root / key).exists() for key in fresh_orphan)
    # The photo a row points at is old too, and stays, and is still served.
    response = await api.get(f"/api/citizen/media/{photo_id}/display", headers=citizen.headers)
    assert response.status_code == 200 and response.content[:2] == b"\xff\xd8"
    assert await sweep_orphan_files() == 0


def test_sweep_is_a_registered_periodic_task():
    assert "media-orphans" in [name for name, _, _ in default_tasks()]
