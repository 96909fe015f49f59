"""Perceptual hashes that survive mirroring, rotation and moderate cropping.

The plain hash (``images.dhash`` of the whole photo) changes completely when a photo is
flipped, turned or cropped, so one photo could earn points again and again. Each photo now
also stores the dHash of its *centre crop* (the middle ``CROP`` of each side, squeezed to a
square): one indexed value per photo, in its own orientation. A new photo is checked with
``probes``: the same crop, at a few wider fractions, under all 8 turns and mirrors (the
dihedral group of the square). If the new photo is a stored one turned, mirrored, or cut
down to 80-100 % of each side, one probe lands within a few bits of the stored crop hash:

- turning or mirroring commutes with taking a centred square crop, so the probe whose
  transform undoes the copy's sees the original's pixels;
- a copy cut to a fraction ``f`` of each side has the original's middle ``CROP`` at
  ``CROP / f`` of its own: ``SCALES`` covers f = 1, 0.9 and 0.8; crops off centre or in
  between shift the crop by a few percent, which dHash tolerates.

Probes are computed at upload (the image is decoded then) and kept with the photo, so the
check at award time reads no image; every probe goes through the hash-quarter indexes
(media.similar), never a scan of the window."""

from __future__ import annotations

import math

from PIL import Image

from media import images  # images imports this module: use it at call time

CROP = 0.7
# Copies cut down to these fractions of each side are looked for; in a copy cut to ``f`` the
# original's crop spans ``CROP / f`` of the side, starting anywhere the cut allows, so each
# fraction is probed at offsets along that range, ``STEP`` apart.
CUTS = (1.0, 0.9, 0.8)
STEP = 0.04
SQUARE = 32  # the crop is squeezed to a square before turning it: rotations keep its shape
_T = Image.Transpose
DIHEDRAL = (
    None,
    _T.FLIP_LEFT_RIGHT,
    _T.FLIP_TOP_BOTTOM,
    _T.ROTATE_90,
    _T.ROTATE_180,
    _T.ROTATE_270,
    _T.TRANSPOSE,
    _T.TRANSVERSE,
)


def _offsets(cut: float) -> tuple[float, ...]:
    """Where the original's crop may start in a copy cut to ``cut`` (fraction of the copy's
    side), for cuts that keep all of it: the cut removed 0..(1 - cut) before the crop.
    Spaced at most ``STEP`` apart: dHash shrugs off a shift of about a third of a cell."""
    lost = 1 - cut
    margin = (1 - CROP) / 2
    low, high = max(margin - lost, 0) / cut, margin / cut
    steps = math.ceil((high - low) / STEP - 1e-9)
    if steps <= 0:
        return (low,)
    return tuple(low + (high - low) * i / steps for i in range(steps + 1))


def windows() -> list[tuple[float, float, float]]:
    """(size, left, top) of every probed crop, as fractions of the new photo's sides."""
    found = []
    for cut in CUTS:
        size = CROP / cut
        found += [(size, x, y) for x in _offsets(cut) for y in _offsets(cut)]
    return found


WINDOWS = windows()


def _square(image: Image.Image, size: float, left: float, top: float) -> Image.Image:
    width, height = image.size
    right, bottom = min(left + size, 1.0), min(top + size, 1.0)  # rounding may pass the edge
    box = (width * left, height * top, width * right, height * bottom)
    return image.convert("L").resize((SQUARE, SQUARE), Image.Resampling.LANCZOS, box=box)


def _hash(square: Image.Image) -> str:
    """128 bits as 32 hex digits: the dHash across the square, then the dHash down it (the
    crop hash's second half halves the chance that two different photos look alike)."""
    return images.dhash(square) + images.dhash(square.transpose(Image.Transpose.TRANSPOSE))


def crop_hash(image: Image.Image) -> str:
    """The stored hash: of the centre crop, as the photo stands."""
    margin = (1 - CROP) / 2
    return _hash(_square(image.convert("L"), CROP, margin, margin))


def probes(image: Image.Image) -> list[str]:
    """The hashes a new photo is looked up by: every turn and mirror of its crop at every
    window (duplicates dropped; the first is ``crop_hash(image)``)."""
    found: list[str] = []
    grey = image.convert("L")
    for size, left, top in WINDOWS:
        square = _square(grey, size, left, top)
        for transform in DIHEDRAL:
            value = _hash(square if transform is None else square.transpose(transform))
            if value not in found:
                found.append(value)
    return found
