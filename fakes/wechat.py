"""A loopback fake of the WeChat server API, speaking its JSON protocol, so the real client
code runs in tests and in the demo.

Test control (not part of WeChat): ``POST /__fake__/login {"openid", "unionid"?}`` mints a
one-time js_code as wx.login would on a phone; ``POST /__fake__/fail {"errcode", "times"}``
makes the next calls fail; ``POST /__fake__/delay {"seconds"}`` slows answers down.
"""

from __future__ import annotations

import asyncio
import secrets
import time
from dataclasses import dataclass, field

import msgspec
from litestar import Litestar, Request, get, post
from litestar.params import FromQuery, JSONBody

APPID = "wx-demo-appid"


@dataclass
class WeChatState:
    secret: str = ""
    codes: dict[str, tuple[str, str | None, float]] = field(default_factory=dict)
    used: set[str] = field(default_factory=set)
    failures: list[int] = field(default_factory=list)
    delay: float = 0.0
    calls: int = 0

    def reset(self) -> None:
        self.codes.clear()
        self.used.clear()
        self.failures.clear()
        self.delay = 0.0
        self.calls = 0


class MintIn(msgspec.Struct):
    openid: str
    unionid: str | None = None


class FailIn(msgspec.Struct):
    errcode: int
    times: int = 1


class DelayIn(msgspec.Struct):
    seconds: float


def create_wechat_fake(secret: str = "") -> Litestar:
    state = WeChatState(secret=secret)

    @get("/sns/jscode2session")
    async def jscode2session(
        appid: FromQuery[str],
        secret: FromQuery[str],
        js_code: FromQuery[str],
        grant_type: FromQuery[str] = "",
    ) -> dict:
        state.calls += 1
        if state.delay:
            await asyncio.sleep(state.delay)
        if state.failures:
            errcode = state.failures.pop(0)
            if 500 <= errcode <= 599:  # an HTTP failure, not a WeChat errcode
                raise _HttpFailure(errcode)
            return {"errcode": errcode, "errmsg": "fake failure"}
        if appid != APPID:
            return {"errcode": 40013, "errmsg": "invalid appid"}
        if state.secret and secret != state.secret:
            return {"errcode": 40125, "errmsg": "invalid appsecret"}
        if grant_type != "authorization_code":
            return {"errcode": 40002, "errmsg": "invalid grant_type"}
        if js_code in state.used:
            return {"errcode": 40163, "errmsg": "code been used"}
        minted = state.codes.pop(js_code, None)
        if minted is None or minted[2] < time.monotonic():
            return {"errcode": 40029, "errmsg": "invalid code"}
        state.used.add(js_code)
        openid, unionid, _ = minted
        body = {"openid": openid, "session_key": secrets.token_urlsafe(16)}
        if unionid:
            body["unionid"] = unionid
        return body

    @post("/__fake__/login")
    async def mint(data: JSONBody[MintIn]) -> dict:
        code = secrets.token_hex(16)
        state.codes[code] = (data.openid, data.unionid, time.monotonic() + 300)
        return {"code": code}

    @post("/__fake__/fail")
    async def fail(data: JSONBody[FailIn]) -> dict:
        state.failures.extend([data.errcode] * data.times)
        return {"queued": len(state.failures)}

    @post("/__fake__/delay")
    async def delay(data: JSONBody[DelayIn]) -> dict:
        state.delay = data.seconds
        return {"delay": state.delay}

    @post("/__fake__/reset")
    async def reset() -> dict:
        state.reset()
        return {"reset": True}

    @get("/__fake__/calls")
    async def calls() -> dict:
        return {"calls": state.calls}

    def http_failure(_: Request, exc: _HttpFailure):
        from litestar import Response

        return Response(content={"errmsg": "fake server error"}, status_code=exc.status)

    app = Litestar(
        route_handlers=[jscode2session, mint, fail, delay, reset, calls],
        exception_handlers={_HttpFailure: http_failure},
        openapi_config=None,
    )
    app.state.fake = state
    return app


class _HttpFailure(Exception):
    def __init__(self, status: int) -> None:
        self.status = status
