"""A loopback fake of Huawei Push Kit: the OAuth 2.0 token endpoint
(``/oauth2/v3/token``), Android ``/v1/{clientId}/messages:send`` and
``/v2/{projectId}/messages:send`` (Bearer access token), and HarmonyOS NEXT
``/v3/{projectId}/messages:send`` (Bearer JWT signed PS256 by the service account, checked
with its public key; ``push-type`` header). Answers use Push Kit's result codes; the
control routes are those of ``fakes.vendor``. Push Kit has no synchronous daily quota (it
drops over-limit messages and tells the receipt server), so a spent quota answers HTTP 503,
its flow control.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import jwt
import msgspec
from litestar import Litestar, Request, Response, post
from litestar.params import FromPath

from fakes.vendor import VendorState, Verdict, control_routes

AUDIENCE = "https://oauth-login.cloud.huawei.com/oauth2/v3/token"
CATEGORIES = {
    "IM", "VOIP", "SUBSCRIPTION", "TRAVEL", "HEALTH", "WORK", "ACCOUNT", "EXPRESS",
    "FINANCE", "DEVICE_REMINDER", "MAIL", "PLAY_VOICE", "MARKETING",
}  # fmt: skip


@dataclass
class HuaweiState(VendorState):
    client_id: str = "100000001"
    client_secret: str = "demo-huawei-secret"
    project_id: str = "99536292102530000"
    # HarmonyOS: the service account's public key and sub_account (None: accept any signer).
    harmony_public_key: str | None = None
    harmony_sub_account: str = ""


def answer(code: str, msg: str, status: int = 400) -> Response:
    return Response(
        {"code": code, "msg": msg, "requestId": str(time.time_ns())}, status_code=status
    )


def render(verdict: Verdict, target: str) -> Response:
    if verdict is None:
        return answer("80000000", "Success", 200)
    kind, detail = verdict
    if kind == "auth":
        return answer("80200003", "Oauth token expired", 401)
    if kind == "dead":
        msg = msgspec.json.encode({"illegalTokens": {"noRight": [target]}, "failure": 1})
        return answer("80300007", msg.decode())
    if kind == "quota":
        return Response({"msg": "flow control"}, status_code=503)
    code, status = detail["code"], detail["status"]
    if code is None:
        return Response({"msg": "fake failure"}, status_code=status or 500)
    return answer(str(code), "fake failure", status or (500 if str(code) == "81000001" else 400))


def _bearer(request: Request) -> str:
    scheme, _, token = request.headers.get("authorization", "").partition(" ")
    return token if scheme.lower() == "bearer" else ""


def _android_problem(body: dict) -> str | None:
    """Push Kit's 80100003 (message structure) checks that matter to us."""
    message = body.get("message") if isinstance(body, dict) else None
    if not isinstance(message, dict):
        return "message missing"
    tokens = message.get("token")
    if not isinstance(tokens, list) or not 1 <= len(tokens) <= 1000:
        return "token must be a list of 1-1000"
    notification = (message.get("android") or {}).get("notification")
    if not isinstance(notification, dict) or not notification.get("title"):
        return "android.notification.title missing"
    if "click_action" not in notification:
        return "android.notification.click_action missing"
    category = message["android"].get("category")
    if category is not None and category not in CATEGORIES:
        return f"unknown category {category}"
    return None


def create_huawei_fake(state: HuaweiState | None = None) -> Litestar:
    state = state or HuaweiState()

    @post("/oauth2/v3/token", status_code=200)
    async def token(request: Request) -> Response:
        form = await request.form()
        if form.get("grant_type") != "client_credentials":
            return Response({"error": 1102, "error_description": "grant_type"}, status_code=400)
        if (form.get("client_id"), form.get("client_secret")) != (
            state.client_id,
            state.client_secret,
        ):
            return Response({"error": 1101, "error_description": "invalid client"}, 400)
        access = state.issue_token("hw")
        return Response(
            {"access_token": access, "expires_in": state.token_ttl, "token_type": "Bearer"}
        )

    async def android(request: Request, owner: str, expected: str) -> Response:
        try:
            body = msgspec.json.decode(await request.body())
        except msgspec.DecodeError:
            return answer("80100003", "Illegal payload, not JSON")
        if owner != expected:
            return answer("80300002", "No permission to send message to these tokens")
        problem = _android_problem(body)
        verdict = state.verdict(
            authorized=state.token_valid(_bearer(request)),
            target=(body.get("message") or {}).get("token", [""])[0] if not problem else "",
            body=body,
        )
        if problem and verdict is None:
            return answer("80100003", problem)
        return render(verdict, (body.get("message") or {}).get("token", [""])[0])

    @post("/v1/{client_id:str}/messages:send", status_code=200)
    async def send_v1(request: Request, client_id: FromPath[str]) -> Response:
        return await android(request, client_id, state.client_id)

    @post("/v2/{project_id:str}/messages:send", status_code=200)
    async def send_v2(request: Request, project_id: FromPath[str]) -> Response:
        return await android(request, project_id, state.project_id)

    def jwt_ok(token: str) -> bool:
        try:
            head = jwt.get_unverified_header(token)
            if head.get("alg") != "PS256" or not head.get("kid"):
                return False
            if state.harmony_public_key:
                claims = jwt.decode(token, state.harmony_public_key, algorithms=["PS256"],
                                    audience=AUDIENCE)  # fmt: skip
            else:
                claims = jwt.decode(token, options={"verify_signature": False})
        except jwt.PyJWTError:
            return False
        if state.harmony_sub_account and claims.get("iss") != state.harmony_sub_account:
            return False
        with state.lock:
            revoked = f"jwt:{token}" in state.revoked
        return not revoked and claims.get("exp", 0) > time.time()

    @post("/v3/{project_id:str}/messages:send", status_code=200)
    async def send_v3(request: Request, project_id: FromPath[str]) -> Response:
        try:
            body = msgspec.json.decode(await request.body())
        except msgspec.DecodeError:
            return answer("80100003", "Illegal payload, not JSON")
        if project_id != state.project_id:
            return answer("80300002", "No permission")
        if request.headers.get("push-type") != "0":
            return answer("80100003", "push-type must be 0 for alert messages")
        notification = ((body.get("payload") or {}).get("notification")) or {}
        targets = (body.get("target") or {}).get("token") or [""]
        bearer = _bearer(request)
        if not jwt_ok(bearer):
            return answer("80200005", "Jwt token expired", 401)
        if notification.get("category") not in CATEGORIES or not notification.get("title"):
            return answer("80100003", "Illegal payload, notification category/title")
        with state.lock:
            state.tokens.setdefault(f"jwt:{bearer}", time.time() + 3600)
        return render(state.verdict(authorized=True, target=targets[0], body=body), targets[0])

    app = Litestar(
        route_handlers=[token, send_v1, send_v2, send_v3, *control_routes(state)],
        openapi_config=None,
    )
    app.state.fake = state
    return app
