"""A loopback fake of the APNs provider API (HTTP/2 only, served by ``fakes.h2server``).

It checks what Apple checks that matters to us: HTTP/2, the ES256 provider token (signature
when a public key is given, ``kid``/``iss``, an ``iat`` younger than an hour), ``apns-topic``
and a JSON body with ``aps``. ``GET /__fake__/received`` lists what arrived. Tests steer it
through the state object: ``dead`` tokens answer 410 Unregistered or 400 BadDeviceToken for
good; ``failures`` are answered to the next calls; ``delay`` slows every answer down.
"""

from __future__ import annotations

import asyncio
import dataclasses
import threading
import time
import uuid
from dataclasses import dataclass, field

import jwt
import msgspec
from litestar import Litestar, Request, Response, get, post
from litestar.params import FromPath


@dataclass
class Received:
    token: str
    apns_id: str
    topic: str
    priority: str
    payload: dict
    collapse_id: str = ""


@dataclass
class ApnsState:
    public_key: str | None = None
    team_id: str = ""
    key_id: str = ""
    dead: dict[str, tuple[int, str]] = field(default_factory=dict)
    failures: list[tuple[int, str]] = field(default_factory=list)
    delay: float = 0.0
    received: list[Received] = field(default_factory=list)
    provider_tokens: set[str] = field(default_factory=set)
    lock: threading.Lock = field(default_factory=threading.Lock)
    # Bumped by reset(): a slow answer that outlives a test does not leak into the next one.
    generation: int = 0

    def reset(self) -> None:
        with self.lock:
            self.generation += 1
            self.dead.clear()
            self.failures.clear()
            self.delay = 0.0
            self.received.clear()
            self.provider_tokens.clear()

    def fail_next(self, status: int, reason: str, times: int = 1) -> None:
        with self.lock:
            self.failures.extend([(status, reason)] * times)

    def tokens_received(self) -> list[str]:
        with self.lock:
            return [r.token for r in self.received]


def _error(status: int, reason: str) -> Response:
    body: dict = {"reason": reason}
    if status == 410:
        body["timestamp"] = int(time.time() * 1000)
    return Response(content=body, status_code=status, media_type="application/json")


def create_apns_fake(state: ApnsState | None = None) -> Litestar:
    state = state or ApnsState()

    def check_provider_token(header: str) -> tuple[int, str] | None:
        scheme, _, token = header.partition(" ")
        if scheme.lower() != "bearer" or not token:
            return 403, "MissingProviderToken"
        try:
            head = jwt.get_unverified_header(token)
            if head.get("alg") != "ES256" or (state.key_id and head.get("kid") != state.key_id):
                return 403, "InvalidProviderToken"
            if state.public_key:
                claims = jwt.decode(
                    token, state.public_key, algorithms=["ES256"], options={"verify_iat": False}
                )
            else:
                claims = jwt.decode(token, options={"verify_signature": False})
        except jwt.PyJWTError:
            return 403, "InvalidProviderToken"
        if state.team_id and claims.get("iss") != state.team_id:
            return 403, "InvalidProviderToken"
        if int(claims.get("iat", 0)) < time.time() - 3600:
            return 403, "ExpiredProviderToken"
        with state.lock:
            state.provider_tokens.add(token)
        return None

    @post("/3/device/{token:str}", status_code=200)
    async def push(request: Request, token: FromPath[str]) -> Response:
        # Read the whole body before answering: hypercorn's HTTP/2 stream handling breaks
        # when a response ends a stream whose request data is still arriving.
        raw_body = await request.body()
        if request.scope.get("http_version") != "2":
            return Response(content={"reason": "HTTP/2 required"}, status_code=505)
        generation = state.generation
        if state.delay:
            await asyncio.sleep(state.delay)
            if generation != state.generation:
                return _error(503, "ServiceUnavailable")
        problem = check_provider_token(request.headers.get("authorization", ""))
        if problem:
            return _error(*problem)
        topic = request.headers.get("apns-topic", "")
        if not topic:
            return _error(400, "MissingTopic")
        try:
            payload = msgspec.json.decode(raw_body)
        except msgspec.DecodeError:
            return _error(400, "BadPayload")
        if not isinstance(payload, dict) or "aps" not in payload:
            return _error(400, "PayloadEmpty")
        with state.lock:
            failure = state.failures.pop(0) if state.failures else None
            dead = state.dead.get(token)
        if failure:
            return _error(*failure)
        if dead:
            return _error(*dead)
        apns_id = request.headers.get("apns-id") or str(uuid.uuid4())
        with state.lock:
            state.received.append(
                Received(
                    token,
                    apns_id,
                    topic,
                    request.headers.get("apns-priority", "10"),
                    payload,
                    request.headers.get("apns-collapse-id", ""),
                )
            )
        return Response(content=b"", status_code=200, headers={"apns-id": apns_id})

    @get("/__fake__/received")
    async def received() -> list[dict]:
        """What arrived, for a test or a person (``curl --http2-prior-knowledge``)."""
        with state.lock:
            return [dataclasses.asdict(r) for r in state.received]

    app = Litestar(route_handlers=[push, received], openapi_config=None)
    app.state.fake = state
    return app
