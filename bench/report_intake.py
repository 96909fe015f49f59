"""Report intake benchmark.

Photo part: the server time to accept one 12-megapixel JPEG through ``POST /api/citizen/media``
(real app under uvicorn on loopback, SQLite in a temp dir, local media storage), against the
bare Pillow pipeline (open, orient, strip, two resizes, encode) on the same bytes in this
process, in the same run, interleaved so that machine noise hits both alike. Target: ratio
<= 1.3.

Reports per second and report-to-dispatched latency are bench/reports.py's (wrk).

    .venv/bin/python bench/report_intake.py [--runs 10]
"""

from __future__ import annotations

import argparse
import io
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

JWT_SECRET = "bench-jwt-secret-0123456789-0123456789-0123456789"


def make_photo() -> bytes:
    """4000x3000 like a phone camera: gradients plus sensor-like noise (so it does not
    compress to nothing), stored sideways with EXIF Orientation 6, GPS and capture time."""
    from PIL import Image

    size = (4000, 3000)
    gradient = Image.linear_gradient("L").rotate(90).resize(size)
    base = Image.merge(
        "RGB",
        (
            gradient,
            gradient.transpose(Image.Transpose.FLIP_LEFT_RIGHT),
            Image.linear_gradient("L").resize(size),
        ),
    )
    photo = Image.blend(base, Image.effect_noise(size, 40).convert("RGB"), 0.22)
    exif = Image.Exif()
    exif[0x010F], exif[0x0110], exif[0x0112] = "Bench", "Phone 12MP", 6
    gps = exif.get_ifd(0x8825)
    gps[1], gps[2], gps[3], gps[4] = "N", (33.0, 50.0, 40.5), "E", (115.0, 46.0, 48.2)
    exif.get_ifd(0x8769)[0x9003] = "2026:11:20 09:15:00"
    out = io.BytesIO()
    photo.save(out, "JPEG", quality=90, exif=exif)
    return out.getvalue()


def bare_pipeline(data: bytes, *, draft: bool) -> tuple[bytes, bytes]:
    """What any Pillow service must do at least: open, orient, strip, display + thumbnail,
    encode. ``draft`` lets libjpeg decode at reduced scale, as the service does."""
    from PIL import Image, ImageOps

    image = Image.open(io.BytesIO(data))
    if draft:
        image.draft("RGB", (1600, 1600 * image.height // image.width))
    image = ImageOps.exif_transpose(image)
    image.info = {}  # strip: nothing of the original's metadata goes into save()
    display = image.resize(_fit(image.size, 1600), Image.Resampling.LANCZOS, reducing_gap=3.0)
    thumb = display.resize(_fit(display.size, 400), Image.Resampling.LANCZOS, reducing_gap=2.0)
    encoded = []
    for picture in (display, thumb):
        out = io.BytesIO()
        picture.save(out, "JPEG", quality=85, progressive=True)
        encoded.append(out.getvalue())
    return encoded[0], encoded[1]


def _fit(size: tuple[int, int], side: int) -> tuple[int, int]:
    scale = min(1.0, side / max(size))
    return round(size[0] * scale), round(size[1] * scale)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _environment(workdir: Path) -> dict[str, str]:
    return {
        **os.environ,
        "CITYOPS_ENV": "development",
        "CITYOPS_VAR_DIR": str(workdir),
        "CITYOPS_DATABASE_URL": f"sqlite:///{workdir}/bench.db",
        "CITYOPS_JWT_SECRET": JWT_SECRET,
        "CITYOPS_LOG_LEVEL": "WARNING",
        "PYTHONPATH": str(ROOT),
    }


def _citizen_token(env: dict[str, str]) -> str:
    """Create a citizen and mint its access token here (the SMS flow would need the code)."""
    os.environ.update({k: v for k, v in env.items() if k.startswith("CITYOPS_")})
    import asyncio

    from accounts.tables import Citizen
    from accounts.tokens import issue_access_token
    from core import clock, db
    from core.ids import public_id
    from core.settings import reload_settings

    settings = reload_settings()

    async def create() -> str:
        await db.open_pool(settings)
        citizen = Citizen(
            public_id=public_id("c"), created_at=clock.now(), last_seen_at=clock.now()
        )
        await citizen.save()
        await db.close_pool()
        return citizen.public_id

    subject = asyncio.run(create())
    token, _ = issue_access_token(subject=subject, role="citizen", audience="citizen")
    return token


def _multipart(data: bytes) -> tuple[bytes, str]:
    boundary = "benchboundary7MA4YWxkTrZu0gW"
    head = (
        f'--{boundary}\r\nContent-Disposition: form-data; name="file"; '
        f'filename="IMG_0001.jpg"\r\nContent-Type: image/jpeg\r\n\r\n'
    ).encode()
    return head + data + f"\r\n--{boundary}--\r\n".encode(), boundary


def photo_intake(runs: int) -> dict[str, float]:
    import httpx

    from media import images

    photo = make_photo()
    workdir = Path(tempfile.mkdtemp(prefix="cityops-bench-"))
    env = _environment(workdir)
    subprocess.run(
        [sys.executable, "-c", "from api.cli import main; main(['migrate'])"],  # noqa: S603
        env=env,
        check=True,
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
    )
    token = _citizen_token(env)
    port = _free_port()
    server = subprocess.Popen(  # noqa: S603 - our own app, fixed arguments
        [
            sys.executable,
            "-m",
            "uvicorn",
            "api.asgi:app",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--log-level",
            "warning",
            "--no-access-log",
        ],
        env=env,
        cwd=ROOT,
    )
    base = f"http://127.0.0.1:{port}"
    body, boundary = _multipart(photo)
    headers = {
        "Authorization": f"Bearer {token}",
        "Content-Type": f"multipart/form-data; boundary={boundary}",
    }
    try:
        with httpx.Client(base_url=base, timeout=60) as client:
            for _ in range(100):
                try:
                    if client.get("/healthz").status_code == 200:
                        break
                except httpx.TransportError:
                    time.sleep(0.1)
            else:
                raise SystemExit("the server did not start")

            def upload() -> None:
                response = client.post("/api/citizen/media", content=body, headers=headers)
                assert response.status_code == 201, response.text

            # Warm up both sides (imports, thread pools, connection, page cache).
            for _ in range(2):
                upload()
                bare_pipeline(photo, draft=True)
                bare_pipeline(photo, draft=False)
                images.process(photo)

            timings: dict[str, list[float]] = {"server": [], "bare": [], "naive": [], "service": []}
            steps = (
                ("server", upload),
                ("bare", lambda: bare_pipeline(photo, draft=True)),
                ("naive", lambda: bare_pipeline(photo, draft=False)),
                ("service", lambda: images.process(photo)),
            )
            for _ in range(runs):
                for name, step in steps:
                    started = time.perf_counter()
                    step()
                    timings[name].append(time.perf_counter() - started)
    finally:
        server.terminate()
        server.wait(timeout=10)

    medians = {name: statistics.median(values) * 1000 for name, values in timings.items()}
    medians["photo_bytes"] = len(photo)
    return medians


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=10)
    args = parser.parse_args()
    figures = photo_intake(args.runs)
    ratio = figures["server"] / figures["bare"]
    print(
        f"photo intake: 4000x3000 JPEG, {figures['photo_bytes'] / 1e6:.2f} MB, "
        f"EXIF orientation 6 + GPS; median of {args.runs} runs each, interleaved"
    )
    print(f"  server  POST /api/citizen/media (loopback, client-side)  {figures['server']:8.1f} ms")
    print(f"  bare    Pillow pipeline in-process (draft decode)        {figures['bare']:8.1f} ms")
    print(f"  naive   Pillow pipeline in-process (full decode)         {figures['naive']:8.1f} ms")
    print(
        f"  service media.images.process in-process (+hash, hints)   {figures['service']:8.1f} ms"
    )
    print(
        f"  ratio server / bare  = {ratio:.2f}  (target <= 1.3: "
        f"{'PASS' if ratio <= 1.3 else 'FAIL'})"
    )
    print(f"  ratio server / naive = {figures['server'] / figures['naive']:.2f}")


if __name__ == "__main__":
    main()
