"""A loopback fake of Xiaomi MiPush: ``/v3/message/regid`` (form-encoded, ``Authorization:
key=<AppSecret>``), answering with MiPush's ``{"result", "code", "reason", "data"}``: 21301
for a wrong key, 20301 "No valid targets!" for an invalid regid, 200001 "exceed quota" once
the day's quota is spent.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass

from litestar import Litestar, Request, Response, post

from fakes.vendor import VendorState, Verdict, control_routes


@dataclass
class XiaomiState(VendorState):
    app_secret: str = "demo-xiaomi-secret"
    package: str = "cn.gov.cityops"


def _error(code: int, reason: str, status: int = 200) -> Response:
    body = {"result": "error", "code": code, "reason": reason, "description": "发送消息失败",
            "trace_id": str(time.time_ns())}  # fmt: skip
    return Response(body, status_code=status)


def render(verdict: Verdict) -> Response:
    if verdict is None:
        ok = {"result": "ok", "code": 0, "description": "成功", "trace_id": str(time.time_ns())}
        return Response({**ok, "data": {"id": f"sdm{time.time_ns()}"}})
    kind, detail = verdict
    if kind == "auth":
        return _error(21301, "authentication failed", 401)
    if kind == "dead":
        return _error(20301, "No valid targets!")
    if kind == "quota":
        return _error(200001, "exceed quota, quota: 100, have acked: 100")
    code, status = detail["code"], detail["status"]
    if code is None:
        return Response("fake failure", status_code=status or 500)
    return _error(int(code), "fake failure", status or 200)


def create_xiaomi_fake(state: XiaomiState | None = None) -> Litestar:
    state = state or XiaomiState()

    @post("/v3/message/regid", status_code=200)
    async def send(request: Request) -> Response:
        form = dict(await request.form())
        authorized = request.headers.get("authorization") == f"key={state.app_secret}"
        if authorized:
            if form.get("restricted_package_name") != state.package:
                return _error(22022, "invalid package name")
            title, description = form.get("title", ""), form.get("description", "")
            if form.get("pass_through") == "0" and not (0 < len(title) < 50):
                return _error(10017, "title must be 1-49 characters")
            if form.get("pass_through") == "0" and not (0 < len(description) < 128):
                return _error(10017, "description must be 1-127 characters")
            try:
                form["payload"] = json.loads(form.get("payload") or "{}")
            except ValueError:
                return _error(10017, "payload is not JSON")
        target = form.get("registration_id", "")
        return render(state.verdict(authorized=authorized, target=target, body=form))

    app = Litestar(route_handlers=[send, *control_routes(state)], openapi_config=None)
    app.state.fake = state
    return app
