"""A loopback fake of vivo Push: ``/message/auth`` checks ``sign = md5(appId + appKey +
timestamp + appSecret)`` and hands out an ``authToken``; ``/message/send`` checks the
``authToken`` header, the appId, title/content lengths and the classification, answering
with vivo's codes: 10000 authentication, 10302 invalid regId, 10070 total over the limit.
"""

from __future__ import annotations

import hashlib
import time
from dataclasses import dataclass

import msgspec
from litestar import Litestar, Request, Response, post

from fakes.vendor import VendorState, Verdict, control_routes


@dataclass
class VivoState(VendorState):
    app_id: str = "105000000"
    app_key: str = "demo-vivo-key"
    app_secret: str = "demo-vivo-secret"
    token_ttl: int = 24 * 3600


def _reply(result: int, desc: str, status: int = 200, **extra) -> Response:
    return Response({"result": result, "desc": desc, **extra}, status_code=status)


def render(verdict: Verdict, target: str) -> Response:
    if verdict is None:
        return _reply(0, "请求成功", taskId=str(time.time_ns()))
    kind, detail = verdict
    if kind == "auth":
        return _reply(10000, "权限认证失败")
    if kind == "dead":
        return _reply(10302, "regId不合法", invalidUser={"status": 1, "userid": target})
    if kind == "quota":
        return _reply(10070, "发送总量超出限制")
    code, status = detail["code"], detail["status"]
    if code is None:
        return Response("Internet server error!", status_code=status or 500)
    return _reply(int(code), "fake failure", status or 200)


def _problem(body: dict, app_id: str) -> str | None:
    if str(body.get("appId")) != app_id:
        return "appId does not match the authToken"
    if not body.get("regId") or not body.get("requestId"):
        return "regId and requestId are required"
    if not 0 < len(body.get("title") or "") <= 40 or not 0 < len(body.get("content") or "") <= 100:
        return "title (1-40) and content (1-100) are required"
    if body.get("classification") not in (0, 1):
        return "classification must be 0 or 1"
    return None


def create_vivo_fake(state: VivoState | None = None) -> Litestar:
    state = state or VivoState()

    @post("/message/auth", status_code=200)
    async def auth(request: Request) -> Response:
        try:
            body = msgspec.json.decode(await request.body())
        except msgspec.DecodeError:
            return _reply(10055, "参数不合法")
        timestamp = body.get("timestamp")
        expected = hashlib.md5(  # noqa: S324 - vivo's protocol
            f"{state.app_id}{state.app_key}{timestamp}{state.app_secret}".encode()
        ).hexdigest()
        if str(body.get("appId")) != state.app_id or body.get("appKey") != state.app_key:
            return _reply(10020, "appId或appKey不合法")
        if body.get("sign") != expected or not isinstance(timestamp, int):
            return _reply(10021, "sign不合法")
        return _reply(0, "请求成功", authToken=state.issue_token("vivo"))

    @post("/message/send", status_code=200)
    async def send(request: Request) -> Response:
        try:
            body = msgspec.json.decode(await request.body())
        except msgspec.DecodeError:
            return _reply(10055, "参数不合法")
        problem = _problem(body, state.app_id) if isinstance(body, dict) else "not an object"
        if problem:
            return _reply(10055, problem)
        authorized = state.token_valid(request.headers.get("authToken", ""))
        verdict = state.verdict(authorized=authorized, target=body["regId"], body=body)
        return render(verdict, body["regId"])

    app = Litestar(route_handlers=[auth, send, *control_routes(state)], openapi_config=None)
    app.state.fake = state
    return app
