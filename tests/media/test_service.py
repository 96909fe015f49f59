"""What other domains call: claim and attach photos, authorise viewing, find look-alikes."""

from __future__ import annotations

import pytest
from PIL import Image

from core.actors import Actor
from core.db import transaction
from media import errors, service
from media.tables import Media
from tests.media import samples

ME = Actor(kind="citizen", id=1, role="citizen")
NEIGHBOUR = Actor(kind="citizen", id=2, role="citizen")
INSPECTOR = Actor(kind="staff", id=1, role="inspector")  # same numeric id as ME


async def _upload(actor: Actor, data: bytes | None = None) -> service.MediaUpload:
    async with transaction():
        return await service.upload(
            actor=actor,
            filename="p.jpg",
            content_type="image/jpeg",
            data=data or samples.jpeg((320, 240)),
        )


async def test_claim_media_checks_owner_and_use(database):
    mine = [await _upload(ME), await _upload(ME)]
    theirs = await _upload(NEIGHBOUR)
    ids = [m.id for m in mine]

    async with transaction():
        rows = await service.claim_media(actor=ME, media_ids=[ids[1], ids[0], ids[1]])
    assert [r.public_id for r in rows] == [ids[1], ids[0]]  # order kept, duplicate dropped

    for bad in (theirs.id, "m_doesnotexist0000"):
        with pytest.raises(errors.MediaNotFound):
            await service.claim_media(actor=ME, media_ids=[ids[0], bad])
    # A staff member with the same numeric id is not the citizen.
    with pytest.raises(errors.MediaNotFound):
        await service.claim_media(actor=INSPECTOR, media_ids=[ids[0]])

    async with transaction():
        await service.claim_media(actor=ME, media_ids=ids, attach_to="case:42")
    assert {m.attached_to for m in await service.media_of(owner_ref="case:42")} == {"case:42"}
    with pytest.raises(errors.MediaAlreadyAttached):
        await service.claim_media(actor=ME, media_ids=[ids[0]])


async def test_attach_lets_exactly_one_record_win(database):
    photo = await _upload(ME)
    async with transaction():
        await service.attach(media_ids=[photo.id], owner_ref="case:1")
    with pytest.raises(errors.MediaAlreadyAttached):
        async with transaction():
            await service.attach(media_ids=[photo.id], owner_ref="case:2")
    row = await Media.objects().where(Media.public_id == photo.id).first()
    assert row.attached_to == "case:1" and row.attached_at is not None


async def test_only_the_owner_or_an_admitted_viewer_may_open(database, monkeypatch):
    photo = await _upload(ME)
    data, content_type = await service.open_media(actor=ME, media_id=photo.id, variant="thumb")
    assert content_type == "image/jpeg"
    samples.assert_clean(data)

    for stranger in (NEIGHBOUR, INSPECTOR):
        with pytest.raises(errors.MediaNotFound):
            await service.open_media(actor=stranger, media_id=photo.id, variant="display")
    with pytest.raises(errors.MediaNotFound):
        await service.open_media(actor=ME, media_id=photo.id, variant="original")

    # The cases domain admits staff of the case the photo is attached to.
    async def staff_of_case(actor: Actor, case_id: str, media_id: str) -> bool:
        return actor.kind == "staff" and case_id == "42"

    monkeypatch.setitem(service._viewers, "case", staff_of_case)
    async with transaction():
        await service.claim_media(actor=ME, media_ids=[photo.id], attach_to="case:42")
    await service.open_media(actor=INSPECTOR, media_id=photo.id, variant="display")
    with pytest.raises(errors.MediaNotFound):
        await service.open_media(actor=NEIGHBOUR, media_id=photo.id, variant="display")

    # A one-off rule passed by the caller works too.
    async def anyone(actor, media):
        return True

    await service.open_media(
        actor=NEIGHBOUR, media_id=photo.id, variant="thumb", may_view_also=anyone
    )


async def test_same_photo_twice_shares_files_and_finds_its_twin(database):
    picture = samples.picture((1200, 900))
    first = await _upload(ME, samples.encode(picture, "JPEG", quality=92))
    again = await _upload(NEIGHBOUR, samples.encode(picture, "JPEG", quality=92))
    recompressed = await _upload(NEIGHBOUR, samples.encode(picture.resize((600, 450)), "PNG"))
    other = await _upload(
        NEIGHBOUR, samples.encode(picture.transpose(Image.Transpose.ROTATE_180), "JPEG")
    )
    assert first.id != again.id and first.sha256 == again.sha256

    rows = {
        m.public_id: m
        for m in await service.get_media(media_ids=[first.id, again.id, recompressed.id, other.id])
    }
    assert rows[first.id].display_key == rows[again.id].display_key

    matches = await service.find_similar(
        phash=first.phash, max_distance=6, among=[again.id, recompressed.id, other.id]
    )
    assert [m.public_id for m, _ in matches][:2] == [again.id, recompressed.id]
    assert other.id not in [m.public_id for m, _ in matches]
    assert matches[0][1] == 0
    assert await service.find_similar(phash=first.phash, among=[]) == []
