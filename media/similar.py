"""Near-duplicate photos by perceptual hash, found by index instead of by reading them all.

A photo's 64-bit dHash is stored as 16 hex digits, and an expression index covers each of its
four 16-bit quarters (``substr(phash, 1, 4)`` ...; the same SQL on SQLite and PostgreSQL).
Two hashes within ``d`` bits of each other differ in at most ``d // 4`` bits in at least one
quarter (pigeonhole), so every match has a quarter among the few values that close to the
query's: the candidates come from the four indexes, and their exact distance is checked
after. Comparing with every photo of the last 30 days meant reading 600,000 rows per award
at 20,000 cases a day.

The 128-bit crop hash (media.transforms) is searched with a few hundred probes a photo, so
its pieces must be long for the candidates to stay few: five 24-bit pieces (the first 120
bits), each looked up for exact equality. A copy within 4 bits of a probe has a piece equal
to it (pigeonhole); farther copies (a cropped one is often 8-14 bits away) are found when one
of their pieces came through clean, which the many neighbouring probes make likely, not
certain (bench/duplicate_fp.py measures how often). Random candidates: about 600,000 / 2^24
per value, some 75 per check over a 30-day window, instead of a large share of the window
with 16-bit pieces and a radius."""

from __future__ import annotations

import itertools
from collections.abc import Sequence

from piccolo.columns.combination import WhereRaw

QUARTERS = 4
QUARTER_BITS = 16
# A quarter radius of 3 asks for 697 values per quarter; past that, read the photos instead.
MAX_QUARTER_RADIUS = 3
CROP_PIECES = 5
CROP_PIECE_DIGITS = 6  # 24 bits


def _piece_indexes(column: str, pieces: int, digits: int, name: str) -> tuple[str, ...]:
    return tuple(
        f"CREATE INDEX IF NOT EXISTS {name}{k} ON media "
        f"(substr({column}, {digits * k + 1}, {digits}))"
        for k in range(pieces)
    )


INDEX_STATEMENTS = _piece_indexes("phash", QUARTERS, 4, "media_phash_q")
CROP_INDEX_STATEMENTS = _piece_indexes("crop_hash", CROP_PIECES, CROP_PIECE_DIGITS, "media_crop_p")


def quarter_radius(max_distance: int) -> int | None:
    """How far a quarter of a match may be from the query's, or None if too far to index."""
    radius = max(0, max_distance) // QUARTERS
    return radius if radius <= MAX_QUARTER_RADIUS else None


def neighbours(quarter: str, radius: int) -> list[str]:
    """Every 16-bit value within ``radius`` bits of ``quarter`` (4 hex digits), as stored."""
    value = int(quarter, 16)
    found = []
    for flipped in range(radius + 1):
        for bits in itertools.combinations(range(QUARTER_BITS), flipped):
            mask = sum(1 << bit for bit in bits)
            found.append(f"{value ^ mask:04x}")
    return found


def _any_piece(column: str, digits: int, pieces: list[list[str]]) -> WhereRaw:
    """Rows where piece ``k`` of ``column`` is one of ``pieces[k]``."""
    terms: list[str] = []
    values: list[str] = []
    for k, near in enumerate(pieces):
        placeholders = ", ".join("{}" for _ in near)
        terms.append(f"substr({column}, {digits * k + 1}, {digits}) IN ({placeholders})")
        values.extend(near)
    return WhereRaw("(" + " OR ".join(terms) + ")", *values)


def near_hash(phash: str, radius: int) -> WhereRaw:
    """A where clause that holds for every photo whose hash may lie within the distance
    ``radius`` was worked out for, and for few others."""
    pieces = [neighbours(phash[4 * k : 4 * k + 4], radius) for k in range(QUARTERS)]
    return _any_piece("phash", 4, pieces)


def near_crop_hashes(hashes: Sequence[str]) -> WhereRaw:
    """Rows whose crop hash shares a whole 24-bit piece with one of ``hashes`` (a photo's
    probes)."""
    d = CROP_PIECE_DIGITS
    pieces = [sorted({h[d * k : d * k + d] for h in hashes}) for k in range(CROP_PIECES)]
    return _any_piece("crop_hash", d, pieces)


def indexable(phash: str) -> bool:
    """A hash as dHash stores them: 16 lowercase hex digits."""
    return len(phash) == 16 and all(c in "0123456789abcdef" for c in phash)


def distance(a: str, b: str) -> int:
    return (int(a, 16) ^ int(b, 16)).bit_count()
