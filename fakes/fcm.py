"""A loopback fake of FCM HTTP v1 (``/v1/projects/{project}/messages:send``) and of the Google
OAuth 2.0 token endpoint that firebase-admin's service-account credential calls.

Errors use FCM's JSON shape (``error.status`` and an ``FcmError`` detail with ``errorCode``)
so firebase-admin maps them to its own exceptions exactly as it does for Google's answers.
``GET /__fake__/received`` lists the messages that arrived.
"""

from __future__ import annotations

import asyncio
import secrets
import threading
import time
from dataclasses import dataclass, field

import jwt
import msgspec
from litestar import Litestar, Request, Response, get, post
from litestar.params import FromPath

_STATUS = {
    400: "INVALID_ARGUMENT",
    403: "PERMISSION_DENIED",
    404: "NOT_FOUND",
    429: "RESOURCE_EXHAUSTED",
    500: "INTERNAL",
    503: "UNAVAILABLE",
}
# The errorCode FCM sends for each HTTP status we simulate.
_ERROR_CODE = {
    "UNREGISTERED": 404,
    "SENDER_ID_MISMATCH": 403,
    "INVALID_ARGUMENT": 400,
    "QUOTA_EXCEEDED": 429,
    "INTERNAL": 500,
    "UNAVAILABLE": 503,
}


@dataclass
class FcmState:
    project_id: str = "cityops-demo"
    dead: dict[str, str] = field(default_factory=dict)  # token -> errorCode
    failures: list[str] = field(default_factory=list)  # errorCodes for the next calls
    delay: float = 0.0
    arrived: int = 0  # sends that reached the fake, answered or still delayed
    received: list[dict] = field(default_factory=list)
    access_tokens: dict[str, float] = field(default_factory=dict)
    token_calls: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)
    # Bumped by reset(): a slow answer that outlives a test does not leak into the next one.
    generation: int = 0

    def reset(self) -> None:
        with self.lock:
            self.generation += 1
            self.dead.clear()
            self.failures.clear()
            self.delay = 0.0
            self.arrived = 0
            self.received.clear()
            self.access_tokens.clear()
            self.token_calls = 0

    def fail_next(self, error_code: str, times: int = 1) -> None:
        with self.lock:
            self.failures.extend([error_code] * times)

    def tokens_received(self) -> list[str]:
        with self.lock:
            return [m["message"]["token"] for m in self.received]


def _error(error_code: str) -> Response:
    status = _ERROR_CODE.get(error_code, 500)
    body = {
        "error": {
            "code": status,
            "message": f"fake {error_code}",
            "status": _STATUS.get(status, "INTERNAL"),
            "details": [
                {
                    "@type": "type.googleapis.com/google.firebase.fcm.v1.FcmError",
                    "errorCode": error_code,
                }
            ],
        }
    }
    return Response(content=body, status_code=status)


def create_fcm_fake(state: FcmState | None = None) -> Litestar:
    state = state or FcmState()

    @post("/token", status_code=200)
    async def token(request: Request) -> Response:
        form = await request.form()
        if form.get("grant_type") != "urn:ietf:params:oauth:grant-type:jwt-bearer":
            return Response(content={"error": "unsupported_grant_type"}, status_code=400)
        try:
            jwt.decode(form.get("assertion", ""), options={"verify_signature": False})
        except jwt.PyJWTError:
            return Response(content={"error": "invalid_grant"}, status_code=400)
        access = "ya29.fake-" + secrets.token_urlsafe(16)
        with state.lock:
            state.token_calls += 1
            state.access_tokens[access] = time.time() + 3600
        return Response(
            content={"access_token": access, "expires_in": 3600, "token_type": "Bearer"},
            status_code=200,
        )

    @post("/v1/projects/{project:str}/messages:send", status_code=200)
    async def send(request: Request, project: FromPath[str]) -> Response:
        generation = state.generation
        with state.lock:
            state.arrived += 1
        if state.delay:
            await asyncio.sleep(state.delay)
            if generation != state.generation:
                return _error("UNAVAILABLE")
        scheme, _, access = request.headers.get("authorization", "").partition(" ")
        with state.lock:
            valid = state.access_tokens.get(access, 0) > time.time()
        if scheme.lower() != "bearer" or not valid:
            return Response(
                content={
                    "error": {
                        "code": 401,
                        "message": "invalid credentials",
                        "status": "UNAUTHENTICATED",
                    }
                },
                status_code=401,
            )
        if project != state.project_id:
            return _error("SENDER_ID_MISMATCH")
        try:
            body = msgspec.json.decode(await request.body())
            target = body["message"]["token"]
        except (msgspec.DecodeError, KeyError, TypeError):
            return _error("INVALID_ARGUMENT")
        with state.lock:
            failure = state.failures.pop(0) if state.failures else None
            dead = state.dead.get(target)
        if failure:
            return _error(failure)
        if dead:
            return _error(dead)
        with state.lock:
            state.received.append(body)
            number = len(state.received)
        return Response(content={"name": f"projects/{project}/messages/{number}"}, status_code=200)

    @get("/__fake__/received")
    async def received() -> list[dict]:
        with state.lock:
            return list(state.received)

    app = Litestar(route_handlers=[token, send, received], openapi_config=None)
    app.state.fake = state
    return app
