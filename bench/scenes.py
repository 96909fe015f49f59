"""Distinct synthetic street scenes drawn with Pillow (sky gradient, horizon, buildings with
windows, round objects, poles and wires, blur, sensor noise; random sizes and aspect ratios)
and the near-copies a farmer would re-upload: mirrored, flipped, turned, cropped, resized.
Shared by bench/duplicate_fp.py (offline catches and false positives) and
bench/photo_window.py (near-copies planted in a 600,000-photo window on PostgreSQL)."""

from __future__ import annotations

import io
import random

from PIL import Image, ImageDraw, ImageFilter

T = Image.Transpose


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
