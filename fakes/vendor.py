"""What the loopback fakes of the Android push vendors share: issued access tokens with an
expiry, the state tests and people steer, and the ``/__fake__`` control routes.

Control (not part of any vendor's API), on every vendor fake:
``GET /__fake__/received`` what arrived (the vendor's request bodies, newest last);
``POST /__fake__/dead {"token"}`` makes a device token invalid (the vendor's "token gone");
``POST /__fake__/fail {"code", "status", "times"}`` answers the next sends with the vendor's
error ``code`` (or a bare HTTP ``status``); ``POST /__fake__/quota {"remaining"}`` lets that
many more pushes through today, then answers the vendor's quota error;
``POST /__fake__/expire-tokens`` revokes every access token (the vendor's "token expired");
``GET /__fake__/token-calls``; ``POST /__fake__/reset``.
"""

from __future__ import annotations

import secrets
import threading
import time
from dataclasses import dataclass, field
from typing import Any

import msgspec
from litestar import get, post
from litestar.params import JSONBody

# What the fake answers a send with, before the vendor renders it: None is success.
Verdict = tuple[str, Any] | None  # ("auth"|"dead"|"quota"|"fail", detail)


@dataclass
class VendorState:
    token_ttl: int = 3600
    tokens: dict[str, float] = field(default_factory=dict)  # access token -> expiry
    revoked: set[str] = field(default_factory=set)  # tokens that were valid, then expired
    token_calls: int = 0
    dead: set[str] = field(default_factory=set)
    failures: list[dict] = field(default_factory=list)
    quota: int | None = None  # pushes left today; None: no limit
    received: list[dict] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def reset(self) -> None:
        with self.lock:
            self.tokens.clear()
            self.revoked.clear()
            self.token_calls = 0
            self.dead.clear()
            self.failures.clear()
            self.quota = None
            self.received.clear()

    def issue_token(self, prefix: str) -> str:
        token = f"{prefix}-{secrets.token_urlsafe(18)}"
        with self.lock:
            self.token_calls += 1
            self.tokens[token] = time.time() + self.token_ttl
        return token

    def token_valid(self, token: str) -> bool:
        with self.lock:
            return self.tokens.get(token, 0) > time.time()

    def expire_tokens(self) -> None:
        with self.lock:
            self.revoked |= set(self.tokens)
            self.tokens.clear()

    def fail_next(self, code: Any = None, *, status: int | None = None, times: int = 1) -> None:
        with self.lock:
            self.failures.extend([{"code": code, "status": status}] * times)

    def verdict(self, *, authorized: bool, target: str, body: Any) -> Verdict:
        """What a send gets, checked in the vendor's order: credentials, a queued failure,
        the device token, the day's quota; success records the body."""
        if not authorized:
            return ("auth", None)
        with self.lock:
            if self.failures:
                return ("fail", self.failures.pop(0))
            if target in self.dead:
                return ("dead", target)
            if self.quota is not None:
                if self.quota <= 0:
                    return ("quota", None)
                self.quota -= 1
            self.received.append(body)
        return None

    def targets(self, key) -> list[str]:
        with self.lock:
            return [key(body) for body in self.received]


class DeadIn(msgspec.Struct):
    token: str


class FailIn(msgspec.Struct):
    code: int | str | None = None
    status: int | None = None
    times: int = 1


class QuotaIn(msgspec.Struct):
    remaining: int


def control_routes(state: VendorState) -> list:
    @get("/__fake__/received")
    async def received() -> list[dict]:
        with state.lock:
            return list(state.received)

    @post("/__fake__/dead", status_code=200)
    async def dead(data: JSONBody[DeadIn]) -> dict:
        with state.lock:
            state.dead.add(data.token)
        return {"dead": data.token}

    @post("/__fake__/fail", status_code=200)
    async def fail(data: JSONBody[FailIn]) -> dict:
        state.fail_next(data.code, status=data.status, times=data.times)
        return {"queued": len(state.failures)}

    @post("/__fake__/quota", status_code=200)
    async def quota(data: JSONBody[QuotaIn]) -> dict:
        with state.lock:
            state.quota = data.remaining
        return {"remaining": data.remaining}

    @post("/__fake__/expire-tokens", status_code=200)
    async def expire_tokens() -> dict:
        state.expire_tokens()
        return {"expired": True}

    @get("/__fake__/token-calls")
    async def token_calls() -> dict:
        return {"calls": state.token_calls}

    @post("/__fake__/reset", status_code=200)
    async def reset() -> dict:
        state.reset()
        return {"reset": True}

    return [received, dead, fail, quota, expire_tokens, token_calls, reset]
