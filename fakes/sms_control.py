"""What the SMS vendor fakes share: an account, the messages they accepted, and the test
control routes (not part of any vendor's API):

``GET /__fake__/received``: every text accepted, oldest first (phone, sign name, template,
parameters); ``POST /__fake__/fail {"error", "times"}``: answer the next sends with that
vendor error, ``error`` one of invalid_phone, template, rate_limited, balance,
unavailable (``times`` 0 or less: until reset); ``POST /__fake__/delay {"seconds"}``;
``POST /__fake__/reset``; ``GET /__fake__/calls``: send requests seen, signed or not.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass, field

import msgspec
from litestar import Litestar, Request, Response, get, post
from litestar.params import JSONBody

Verify = Callable[["SmsFakeState", Request, bytes], Response | None]
ERRORS = ("invalid_phone", "template", "rate_limited", "balance", "unavailable")


@dataclass
class SmsAccount:
    key_id: str = "fake-key-id"
    secret: str = "fake-key-secret"
    sign_name: str = "城市运行服务"
    # Approved templates: code -> the variables (Aliyun names, or Tencent's count as names).
    templates: dict[str, tuple[str, ...]] = field(default_factory=dict)
    app_id: str = "1400000000"  # Tencent's SdkAppId


@dataclass
class SmsFakeState:
    account: SmsAccount
    received: list[dict] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)
    fail_forever: str = ""
    delay: float = 0.0
    calls: int = 0
    nonces: set[str] = field(default_factory=set)

    def reset(self) -> None:
        self.received.clear()
        self.failures.clear()
        self.fail_forever = ""
        self.delay = 0.0
        self.calls = 0
        self.nonces.clear()

    def next_failure(self) -> str:
        if self.failures:
            return self.failures.pop(0)
        return self.fail_forever

    async def admit(self, request: Request, verify: Verify) -> tuple[bytes, Response | None]:
        """Count the call, wait as told, read the body and check the signature: the body,
        and the vendor's refusal or None."""
        self.calls += 1
        if self.delay:
            await asyncio.sleep(self.delay)
        body = await request.body()
        return body, verify(self, request, body)


class FailIn(msgspec.Struct):
    error: str
    times: int = 1


class DelayIn(msgspec.Struct):
    seconds: float


def control_routes(state: SmsFakeState) -> list:
    @get("/__fake__/received")
    async def received() -> list[dict]:
        return state.received

    @get("/__fake__/calls")
    async def calls() -> dict:
        return {"calls": state.calls}

    @post("/__fake__/fail", status_code=200)
    async def fail(data: JSONBody[FailIn]) -> dict:
        if data.error not in ERRORS:
            return {"error": f"unknown error {data.error!r}; one of {', '.join(ERRORS)}"}
        if data.times <= 0:
            state.fail_forever = data.error
        else:
            state.failures.extend([data.error] * data.times)
        return {"queued": len(state.failures), "forever": state.fail_forever}

    @post("/__fake__/delay", status_code=200)
    async def delay(data: JSONBody[DelayIn]) -> dict:
        state.delay = data.seconds
        return {"delay": state.delay}

    @post("/__fake__/reset", status_code=200)
    async def reset() -> dict:
        state.reset()
        return {"reset": True}

    return [received, calls, fail, delay, reset]


def fake_app(handler, state: SmsFakeState) -> Litestar:
    app = Litestar(route_handlers=[handler, *control_routes(state)], openapi_config=None)
    app.state.fake = state
    return app
