"""A loopback fake of the JPush Push API v3: ``POST /v3/push`` with HTTP Basic
``appKey:masterSecret``, answering ``{sendno, msg_id}`` or ``{"error": {code, message}}``:
401/1004 authentication, 400/1011 no such registration id, 400/2005 over the send volume.
"""

from __future__ import annotations

import base64
import time
from dataclasses import dataclass

import msgspec
from litestar import Litestar, Request, Response, post

from fakes.vendor import VendorState, Verdict, control_routes


@dataclass
class JPushState(VendorState):
    app_key: str = "demo-jpush-app-key"
    master_secret: str = "demo-jpush-master-secret"


def _error(code: int, message: str, status: int) -> Response:
    return Response({"error": {"code": code, "message": message}}, status_code=status)


def render(verdict: Verdict) -> Response:
    if verdict is None:
        return Response({"sendno": "0", "msg_id": str(time.time_ns())})
    kind, detail = verdict
    if kind == "auth":
        return _error(1004, "Authen failed", 401)
    if kind == "dead":
        return _error(1011, "cannot find user by this audience or has been inactive", 400)
    if kind == "quota":
        return _error(2005, "push volume exceeds the reasonable range", 400)
    code, status = detail["code"], detail["status"]
    if code is None:
        return Response({"error": {"code": 1000, "message": "fake"}}, status_code=status or 500)
    return _error(int(code), "fake failure", status or 400)


def _problem(body: dict) -> str | None:
    targets = (body.get("audience") or {}).get("registration_id") if isinstance(body, dict) else 0
    if not isinstance(targets, list) or not targets:
        return "audience.registration_id is required"
    android = (body.get("notification") or {}).get("android") or {}
    if not android.get("alert"):
        return "notification.android.alert is required"
    return None


def create_jpush_fake(state: JPushState | None = None) -> Litestar:
    state = state or JPushState()
    expected = (
        "Basic " + base64.b64encode(f"{state.app_key}:{state.master_secret}".encode()).decode()
    )

    @post("/v3/push", status_code=200)
    async def push(request: Request) -> Response:
        try:
            body = msgspec.json.decode(await request.body())
        except msgspec.DecodeError:
            return _error(1003, "request body is not JSON", 400)
        problem = _problem(body)
        if problem:
            return _error(1003, problem, 400)
        authorized = request.headers.get("authorization") == expected
        target = body["audience"]["registration_id"][0]
        return render(state.verdict(authorized=authorized, target=target, body=body))

    app = Litestar(route_handlers=[push, *control_routes(state)], openapi_config=None)
    app.state.fake = state
    return app
