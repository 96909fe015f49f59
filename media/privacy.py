"""Photos and a citizen's privacy: their photos (files included) for their export; closing
the account deletes what no report took and strips the rest of its owner and EXIF hints;
photos of rejected reports expire. Deleted rows leave their files to the orphan sweep,
which never removes a file another row still points at (uploads share files by hash)."""

from __future__ import annotations

from core import clock
from media import errors
from media.storage import get_storage
from media.tables import Media


async def photos_export(*, owner_kind: str, owner_id: int) -> list[dict]:
    rows = (
        await Media.select(
            Media.public_id,
            Media.format,
            Media.width,
            Media.height,
            Media.uploaded_at,
            Media.exif_taken_at,
            Media.exif_lat,
            Media.exif_lon,
            Media.attached_to,
        )
        .where((Media.owner_kind == owner_kind) & (Media.owner_id == owner_id))
        .order_by(Media.id)
    )
    return [
        {
            "id": r["public_id"],
            "file": f"photos/{r['public_id']}.jpg",
            "format": r["format"],
            "width": r["width"],
            "height": r["height"],
            "uploadedAt": clock.iso_utc(r["uploaded_at"]),
            "takenAt": clock.iso_utc(r["exif_taken_at"]),
            "lat": r["exif_lat"],
            "lon": r["exif_lon"],
            "attached": r["attached_to"] is not None,
        }
        for r in rows
    ]


async def photo_keys(*, owner_kind: str, owner_id: int) -> list[tuple[str, str]]:
    """(public id, storage key of the display JPEG) of each of the owner's photos."""
    rows = (
        await Media.select(Media.public_id, Media.display_key)
        .where((Media.owner_kind == owner_kind) & (Media.owner_id == owner_id))
        .order_by(Media.id)
    )
    return [(r["public_id"], r["display_key"]) for r in rows]


async def read_photo(key: str) -> bytes | None:
    """The stored file, or None if the storage lost it (the export goes on without it)."""
    try:
        return await get_storage().get(key)
    except errors.StorageObjectMissing:
        return None


async def forget_owner(*, owner_kind: str, owner_id: int) -> int:
    """Delete the owner's photos nothing took; keep the others (a case's evidence) without
    their owner or the EXIF place and time. Returns how many were deleted."""
    owned = (Media.owner_kind == owner_kind) & (Media.owner_id == owner_id)
    gone = await Media.delete().where(owned & Media.attached_to.is_null()).returning(Media.id)
    await Media.update(
        {
            Media.owner_id: 0,
            Media.exif_taken_at: None,
            Media.exif_lat: None,
            Media.exif_lon: None,
        }
    ).where(owned)
    return len(gone)


async def delete_photos(*, media_ids: list[str]) -> int:
    if not media_ids:
        return 0
    gone = await Media.delete().where(Media.public_id.is_in(media_ids)).returning(Media.id)
    return len(gone)
