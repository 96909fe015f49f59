"""A loopback fake of OPPO PUSH: ``/server/v1/auth`` checks ``sign = sha256(app_key +
timestamp + master_secret)`` and hands out an ``auth_token``;
``/server/v1/message/notification/unicast`` checks the ``auth_token`` header and the
``message`` form field (target, title, content, category, notify_level), answering with
OPush's codes: 11 invalid auth_token, 10000 invalid registration_id, 33 daily limit.
"""

from __future__ import annotations

import hashlib
import json
import time
from dataclasses import dataclass

from litestar import Litestar, Request, Response, post

from fakes.vendor import VendorState, Verdict, control_routes

SERVICE = {"IM", "ACCOUNT", "DEVICE_REMINDER", "ORDER", "TODO", "SUBSCRIPTION"}
MARKETING = {"NEWS", "CONTENT", "MARKETING", "SOCIAL"}


@dataclass
class OppoState(VendorState):
    app_key: str = "demo-oppo-key"
    master_secret: str = "demo-oppo-master-secret"
    token_ttl: int = 24 * 3600


def _reply(code: int, message: str, data: dict | None = None, status: int = 200) -> Response:
    return Response({"code": code, "message": message, "data": data}, status_code=status)


def render(verdict: Verdict) -> Response:
    if verdict is None:
        return _reply(0, "Success", {"messageId": f"msg-{time.time_ns()}"})
    kind, detail = verdict
    if kind == "auth":
        return _reply(11, "Invalid AuthToken")
    if kind == "dead":
        return _reply(10000, "Invalid RegistrationId")
    if kind == "quota":
        return _reply(33, "The number of messages exceeds the daily limit")
    code, status = detail["code"], detail["status"]
    if code is None:
        return Response("fake failure", status_code=status or 500)
    return _reply(int(code), "fake failure", status=status or 200)


def _problem(message: dict) -> str | None:
    if message.get("target_type") != 2 or not message.get("target_value"):
        return "target_type 2 with a registration_id is required"
    notification = message.get("notification") or {}
    if not notification.get("title") or not notification.get("content"):
        return "title and content are required"
    category = notification.get("category")
    if category is not None and category not in SERVICE | MARKETING:
        return f"unknown category {category}"
    if notification.get("notify_level") == 16 and category not in SERVICE:
        return "notify_level 16 needs a service category"
    return None


def create_oppo_fake(state: OppoState | None = None) -> Litestar:
    state = state or OppoState()

    @post("/server/v1/auth", status_code=200)
    async def auth(request: Request) -> Response:
        form = await request.form()
        timestamp = form.get("timestamp", "")
        expected = hashlib.sha256(
            f"{state.app_key}{timestamp}{state.master_secret}".encode()
        ).hexdigest()
        if form.get("app_key") != state.app_key:
            return _reply(14, "Invalid App Key")
        if form.get("sign") != expected or not timestamp.isdigit():
            return _reply(16, "Invalid Signature")
        token = state.issue_token("oppo")
        return _reply(0, "Success", {"auth_token": token, "create_time": int(time.time() * 1000)})

    @post("/server/v1/message/notification/unicast", status_code=200)
    async def unicast(request: Request) -> Response:
        form = await request.form()
        try:
            message = json.loads(form.get("message") or "")
        except ValueError:
            return _reply(41, "Invalid Arguments: message is not JSON")
        problem = _problem(message) if isinstance(message, dict) else "message must be an object"
        if problem:
            return _reply(41, f"Invalid Arguments: {problem}")
        authorized = state.token_valid(request.headers.get("auth_token", ""))
        return render(
            state.verdict(authorized=authorized, target=message["target_value"], body=message)
        )

    app = Litestar(route_handlers=[auth, unicast, *control_routes(state)], openapi_config=None)
    app.state.fake = state
    return app
