"""Sign-in to the admin web UI through the one staff sign-in.

piccolo-admin checks passwords on its own (``BaseUser.login``): no lockout, no disabled flag,
every role "logged in", PBKDF2 on the event loop, and a per-process counter as its only
limit. These routes answer before its mount does: the password is checked by
``accounts.service.authenticate_staff`` (lockout, disabled accounts, roles, audit; hashing
in a thread), and only admins get the piccolo session that the UI's API then accepts.
Its change-password route would check a password the same old way, so it is closed: staff
passwords change through ``/api/inspector/me/password`` and ``/api/admin/staff/{id}/password``.
"""

from __future__ import annotations

import datetime as dt
import hmac
from typing import Any

from litestar import Controller, Request, Response, get, post
from litestar.exceptions import HTTPException
from litestar.response import Redirect
from piccolo_api.session_auth.tables import SessionsBase

from accounts import service as accounts
from accounts.errors import AuthRequired
from api.auth import client_ip
from core.settings import get_settings

# piccolo-admin's own defaults (create_admin), which its session middleware extends.
SESSION_EXPIRY = dt.timedelta(hours=1)
MAX_SESSION_EXPIRY = dt.timedelta(days=7)
SESSION_COOKIE = "id"
CSRF_COOKIE, CSRF_HEADER = "csrftoken", "x-csrftoken"


def _check_csrf(request: Request) -> None:
    """The double-submit check piccolo-admin's CSRF middleware makes on its own routes, so a
    foreign page cannot sign a browser in to an account of the attacker's choosing."""
    cookie = request.cookies.get(CSRF_COOKIE, "")
    header = request.headers.get(CSRF_HEADER, "")
    if not cookie or not hmac.compare_digest(cookie.encode(), header.encode()):
        raise HTTPException(status_code=403, detail="CSRF token missing or incorrect")


async def _credentials(request: Request) -> tuple[str, str]:
    """username and password from the UI's JSON, or from a plain form post."""
    content_type = request.headers.get("content-type", "")
    body: Any = await request.json() if "json" in content_type else dict(await request.form())
    username = body.get("username") if isinstance(body, dict) else None
    password = body.get("password") if isinstance(body, dict) else None
    if not isinstance(username, str) or not isinstance(password, str):
        raise AuthRequired()
    if not 0 < len(username) <= 100 or not 0 < len(password) <= 256:
        raise AuthRequired()
    return username, password


class AdminUiLoginController(Controller):
    path = "/admin/public"
    include_in_schema = False

    @post("/login/", status_code=200)
    async def login(self, request: Request) -> Response[dict[str, str]]:
        _check_csrf(request)
        username, password = await _credentials(request)
        staff = await accounts.authenticate_staff(
            username=username, password=password, ip=client_ip(request), roles=("admin",)
        )
        now = dt.datetime.now()  # piccolo's session table keeps naive local times
        session = await SessionsBase.create_session(
            user_id=staff.user.id,
            expiry_date=now + SESSION_EXPIRY,
            max_expiry_date=now + MAX_SESSION_EXPIRY,
        )
        response = Response({"message": "logged in"}, status_code=200)
        response.set_cookie(
            key=SESSION_COOKIE,
            value=session.token,
            httponly=True,
            secure=get_settings().public_base_url.startswith("https://"),
            max_age=int(MAX_SESSION_EXPIRY.total_seconds()),
            samesite="lax",
        )
        return response

    @get("/login/")
    async def login_page(self) -> Redirect:
        return Redirect("/admin/")  # the UI's own sign-in screen posts to the route above


class AdminUiPasswordController(Controller):
    path = "/admin/api"
    include_in_schema = False

    @post("/change-password/")
    async def change_password(self) -> None:
        raise HTTPException(
            status_code=403,
            detail="Change staff passwords through /api/inspector/me/password",
        )
