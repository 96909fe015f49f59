"""False positives and catches of the turned/cropped duplicate-photo check, offline.

Distinct "real-looking" street scenes are drawn with Pillow (sky gradient, horizon,
buildings with windows, round objects, poles and wires, blur, sensor noise; random sizes and
aspect ratios), no image set needed. For each scene the stored crop hash and the probes are
computed on the 320 px thumbnail as an upload does (media.transforms); then:

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
import io
import random
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from PIL import Image, ImageDraw, ImageFilter  # noqa: E402

from media import transforms  # noqa: E402

T = Image.Transpose
THRESHOLDS = (6, 8, 10, 12, 15)


def scene(seed: int) -> Image.Image:
    rng = random.Random(seed)
    w, h = rng.choice([(640, 480), (480, 640), (800, 600), (600, 600)])
    img = Image.new("RGB", (w, h))
    d = ImageDraw.Draw(img)
    horizon = rng.randrange(h // 4, 3 * h // 4)
    top = [rng.randrange(120, 230) for _ in range(3)]
    bottom = [rng.randrange(40, 160) for _ in range(3)]
    for y in range(horizon):
        d.line([(0, y), (w, y)], fill=tuple(int(c * (1 - 0.4 * y / horizon)) for c in top))
    for y in range(horizon, h):
        shade = 0.7 + 0.3 * (y - horizon) / (h - horizon)
        d.line([(0, y), (w, y)], fill=tuple(int(c * shade) for c in bottom))
    for _ in range(rng.randrange(3, 12)):
        x, bw, bh = rng.randrange(-50, w), rng.randrange(30, 200), rng.randrange(40, horizon + 20)
        colour = tuple(rng.randrange(40, 220) for _ in range(3))
        d.rectangle([x, horizon - bh, x + bw, horizon], fill=colour)
        lit = tuple(min(255, c + 40) for c in colour)
        for wx in range(x + 5, x + bw - 10, 20):
            for wy in range(horizon - bh + 5, horizon - 10, 25):
                if rng.random() < 0.6:
                    d.rectangle([wx, wy, wx + 8, wy + 12], fill=lit)
    for _ in range(rng.randrange(0, 6)):
        x, y, r = rng.randrange(w), rng.randrange(horizon, h), rng.randrange(10, 80)
        d.ellipse([x - r, y - r, x + r, y + r], fill=tuple(rng.randrange(256) for _ in range(3)))
    for _ in range(rng.randrange(0, 5)):
        ends = [(rng.randrange(w), rng.randrange(h)), (rng.randrange(w), rng.randrange(h))]
        d.line(ends, fill=tuple(rng.randrange(256) for _ in range(3)), width=rng.randrange(2, 12))
    img = img.filter(ImageFilter.GaussianBlur(rng.uniform(0.5, 2)))
    noise = Image.effect_noise((w, h), rng.uniform(5, 25)).convert("RGB")
    return Image.blend(img, noise, 0.08)


def thumb(img: Image.Image) -> Image.Image:
    """Re-encoded at quality 75 and shrunk to the 320 px thumbnail the hashes are taken of."""
    out = io.BytesIO()
    img.save(out, "JPEG", quality=75)
    img = Image.open(io.BytesIO(out.getvalue())).convert("RGB")
    side = max(img.size)
    return img.resize((max(1, img.width * 320 // side), max(1, img.height * 320 // side)))


def copies(img: Image.Image, rng: random.Random) -> dict[str, Image.Image]:
    w, h = img.size
    out = {
        name: img.transpose(t)
        for name, t in (
            ("mirror", T.FLIP_LEFT_RIGHT),
            ("flip", T.FLIP_TOP_BOTTOM),
            ("rot90", T.ROTATE_90),
            ("rot180", T.ROTATE_180),
            ("rot270", T.ROTATE_270),
        )
    }

    def cut(f: float) -> Image.Image:
        cw, ch = int(w * f), int(h * f)
        x, y = rng.randrange(0, w - cw + 1), rng.randrange(0, h - ch + 1)
        return img.crop((x, y, x + cw, y + ch))

    for f in (0.95, 0.9, 0.85, 0.8):
        out[f"crop {f:.0%}"] = cut(f)
    out["crop 85% + rot90 + mirror"] = cut(0.85).transpose(T.ROTATE_90).transpose(T.FLIP_LEFT_RIGHT)
    out["resized to half"] = img.resize((w // 2, h // 2))
    return out


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
