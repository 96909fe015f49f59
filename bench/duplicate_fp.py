"""False positives and catches of the turned/cropped duplicate-photo check, offline.

Distinct "real-looking" street scenes are drawn with Pillow (bench.scenes: sky gradient,
horizon, buildings with windows, round objects, poles and wires, blur, sensor noise; random
sizes and aspect ratios), no image set needed. For each scene the stored crop hash and the
probes are computed on the 320 px thumbnail as an upload does (media.transforms); then:

- catches: mirrored, flipped, turned, cropped (95/90/85/80 % of each side at a random
  offset), cropped and turned and mirrored, and resized copies, re-encoded as JPEG at
  quality 75: how many come within the distance of their original;
- false positives: every ordered pair of distinct scenes (probes of one against the crop
  hash of the other): the share the check would report at 6/8/10/12/15 bits (a 24-bit
  piece in common, as the indexes need, and that close).

    .venv/bin/python bench/duplicate_fp.py [--scenes 300] [--copies 100]
"""

from __future__ import annotations

import argparse
import random
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.scenes import copies, scene, thumb  # noqa: E402
from media import transforms  # noqa: E402

THRESHOLDS = (6, 8, 10, 12, 15)


def pieces(value: int) -> set[tuple[int, int]]:
    """The indexed 24-bit pieces (media.similar): the first 120 of the 128 bits."""
    return {(k, (value >> (104 - 24 * k)) & 0xFFFFFF) for k in range(5)}


def found(probes: list[int], stored: int) -> int | None:
    """The distance find_turned reports, or None when the indexes give no candidate."""
    if not any(pieces(p) & pieces(stored) for p in probes):
        return None
    return min((p ^ stored).bit_count() for p in probes)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--scenes", type=int, default=300)
    parser.add_argument("--copies", type=int, default=100)
    parser.add_argument("--distance", type=int, default=12)
    args = parser.parse_args()
    rng = random.Random(7)
    stored, probes, best = [], [], {}
    for i in range(args.scenes):
        img = scene(i)
        small = thumb(img)
        stored.append(int(transforms.crop_hash(small), 16))
        probes.append([int(p, 16) for p in transforms.probes(small)])
        if i < args.copies:
            for name, copy in copies(img, rng).items():
                mine = [int(p, 16) for p in transforms.probes(thumb(copy))]
                nearest = found(mine, stored[i])
                best.setdefault(name, []).append(999 if nearest is None else nearest)
    print(f"catches (a piece matches and within {args.distance} bits), {args.copies} scenes:")
    for name, values in best.items():
        values.sort()
        caught = sum(v <= args.distance for v in values)
        median = values[len(values) // 2]
        shown = "no candidate" if median == 999 else f"{median} bits"
        print(f"  {name:26s} {caught:3d}/{len(values)}  median {shown}")
    hits, pairs = dict.fromkeys(THRESHOLDS, 0), 0
    for i, mine in enumerate(probes):
        for j, other in enumerate(stored):
            if i != j:
                pairs += 1
                nearest = found(mine, other)
                for limit in THRESHOLDS:
                    hits[limit] += nearest is not None and nearest <= limit
    print(f"false positives over {pairs:,} ordered pairs of distinct scenes:")
    for limit in THRESHOLDS:
        print(f"  within {limit:2d} bits: {hits[limit]:5d} ({hits[limit] / pairs:.2e} a pair)")


if __name__ == "__main__":
    main()
