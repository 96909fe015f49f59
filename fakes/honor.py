"""A loopback fake of Honor Push: the IAM token endpoint
(``/auth/realms/developer/protocol/openid-connect/token``) and
``/api/v1/{appId}/sendMessage`` (Bearer token and a millisecond ``timestamp`` header). An
invalid device token comes back in ``data.expireTokens`` as Honor reports it; errors carry
Push Kit's codes as numbers. No synchronous daily quota either: a spent quota is HTTP 503.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import msgspec
from litestar import Litestar, Request, Response, post
from litestar.params import FromPath

from fakes.vendor import VendorState, Verdict, control_routes

TOKEN_PATH = "/auth/realms/developer/protocol/openid-connect/token"


@dataclass
class HonorState(VendorState):
    app_id: str = "104400000"
    client_id: str = "demo-honor-client"
    client_secret: str = "demo-honor-secret"


def _reply(code: int, message: str, data: dict | None = None, status: int = 200) -> Response:
    return Response({"code": code, "message": message, "data": data}, status_code=status)


def render(verdict: Verdict, target: str) -> Response:
    ok = {"sendResult": True, "requestId": str(time.time_ns()), "failTokens": [],
          "expireTokens": []}  # fmt: skip
    if verdict is None:
        return _reply(200, "success", ok)
    kind, detail = verdict
    if kind == "auth":
        return _reply(80200003, "access token expired", status=401)
    if kind == "dead":
        return _reply(200, "success", {**ok, "sendResult": False, "expireTokens": [target]})
    if kind == "quota":
        return Response({"message": "flow control"}, status_code=503)
    code, status = detail["code"], detail["status"]
    if code is None:
        return Response({"message": "fake failure"}, status_code=status or 500)
    return _reply(int(code), "fake failure", status=status or 200)


def create_honor_fake(state: HonorState | None = None) -> Litestar:
    state = state or HonorState()

    @post(TOKEN_PATH, status_code=200)
    async def token(request: Request) -> Response:
        form = await request.form()
        credentials = (form.get("client_id"), form.get("client_secret"))
        if form.get("grant_type") != "client_credentials":
            return Response({"error": "unsupported_grant_type"}, status_code=400)
        if credentials != (state.client_id, state.client_secret):
            return Response({"error": "invalid_client"}, status_code=401)
        access = state.issue_token("honor")
        return Response(
            {"access_token": access, "expires_in": state.token_ttl, "token_type": "Bearer"}
        )

    @post("/api/v1/{app_id:str}/sendMessage", status_code=200)
    async def send(request: Request, app_id: FromPath[str]) -> Response:
        try:
            body = msgspec.json.decode(await request.body())
        except msgspec.DecodeError:
            return _reply(80100003, "illegal payload")
        if app_id != state.app_id:
            return _reply(80300002, "no permission for this app")
        if not request.headers.get("timestamp", "").isdigit():
            return _reply(80100001, "timestamp header missing")
        tokens = body.get("token") if isinstance(body, dict) else None
        notification = ((body.get("android") or {}).get("notification")) if tokens else None
        if not isinstance(tokens, list) or not tokens or not isinstance(notification, dict):
            return _reply(80100003, "token and android.notification are required")
        if not notification.get("title") or "clickAction" not in notification:
            return _reply(80100003, "notification title and clickAction are required")
        scheme, _, access = request.headers.get("authorization", "").partition(" ")
        authorized = scheme.lower() == "bearer" and state.token_valid(access)
        return render(state.verdict(authorized=authorized, target=tokens[0], body=body), tokens[0])

    app = Litestar(route_handlers=[token, send, *control_routes(state)], openapi_config=None)
    app.state.fake = state
    return app
