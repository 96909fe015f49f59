"""Near-duplicate photos by perceptual hash, found by index instead of by reading them all.

A photo's 64-bit dHash is stored as 16 hex digits, and an expression index covers each of its
four 16-bit quarters (``substr(phash, 1, 4)`` ...; the same SQL on SQLite and PostgreSQL).
Two hashes within ``d`` bits of each other differ in at most ``d // 4`` bits in at least one
quarter (pigeonhole), so every match has a quarter among the few values that close to the
query's: the candidates come from the four indexes, and their exact distance is checked
after. Comparing with every photo of the last 30 days meant reading 600,000 rows per award
at 20,000 cases a day.

The 128-bit crop hash (media.transforms) is searched the same way over eight 16-bit pieces
(multi-index hashing), for all of a new photo's probes in one statement per batch."""

from __future__ import annotations

import itertools
from collections.abc import Sequence

from piccolo.columns.combination import WhereRaw

QUARTERS = 4
QUARTER_BITS = 16
# A quarter radius of 3 asks for 697 values per quarter; past that, read the photos instead.
MAX_QUARTER_RADIUS = 3
CROP_PIECES = 8
# Pieces of the crop hash: radius 1 (17 values a piece) covers 15 bits over 128.
MAX_CROP_RADIUS = 1


def _piece_indexes(column: str, pieces: int, name: str) -> tuple[str, ...]:
    return tuple(
        f"CREATE INDEX IF NOT EXISTS {name}{k} ON media (substr({column}, {4 * k + 1}, 4))"
        for k in range(pieces)
    )


INDEX_STATEMENTS = _piece_indexes("phash", QUARTERS, "media_phash_q")
CROP_INDEX_STATEMENTS = _piece_indexes("crop_hash", CROP_PIECES, "media_crop_p")


def quarter_radius(max_distance: int) -> int | None:
    """How far a quarter of a match may be from the query's, or None if too far to index."""
    radius = max(0, max_distance) // QUARTERS
    return radius if radius <= MAX_QUARTER_RADIUS else None


def crop_radius(max_distance: int) -> int | None:
    """The same for the crop hash's eight pieces."""
    radius = max(0, max_distance) // CROP_PIECES
    return radius if radius <= MAX_CROP_RADIUS else None


def neighbours(quarter: str, radius: int) -> list[str]:
    """Every 16-bit value within ``radius`` bits of ``quarter`` (4 hex digits), as stored."""
    value = int(quarter, 16)
    found = []
    for flipped in range(radius + 1):
        for bits in itertools.combinations(range(QUARTER_BITS), flipped):
            mask = sum(1 << bit for bit in bits)
            found.append(f"{value ^ mask:04x}")
    return found


def _near_any(column: str, pieces: int, hashes: Sequence[str], radius: int) -> WhereRaw:
    terms: list[str] = []
    values: list[str] = []
    for k in range(pieces):
        near = sorted({v for h in hashes for v in neighbours(h[4 * k : 4 * k + 4], radius)})
        terms.append(f"substr({column}, {4 * k + 1}, 4) IN ({', '.join('{}' for _ in near)})")
        values.extend(near)
    return WhereRaw("(" + " OR ".join(terms) + ")", *values)


def near_hash(phash: str, radius: int) -> WhereRaw:
    """A where clause that holds for every photo whose hash may lie within the distance
    ``radius`` was worked out for, and for few others."""
    return _near_any("phash", QUARTERS, [phash], radius)


def near_crop_hashes(hashes: Sequence[str], radius: int) -> WhereRaw:
    """The same for crop hashes near any of ``hashes`` (a photo's probes)."""
    return _near_any("crop_hash", CROP_PIECES, hashes, radius)


def indexable(phash: str) -> bool:
    """A hash as dHash stores them: 16 lowercase hex digits."""
    return len(phash) == 16 and all(c in "0123456789abcdef" for c in phash)


def distance(a: str, b: str) -> int:
    return (int(a, 16) ^ int(b, 16)).bit_count()
