"""A citizen's rights under PIPL across the packages that hold their data: a copy of it
(art. 45) and closing the account (art. 47). Each package reads and forgets its own tables;
this module only puts them together, in one transaction for the erasure."""

from __future__ import annotations

import datetime as dt
import zipfile
from collections.abc import AsyncIterator

import msgspec

from accounts import privacy as accounts_privacy
from audit import service as audit
from cases import privacy as cases_privacy
from core import clock, ratelimit
from core.actors import Actor
from core.db import transaction
from core.settings import get_settings
from media import privacy as media_privacy
from notify import privacy as notify_privacy
from points import privacy as points_privacy


class Erasure(msgspec.Struct, frozen=True, kw_only=True):
    reports_kept: int
    photos_deleted: int


class _Sink:
    """A write-only stream for zipfile: without tell() it writes data descriptors, so the
    archive can leave in pieces as it is made instead of whole from a temporary file."""

    def __init__(self) -> None:
        self._parts: list[bytes] = []

    def write(self, data: bytes) -> int:
        self._parts.append(bytes(data))
        return len(data)

    def flush(self) -> None:
        pass

    def take(self) -> bytes:
        data, self._parts = b"".join(self._parts), []
        return data


async def export_archive(*, actor: Actor) -> tuple[str, AsyncIterator[bytes]]:
    """The file name and the bytes of a zip of everything the account holds: JSON files and
    the photos. Counted against CITYOPS_PRIVACY_EXPORTS_PER_DAY before anything is read."""
    await ratelimit.hit(
        f"privacy-export:{actor.id}",
        limit=get_settings().privacy_exports_per_day,
        window=dt.timedelta(days=1),
    )
    async with transaction():
        profile = await accounts_privacy.profile_export(citizen_id=actor.id)
        files = {
            "account.json": profile,
            "reports.json": await cases_privacy.reports_export(citizen_id=actor.id),
            "photos.json": await media_privacy.photos_export(
                owner_kind="citizen", owner_id=actor.id
            ),
            "points.json": await points_privacy.ledger_export(account_id=actor.id),
            "devices.json": await accounts_privacy.devices_export(citizen_id=actor.id),
            "notifications.json": await notify_privacy.inbox_export(
                owner_kind="citizen", owner_id=actor.id
            ),
        }
        photos = await media_privacy.photo_keys(owner_kind="citizen", owner_id=actor.id)
        await audit.record(
            actor=actor, action="citizen.export", target_kind="citizen", target_id=profile["id"]
        )
    return f"cityops-{profile['id']}.zip", _archive(files, photos)


async def _archive(files: dict[str, object], photos: list[tuple[str, str]]) -> AsyncIterator[bytes]:
    sink = _Sink()
    stamp = clock.now().astimezone(dt.UTC).timetuple()[:6]
    with zipfile.ZipFile(sink, "w", compression=zipfile.ZIP_DEFLATED) as archive:  # type: ignore[arg-type]
        for name, content in files.items():
            info = zipfile.ZipInfo(name, date_time=stamp)
            info.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(info, msgspec.json.format(msgspec.json.encode(content)))
            yield sink.take()
        for public_id, key in photos:
            data = await media_privacy.read_photo(key)
            if data is None:
                continue
            info = zipfile.ZipInfo(f"photos/{public_id}.jpg", date_time=stamp)
            info.compress_type = zipfile.ZIP_STORED  # JPEG does not shrink
            archive.writestr(info, data)
            yield sink.take()
    yield sink.take()


async def erase_citizen(*, actor: Actor) -> Erasure | None:
    """Close the account (注销): personal data erased, reports kept without the person, the
    points ledger untouched, sessions ended, devices retired, queued notifications dropped,
    and an audit entry. None if it was closed already: nothing happens twice."""
    async with transaction():
        before = await accounts_privacy.erase_account(citizen_id=actor.id)
        if before is None:
            return None
        kept = await cases_privacy.forget_reporter(citizen_id=actor.id)
        deleted = await media_privacy.forget_owner(owner_kind="citizen", owner_id=actor.id)
        await notify_privacy.forget_recipient(owner_kind="citizen", owner_id=actor.id)
        await audit.record(
            actor=actor,
            action="citizen.erase",
            target_kind="citizen",
            target_id=before.public_id,
            after={"reportsKept": kept, "photosDeleted": deleted},
        )
    return Erasure(reports_kept=kept, photos_deleted=deleted)
