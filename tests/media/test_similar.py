"""Near-duplicate photos come from the hash-quarter indexes (media.similar): the same
answers as comparing with every photo, read through an index on both databases."""

from __future__ import annotations

import random

import pytest

from core import db
from core.db import transaction
from media import service, similar
from media.images import phash_distance
from media.tables import Media
from tests.conftest import ON_POSTGRES

QUERY = "9c3a5f0e71b2d468"


def _flip(phash: str, bits: list[int]) -> str:
    value = int(phash, 16)
    for bit in bits:
        value ^= 1 << bit
    return f"{value:016x}"


async def _store(hashes: list[str]) -> None:
    rows = [
        Media(
            public_id=f"m_sim{i:08d}",
            owner_kind="citizen",
            owner_id=1,
            sha256=f"{i:064x}",
            phash=phash,
            format="JPEG",
            width=1,
            height=1,
            size_bytes=1,
            display_key="d",
            thumb_key="t",
        )
        for i, phash in enumerate(hashes)
    ]
    async with transaction():
        for start in range(0, len(rows), 500):
            await Media.insert(*rows[start : start + 500])


@pytest.mark.parametrize("radius", [0, 1, 2, 3])
def test_neighbours_are_every_value_that_close_once(radius):
    found = similar.neighbours("a5f0", radius)
    assert len(found) == len(set(found)) == {0: 1, 1: 17, 2: 137, 3: 697}[radius]
    assert all(phash_distance(value, "a5f0") <= radius and len(value) == 4 for value in found)


def test_distances_past_fifteen_bits_are_not_indexed():
    assert [similar.quarter_radius(d) for d in (0, 3, 4, 6, 15, 16)] == [0, 0, 1, 1, 3, None]
    assert not similar.indexable("9C3A5F0E71B2D468") and not similar.indexable("9c3a")


async def test_the_indexes_find_what_a_full_comparison_finds(database):
    rng = random.Random(7)
    # Matches at every distance up to 20 bits, their flips spread over all four quarters,
    # among a few thousand unrelated photos.
    near = [_flip(QUERY, rng.sample(range(64), d)) for d in range(21) for _ in range(3)]
    decoys = [f"{rng.getrandbits(64):016x}" for _ in range(3000)]
    await _store(near + decoys)
    everything = {m.public_id: m.phash for m in await Media.objects()}
    for max_distance in (0, 3, 6, 10, 15, 20):
        matches = await service.find_similar(phash=QUERY, max_distance=max_distance, limit=500)
        expected = sorted(
            (phash_distance(QUERY, phash), public_id)
            for public_id, phash in everything.items()
            if phash_distance(QUERY, phash) <= max_distance
        )
        assert [(d, m.public_id) for m, d in matches] == expected, max_distance


async def test_candidates_are_read_through_the_quarter_indexes(database):
    await _store([f"{i:016x}" for i in range(50)])
    query = Media.select(Media.id).where(similar.near_hash(QUERY, 1))
    if ON_POSTGRES:
        async with transaction():
            await db.raw("SET LOCAL enable_seqscan = off")
            plan = "\n".join(str(row) for row in await db.raw(f"EXPLAIN {query}"))
    else:
        plan = "\n".join(str(row) for row in await db.raw(f"EXPLAIN QUERY PLAN {query}"))
    for k in range(similar.QUARTERS):
        assert f"media_phash_q{k}" in plan, plan
