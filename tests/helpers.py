"""Shared test helpers: sign people in through the real HTTP API."""

from __future__ import annotations

import itertools
from dataclasses import dataclass

import httpx

_counter = itertools.count(1)


@dataclass
class Session:
    access: str
    refresh: str
    headers: dict[str, str]
    subject_id: int | None = None


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def assert_problem(response: httpx.Response, status: int, code: str) -> dict:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/problem+json"), response.headers
    body = response.json()
    assert body["code"] == code, body
    assert body["status"] == status
    for member in ("type", "title", "detail"):
        assert body[member], body
    return body


async def _citizen_session(body: dict) -> Session:
    """The session with the account's internal id, which tests use to reach its rows (the
    token names the public id)."""
    import jwt

    from accounts.tables import Citizen

    subject = jwt.decode(body["accessToken"], options={"verify_signature": False})["sub"]
    row = await Citizen.select(Citizen.id).where(Citizen.public_id == subject).first()
    return Session(
        body["accessToken"],
        body["refreshToken"],
        bearer(body["accessToken"]),
        subject_id=row["id"] if row else None,
    )


class Api:
    def __init__(self, client: httpx.AsyncClient, *, wechat_url: str, sms_outbox: list[dict]):
        self.client = client
        self.wechat_url = wechat_url
        self.sms_outbox = sms_outbox

    def __getattr__(self, name):
        # api.get / api.post ... go straight to the test client.
        return getattr(self.client, name)

    def wechat_code(self, openid: str, unionid: str | None = None) -> str:
        """What wx.login gives the mini-program on a phone."""
        response = httpx.post(
            f"{self.wechat_url}/__fake__/login", json={"openid": openid, "unionid": unionid}
        )
        return response.json()["code"]

    def wechat_fail(self, errcode: int, times: int = 1) -> None:
        httpx.post(f"{self.wechat_url}/__fake__/fail", json={"errcode": errcode, "times": times})

    async def citizen(self, openid: str | None = None) -> Session:
        openid = openid or f"openid-{next(_counter)}"
        response = await self.client.post(
            "/api/citizen/auth/wechat", json={"code": self.wechat_code(openid)}
        )
        assert response.status_code == 201, response.text
        return await _citizen_session(response.json())

    async def sms_code(self, phone: str, headers: dict | None = None) -> str:
        response = await self.client.post(
            "/api/citizen/auth/sms/request", json={"phone": phone}, headers=headers or {}
        )
        assert response.status_code == 202, response.text
        return self.sms_outbox[-1]["code"]

    async def citizen_by_phone(self, phone: str) -> Session:
        code = await self.sms_code(phone)
        response = await self.client.post(
            "/api/citizen/auth/sms/verify", json={"phone": phone, "code": code}
        )
        assert response.status_code == 201, response.text
        return await _citizen_session(response.json())

    async def staff(
        self,
        role: str = "inspector",
        username: str | None = None,
        password: str = "correct-horse-battery",
        **fields,
    ) -> Session:
        from accounts.passwords import hash_new_password
        from accounts.service import create_staff
        from core.db import transaction

        username = username or f"{role}{next(_counter)}"
        password_hash = await hash_new_password(password)
        async with transaction():
            staff = await create_staff(
                username=username, password_hash=password_hash, role=role, **fields
            )
        return await staff_login(self.client, username, password, subject_id=staff.id)


async def staff_login(client, username: str, password: str, *, subject_id: int) -> Session:
    response = await client.post(
        "/api/inspector/auth/login", json={"username": username, "password": password}
    )
    assert response.status_code == 201, response.text
    body = response.json()
    return Session(
        body["accessToken"],
        body["refreshToken"],
        bearer(body["accessToken"]),
        subject_id=subject_id,
    )


def jpeg_bytes(
    size: tuple[int, int] = (640, 480), color: tuple[int, int, int] = (90, 120, 60), seed: int = 0
) -> bytes:
    """A small real photo-like JPEG; ``seed`` varies the content (and its perceptual hash)."""
    import io
    import random

    from PIL import Image, ImageDraw

    rng = random.Random(seed)
    image = Image.new("RGB", size, color)
    draw = ImageDraw.Draw(image)
    for _ in range(12):
        x, y = rng.randrange(size[0]), rng.randrange(size[1])
        draw.rectangle(
            [x, y, x + rng.randrange(20, 200), y + rng.randrange(20, 200)],
            fill=(rng.randrange(256), rng.randrange(256), rng.randrange(256)),
        )
    out = io.BytesIO()
    image.save(out, "JPEG", quality=85)
    return out.getvalue()


def with_taken_at(data: bytes, taken_at=None) -> bytes:
    """The JPEG with an EXIF capture time (city time, as phones write it; default: now), as
    a phone's camera photo has: without one a citizen's report earns only once a person
    accepts it (cases.evidence)."""
    import io

    from PIL import Image

    from core import clock

    moment = (taken_at or clock.now()).astimezone(clock.city_zone())
    image = Image.open(io.BytesIO(data))
    exif = Image.Exif()
    exif.get_ifd(0x8769)[0x9003] = moment.strftime("%Y:%m:%d %H:%M:%S")  # DateTimeOriginal
    out = io.BytesIO()
    image.save(out, "JPEG", quality=85, exif=exif)
    return out.getvalue()


async def upload_photo(client, session: Session, *, app: str = "citizen", seed: int = 0) -> str:
    response = await client.post(
        f"/api/{app}/media",
        headers=session.headers,
        files={"file": ("photo.jpg", with_taken_at(jpeg_bytes(seed=seed)), "image/jpeg")},
    )
    assert response.status_code == 201, response.text
    return response.json()["id"]


async def refreshed(client, session: Session) -> Session:
    """A new access token for a session whose token the test let expire (clock.travel)."""
    response = await client.post("/api/auth/refresh", json={"refreshToken": session.refresh})
    assert response.status_code == 201, response.text
    body = response.json()
    return Session(
        body["accessToken"],
        body["refreshToken"],
        bearer(body["accessToken"]),
        subject_id=session.subject_id,
    )


def require_system(name: str, available: bool, reason: str) -> None:
    """A test that needs a system program (chromium, a font): skipped where it is missing,
    but a failure under CITYOPS_TEST_STRICT=1 (CI), where .ci/run must have installed it."""
    import os

    import pytest

    if available:
        return
    message = f"{name} is not installed: {reason}"
    if os.environ.get("CITYOPS_TEST_STRICT") == "1":
        pytest.fail(message)
    pytest.skip(message)
