"""Photos: upload first, reference later.

A photo is uploaded on its own (``prepare_upload`` + ``record_upload``, or ``upload``), and
returns an id with the EXIF position and time as hints. Other domains then take photos into
their records with ``claim_media(..., attach_to="case:42")``, which checks that every id is
the actor's and unused. Viewing is authorised per object: the owner, and whoever a policy of
the record the photo is attached to admits (see ``register_viewer``).
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Awaitable, Callable, Sequence

import msgspec

from core import clock, ratelimit
from core.actors import Actor
from core.ids import public_id
from core.settings import get_settings
from media import errors, images, signing, similar
from media.storage import MediaStorage, get_storage
from media.tables import Media

log = logging.getLogger("cityops.media")

Variant = str  # "display" | "thumb"
VARIANTS = ("display", "thumb")
ViewPolicy = Callable[[Actor, Media], Awaitable[bool]]


class MediaHints(msgspec.Struct, frozen=True, kw_only=True):
    taken_at: dt.datetime | None
    lat: float | None  # WGS-84, as cameras write it
    lon: float | None


class MediaUpload(msgspec.Struct, frozen=True, kw_only=True):
    id: str
    width: int
    height: int
    format: str
    content_type: str
    size_bytes: int
    sha256: str
    phash: str
    hints: MediaHints
    # Short-lived signed URLs that need no token (see signed_urls).
    display_url: str
    thumb_url: str
    urls_expire_at: dt.datetime


class PreparedUpload(msgspec.Struct, frozen=True, kw_only=True):
    """Decoded, checked and stored, but not yet in the database."""

    image: images.ProcessedImage
    display_key: str
    thumb_key: str


def _limits() -> images.Limits:
    return images.Limits(max_pixels=get_settings().media_max_pixels)


def storage_keys(sha256: str) -> tuple[str, str]:
    base = f"{sha256[:2]}/{sha256}"
    return f"{base}/display.jpg", f"{base}/thumb.jpg"


async def prepare_upload(
    *,
    actor: Actor,
    filename: str | None,
    content_type: str | None,
    data: bytes,
    storage: MediaStorage | None = None,
) -> PreparedUpload:
    """Check, decode and resize off the event loop, then store the derivatives. Runs before
    the request's transaction opens: decoding 12 MP takes ~100 ms, far too long to hold
    SQLite's write lock. Stored files without a row are harmless (content-addressed, so a
    retry reuses them). ``filename`` and ``content_type`` are the client's claims and are
    not trusted: the bytes decide the format."""
    settings = get_settings()
    if len(data) > settings.media_max_bytes:
        raise errors.MediaTooLarge(
            max_mb=settings.media_max_bytes // (1024 * 1024), max_bytes=settings.media_max_bytes
        )
    await _count_upload(actor)
    processed = await images.process_off_loop(data, _limits())
    storage = storage or get_storage()
    display_key, thumb_key = storage_keys(processed.sha256)
    await storage.put(display_key, processed.display.data, processed.display.content_type)
    await storage.put(thumb_key, processed.thumb.data, processed.thumb.content_type)
    log.debug(
        "media stored for %s: %s %dx%d %d bytes (client said %r, %r)",
        actor.scope,
        processed.format,
        processed.width,
        processed.height,
        processed.size_bytes,
        (filename or "")[:80],
        (content_type or "")[:80],
    )
    return PreparedUpload(image=processed, display_key=display_key, thumb_key=thumb_key)


async def _count_upload(actor: Actor) -> None:
    """Before any decoding (the expensive part): a burst per ten minutes, sliding, and a
    daily number per account, both exact across processes."""
    settings = get_settings()
    await ratelimit.hit(
        f"upload:{actor.scope}",
        limit=settings.media_upload_burst,
        window=dt.timedelta(minutes=10),
    )
    quota = (
        settings.media_daily_uploads_citizen
        if actor.is_citizen
        else settings.media_daily_uploads_staff
    )
    uploads, retry_after = await ratelimit.count(
        f"upload-day:{actor.scope}", window=dt.timedelta(days=1)
    )
    if uploads > quota:
        raise errors.UploadQuotaExceeded(quota=quota, retry_after=retry_after)


def _upload_view(media: Media, storage: MediaStorage) -> MediaUpload:
    urls = signed_urls(media=media, storage=storage)
    return MediaUpload(
        id=media.public_id,
        width=media.width,
        height=media.height,
        format=media.format,
        content_type=images.CONTENT_TYPES.get(media.format, "application/octet-stream"),
        size_bytes=media.size_bytes,
        sha256=media.sha256,
        phash=media.phash,
        hints=MediaHints(
            taken_at=clock.as_utc(media.exif_taken_at) if media.exif_taken_at else None,
            lat=media.exif_lat,
            lon=media.exif_lon,
        ),
        display_url=urls.display,
        thumb_url=urls.thumb,
        urls_expire_at=urls.expires_at,
    )


async def record_upload(
    *, actor: Actor, prepared: PreparedUpload, storage: MediaStorage | None = None
) -> MediaUpload:
    """Insert the row for a prepared upload (inside the request's transaction)."""
    image = prepared.image
    media = Media(
        public_id=public_id("m"),
        owner_kind=actor.kind,
        owner_id=actor.id,
        sha256=image.sha256,
        phash=image.phash,
        crop_hash=image.crop_hash,
        probe_hashes=",".join(image.probes),
        format=image.format,
        width=image.width,
        height=image.height,
        size_bytes=image.size_bytes,
        display_key=prepared.display_key,
        thumb_key=prepared.thumb_key,
        exif_taken_at=image.hints.taken_at,
        exif_lat=image.hints.lat,
        exif_lon=image.hints.lon,
        uploaded_at=clock.now(),
    )
    await media.save()
    return _upload_view(media, storage or get_storage())


async def upload(
    *,
    actor: Actor,
    filename: str | None,
    content_type: str | None,
    data: bytes,
    storage: MediaStorage | None = None,
) -> MediaUpload:
    """Both steps at once, for callers that are not in a write transaction yet."""
    prepared = await prepare_upload(
        actor=actor, filename=filename, content_type=content_type, data=data, storage=storage
    )
    return await record_upload(actor=actor, prepared=prepared, storage=storage)


# --- viewing ---------------------------------------------------------------------------------

_viewers: dict[str, Callable[[Actor, str, str], Awaitable[bool]]] = {}


def register_viewer(kind: str, policy: Callable[[Actor, str, str], Awaitable[bool]]) -> None:
    """Let the domain that owns records of ``kind`` decide who else may see photos attached
    to them: ``register_viewer("case", may_see_case)`` is called with (actor, "42", "m_x")
    for the photo "m_x" attached to "case:42" (a record may show some photos to fewer
    people than others)."""
    _viewers[kind] = policy


def _is_owner(actor: Actor, media: Media) -> bool:
    return media.owner_kind == actor.kind and media.owner_id == actor.id


async def may_view(actor: Actor, media: Media, extra: ViewPolicy | None = None) -> bool:
    if _is_owner(actor, media):
        return True
    if extra is not None and await extra(actor, media):
        return True
    if media.attached_to:
        kind, _, ref = media.attached_to.partition(":")
        policy = _viewers.get(kind)
        if policy is not None and await policy(actor, ref, media.public_id):
            return True
    return False


async def open_media(
    *,
    actor: Actor,
    media_id: str,
    variant: Variant,
    may_view_also: ViewPolicy | None = None,
    storage: MediaStorage | None = None,
) -> tuple[bytes, str]:
    """The bytes and content type of a derivative, for those allowed to see it. Anyone else
    gets the same 404 as for an id that does not exist."""
    if variant not in VARIANTS:
        raise errors.MediaNotFound(media_id=media_id)
    media = await Media.objects().where(Media.public_id == media_id).first()
    if media is None or not await may_view(actor, media, may_view_also):
        raise errors.MediaNotFound(media_id=media_id)
    return await _read(media, variant, storage or get_storage()), "image/jpeg"


async def _read(media: Media, variant: Variant, storage: MediaStorage) -> bytes:
    key = media.display_key if variant == "display" else media.thumb_key
    try:
        return await storage.get(key)
    except errors.StorageObjectMissing:
        log.error("media %s: stored object %s is missing", media.public_id, key)
        raise errors.MediaNotFound(media_id=media.public_id) from None


class SignedUrls(msgspec.Struct, frozen=True, kw_only=True):
    display: str
    thumb: str
    expires_at: dt.datetime


def signed_url(
    *, media: Media, variant: Variant, storage: MediaStorage | None = None, ttl: int | None = None
) -> str:
    """A short-lived URL that needs no token, for a photo the caller has already authorised:
    presigned by S3 on S3 storage, signed by us (media.signing) on local storage."""
    ttl = ttl or get_settings().media_url_ttl_seconds
    key = media.display_key if variant == "display" else media.thumb_key
    url = (storage or get_storage()).url(key, ttl)
    return url if url is not None else signing.local_url(media.public_id, variant, ttl)


def signed_urls(*, media: Media, storage: MediaStorage | None = None) -> SignedUrls:
    ttl = get_settings().media_url_ttl_seconds
    return SignedUrls(
        display=signed_url(media=media, variant="display", storage=storage, ttl=ttl),
        thumb=signed_url(media=media, variant="thumb", storage=storage, ttl=ttl),
        # Never later than either URL's own end (local URLs round down to the second).
        expires_at=clock.now().replace(microsecond=0) + dt.timedelta(seconds=ttl),
    )


async def open_signed(
    *, media_id: str, variant: str, exp: str | None, sig: str | None
) -> tuple[bytes, str, int]:
    """The bytes, content type and seconds left of a photo behind a signed local URL. The
    signature is checked before the database is read; an id signed but since gone is a 404."""
    left = signing.check(media_id, variant, exp, sig)
    media = await Media.objects().where(Media.public_id == media_id).first()
    if media is None or variant not in VARIANTS:
        raise errors.MediaNotFound(media_id=media_id)
    return await _read(media, variant, get_storage()), "image/jpeg", left


# --- for other domains -----------------------------------------------------------------------


def _unique(media_ids: Sequence[str]) -> list[str]:
    return list(dict.fromkeys(media_ids))


async def claim_media(
    *, actor: Actor, media_ids: Sequence[str], attach_to: str | None = None
) -> list[Media]:
    """The actor's own, unattached photos, in the order given (duplicates dropped).

    Another person's id answers ``media.not_found`` (404), exactly like an unknown id, so
    ids cannot be probed. A photo already used answers ``media.already_attached`` (409).
    With ``attach_to`` ("case:42") the photos are attached in the same step."""
    ids = _unique(media_ids)
    rows = await Media.objects().where(Media.public_id.is_in(ids)) if ids else []
    by_id = {row.public_id: row for row in rows}
    for media_id in ids:
        media = by_id.get(media_id)
        if media is None or not _is_owner(actor, media):
            raise errors.MediaNotFound(media_id=media_id)
        if media.attached_to is not None:
            raise errors.MediaAlreadyAttached(media_id=media_id)
    if attach_to is not None:
        await attach(media_ids=ids, owner_ref=attach_to)
    return [by_id[media_id] for media_id in ids]


async def attach(*, media_ids: Sequence[str], owner_ref: str) -> None:
    """Attach photos to a record ("case:42"). One conditional UPDATE: of two requests racing
    for one photo, exactly one wins and the other gets ``media.already_attached``."""
    ids = _unique(media_ids)
    if not ids:
        return
    updated = (
        await Media.update({Media.attached_to: owner_ref, Media.attached_at: clock.now()})
        .where(Media.public_id.is_in(ids), Media.attached_to.is_null())
        .returning(Media.public_id)
    )
    won = {row["public_id"] for row in updated}
    if lost := [media_id for media_id in ids if media_id not in won]:
        raise errors.MediaAlreadyAttached(media_id=lost[0])


async def get_media(*, media_ids: Sequence[str]) -> list[Media]:
    """Rows by public id, in the order given, skipping unknown ids. No authorisation: for
    domains that have already decided the caller may see the record the photos belong to."""
    ids = _unique(media_ids)
    rows = await Media.objects().where(Media.public_id.is_in(ids)) if ids else []
    by_id = {row.public_id: row for row in rows}
    return [by_id[media_id] for media_id in ids if media_id in by_id]


async def media_of(*, owner_ref: str) -> list[Media]:
    return await Media.objects().where(Media.attached_to == owner_ref).order_by(Media.id)


phash_distance = images.phash_distance


async def find_similar(
    *,
    phash: str,
    among: Sequence[str] | None = None,
    max_distance: int = 10,
    since: dt.datetime | None = None,
    limit: int = 20,
) -> list[tuple[Media, int]]:
    """Photos whose perceptual hash is within ``max_distance`` bits of ``phash``, nearest
    first, among ``among`` (public ids) and since ``since`` if given. Up to 15 bits the
    candidates come from the hash-quarter indexes (media.similar), not from every photo."""
    query = Media.objects()
    radius = similar.quarter_radius(max_distance)
    if radius is not None and similar.indexable(phash):
        query = query.where(similar.near_hash(phash, radius))
    if among is not None:
        if not among:
            return []
        query = query.where(Media.public_id.is_in(_unique(among)))
    if since is not None:
        query = query.where(Media.uploaded_at >= since)
    matches = []
    for media in await query:
        distance = images.phash_distance(phash, media.phash)
        if distance <= max_distance:
            matches.append((media, distance))
    matches.sort(key=lambda pair: (pair[1], pair[0].id))
    return matches[:limit]


PROBE_BATCH = 500  # probes per statement: 500 x 5 pieces stays far below SQL parameter limits


async def find_turned(
    *,
    probes: Sequence[str],
    max_distance: int = 12,
    since: dt.datetime | None = None,
    limit: int = 20,
) -> list[tuple[Media, int]]:
    """Photos whose crop hash lies within ``max_distance`` (of 128) bits of any of
    ``probes`` (a photo's ``probe_hashes``): turned, mirrored or cropped copies of it,
    nearest first. Candidates come from the crop hash's piece indexes, never a scan; a
    copy farther than 4 bits is found only if one of its pieces matches (media.similar)."""
    probes = [p for p in probes if len(p) == 32]
    if not probes:
        return []
    found: dict[int, tuple[Media, int]] = {}
    for start in range(0, len(probes), PROBE_BATCH):
        batch = probes[start : start + PROBE_BATCH]
        query = Media.objects().where(similar.near_crop_hashes(batch))
        if since is not None:
            query = query.where(Media.uploaded_at >= since)
        for media in await query:
            best = min(similar.distance(probe, media.crop_hash) for probe in batch)
            if best <= max_distance and best < found.get(media.id, (media, 129))[1]:
                found[media.id] = (media, best)
    matches = sorted(found.values(), key=lambda pair: (pair[1], pair[0].id))
    return matches[:limit]
