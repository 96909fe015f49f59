"""A loopback fake of the WeChat server API, speaking its JSON protocol, so the real client
code runs in tests and in the demo.

Test control (not part of WeChat): ``POST /__fake__/login {"openid", "unionid"?}`` mints a
one-time js_code as wx.login would on a phone; ``POST /__fake__/fail {"errcode", "times"}``
makes the next calls fail; ``POST /__fake__/delay {"seconds"}`` slows answers down.

Subscribe messages: ``POST /cgi-bin/stable_token`` hands out access tokens the way WeChat
does (the same token while it has more than 5 minutes left, a new one after; the previous
one stays valid 5 more minutes) and ``POST /cgi-bin/message/subscribe/send`` spends one grant
of (openid, template) or answers 43101. Control: ``POST /__fake__/subscribe {"openid",
"templateId", "count"}`` grants as wx.requestSubscribeMessage would; ``/__fake__/send-fail``
and ``/__fake__/send-delay`` steer the send endpoint; ``POST /__fake__/expire-tokens``
revokes every access token; ``GET /__fake__/sent`` (also ``/__fake__/received``) and
``GET /__fake__/token-calls``. URL Links: ``POST /wxa/generate_urllink`` checks the token,
the page path and the expiry (at most 30 days) and answers a ``https://wxaurl.cn/...``
link; ``GET /__fake__/url-links`` lists the requests.
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
    # Subscribe messages.
    access_tokens: dict[str, float] = field(default_factory=dict)  # token -> expires (monotonic)
    current_token: str = ""
    token_ttl: int = 7200
    token_calls: int = 0
    grants: dict[tuple[str, str], int] = field(default_factory=dict)
    sent: list[dict] = field(default_factory=list)
    send_failures: list[int] = field(default_factory=list)
    send_delay: float = 0.0
    url_links: list[dict] = field(default_factory=list)
    # Bumped by reset(): a slow answer that outlives a test does not leak into the next one.
    generation: int = 0

    def reset(self) -> None:
        self.generation += 1
        self.codes.clear()
        self.used.clear()
        self.failures.clear()
        self.delay = 0.0
        self.calls = 0
        self.access_tokens.clear()
        self.current_token = ""
        self.token_ttl = 7200
        self.token_calls = 0
        self.grants.clear()
        self.sent.clear()
        self.send_failures.clear()
        self.send_delay = 0.0
        self.url_links.clear()

    def mint_token(self) -> str:
        now = time.monotonic()
        if self.current_token in self.access_tokens:
            # The previous token keeps working for 5 minutes so in-flight calls succeed.
            self.access_tokens[self.current_token] = min(
                self.access_tokens[self.current_token], now + 300
            )
        self.current_token = "fake-access-" + secrets.token_hex(12)
        self.access_tokens[self.current_token] = now + self.token_ttl
        return self.current_token


class MintIn(msgspec.Struct):
    openid: str
    unionid: str | None = None


class FailIn(msgspec.Struct):
    errcode: int
    times: int = 1


class DelayIn(msgspec.Struct):
    seconds: float


class StableTokenIn(msgspec.Struct):
    grant_type: str
    appid: str
    secret: str
    force_refresh: bool = False


class UrlLinkIn(msgspec.Struct):
    path: str = ""
    query: str = ""
    is_expire: bool = False
    expire_type: int = 0
    expire_time: int = 0
    expire_interval: int = 0
    env_version: str = "release"


class SubscribeIn(msgspec.Struct, rename="camel"):
    openid: str
    template_id: str
    count: int = 1
    long_term: bool = False  # a long-term template: the grant stands


class SubscribeSendIn(msgspec.Struct):
    touser: str
    template_id: str
    data: dict[str, dict[str, str]]
    page: str = ""
    miniprogram_state: str = "formal"
    lang: str = "zh_CN"


# Value rules of subscribe message keywords (by the keyword's type prefix).
_LIMITS = {
    "thing": 20,
    "character_string": 32,
    "phrase": 5,
    "number": 32,
    "name": 10,
    "time": 32,
    "date": 32,
}


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

    @post("/cgi-bin/stable_token", status_code=200)
    async def stable_token(data: JSONBody[StableTokenIn]) -> dict:
        state.token_calls += 1
        if state.failures:
            errcode = state.failures.pop(0)
            if 500 <= errcode <= 599:
                raise _HttpFailure(errcode)
            return {"errcode": errcode, "errmsg": "fake failure"}
        if data.grant_type != "client_credential":
            return {"errcode": 40002, "errmsg": "invalid grant_type"}
        if data.appid != APPID:
            return {"errcode": 40013, "errmsg": "invalid appid"}
        if state.secret and data.secret != state.secret:
            return {"errcode": 40125, "errmsg": "invalid appsecret"}
        now = time.monotonic()
        expires = state.access_tokens.get(state.current_token, 0)
        if data.force_refresh or expires - now < 300:
            state.mint_token()
            expires = state.access_tokens[state.current_token]
        return {"access_token": state.current_token, "expires_in": int(expires - now)}

    @post("/cgi-bin/message/subscribe/send", status_code=200)
    async def subscribe_send(access_token: FromQuery[str], data: JSONBody[SubscribeSendIn]) -> dict:
        generation = state.generation
        if state.send_delay:
            await asyncio.sleep(state.send_delay)
            if generation != state.generation:
                return {"errcode": -1, "errmsg": "system busy"}
        if state.send_failures:
            errcode = state.send_failures.pop(0)
            if 500 <= errcode <= 599:
                raise _HttpFailure(errcode)
            return {"errcode": errcode, "errmsg": "fake failure"}
        if state.access_tokens.get(access_token, 0) < time.monotonic():
            return {"errcode": 40001, "errmsg": "invalid credential, access_token is invalid"}
        for key, value in data.data.items():
            kind = key.rstrip("0123456789")
            limit = _LIMITS.get(kind)
            text = value.get("value", "")
            if limit is None or not text or len(text) > limit:
                return {"errcode": 47003, "errmsg": f"argument invalid! data.{key}.value invalid"}
        grant = (data.touser, data.template_id)
        if state.grants.get(grant, 0) <= 0:
            return {"errcode": 43101, "errmsg": "user refuse to accept the msg"}
        state.grants[grant] -= 1
        state.sent.append(msgspec.to_builtins(data))
        return {"errcode": 0, "errmsg": "ok", "msgid": len(state.sent)}

    @post("/wxa/generate_urllink", status_code=200)
    async def generate_urllink(access_token: FromQuery[str], data: JSONBody[UrlLinkIn]) -> dict:
        if state.send_failures:
            errcode = state.send_failures.pop(0)
            if 500 <= errcode <= 599:
                raise _HttpFailure(errcode)
            return {"errcode": errcode, "errmsg": "fake failure"}
        if state.access_tokens.get(access_token, 0) < time.monotonic():
            return {"errcode": 40001, "errmsg": "invalid credential, access_token is invalid"}
        if not data.path or data.path.startswith("/") or len(data.query) > 1024:
            return {"errcode": 40165, "errmsg": "invalid weapp pagepath"}
        # A link lives at most 30 days (expire_type 1: expire_interval in days).
        if not data.is_expire or data.expire_type != 1 or not 1 <= data.expire_interval <= 30:
            return {"errcode": 85400, "errmsg": "expire time invalid"}
        link = f"https://wxaurl.cn/{secrets.token_urlsafe(9)}"
        state.url_links.append({**msgspec.to_builtins(data), "url_link": link})
        return {"errcode": 0, "errmsg": "ok", "url_link": link}

    @get("/__fake__/url-links")
    async def url_links() -> list[dict]:
        return state.url_links

    @get("/__fake__/received")
    async def received() -> list[dict]:
        """The subscribe messages that arrived (as /__fake__/sent)."""
        return state.sent

    @post("/__fake__/subscribe")
    async def subscribe(data: JSONBody[SubscribeIn]) -> dict:
        grant = (data.openid, data.template_id)
        added = 10**9 if data.long_term else data.count
        state.grants[grant] = state.grants.get(grant, 0) + added
        return {"granted": state.grants[grant]}

    @post("/__fake__/send-fail")
    async def send_fail(data: JSONBody[FailIn]) -> dict:
        state.send_failures.extend([data.errcode] * data.times)
        return {"queued": len(state.send_failures)}

    @post("/__fake__/send-delay")
    async def send_delay(data: JSONBody[DelayIn]) -> dict:
        state.send_delay = data.seconds
        return {"delay": state.send_delay}

    @post("/__fake__/expire-tokens")
    async def expire_tokens() -> dict:
        state.access_tokens.clear()
        return {"expired": True}

    @get("/__fake__/sent")
    async def sent() -> list[dict]:
        return state.sent

    @get("/__fake__/token-calls")
    async def token_calls() -> dict:
        return {"calls": state.token_calls, "current": state.current_token}

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
        route_handlers=[
            jscode2session,
            mint,
            fail,
            delay,
            reset,
            calls,
            stable_token,
            subscribe_send,
            subscribe,
            send_fail,
            send_delay,
            expire_tokens,
            sent,
            token_calls,
            generate_urllink,
            url_links,
            received,
        ],
        exception_handlers={_HttpFailure: http_failure},
        openapi_config=None,
    )
    app.state.fake = state
    return app


class _HttpFailure(Exception):
    def __init__(self, status: int) -> None:
        self.status = status
