"""A loopback receiver of webhooks, as a 12345 platform would run one: it checks each POST's
``X-Cityops-Signature`` (t=<unix>,v1=<hex HMAC-SHA256 of "<t>.<body>">) with its own code,
not ours, and refuses a bad or stale signature with 401.

Control routes: ``POST /__fake__/secret {"secret"}`` (the one shown at registration),
``POST /__fake__/fail {"status", "times"}`` (answer the next ``times`` POSTs with
``status``), ``GET /__fake__/received`` (the verified bodies, oldest first)."""

from __future__ import annotations

import hashlib
import hmac
import json
import time

from litestar import Litestar, Request, Response, get, post
from litestar.params import JSONBody


class ReceiverState:
    def __init__(self) -> None:
        self.secret = ""
        self.fail_status = 0
        self.fail_times = 0
        self.received: list[dict] = []
        self.refused = 0


def _valid(secret: str, body: bytes, header: str) -> bool:
    fields = dict(part.split("=", 1) for part in header.split(",") if "=" in part)
    if not fields.get("t", "").isdigit() or abs(time.time() - int(fields["t"])) > 300:
        return False
    expected = hmac.new(secret.encode(), fields["t"].encode() + b"." + body, hashlib.sha256)
    return hmac.compare_digest(expected.hexdigest(), fields.get("v1", ""))


def create_webhook_receiver() -> Litestar:
    state = ReceiverState()

    @post("/hook", status_code=200)
    async def hook(request: Request) -> Response:
        body = await request.body()
        if state.fail_times > 0:
            state.fail_times -= 1
            return Response(b"failing", status_code=state.fail_status)
        if not _valid(state.secret, body, request.headers.get("x-cityops-signature", "")):
            state.refused += 1
            return Response(b"bad signature", status_code=401)
        state.received.append(
            {"event": request.headers.get("x-cityops-event"), "body": json.loads(body)}
        )
        return Response(b"ok", status_code=200)

    @post("/__fake__/secret", status_code=204)
    async def set_secret(data: JSONBody[dict]) -> None:
        state.secret = data["secret"]

    @post("/__fake__/fail", status_code=204)
    async def fail(data: JSONBody[dict]) -> None:
        state.fail_status, state.fail_times = int(data["status"]), int(data.get("times", 1))

    @get("/__fake__/received")
    async def received() -> dict:
        return {"received": state.received, "refused": state.refused}

    return Litestar([hook, set_secret, fail, received])
