"""Sign-in and sign-out pages: the one staff sign-in (lockout, disabled accounts, roles,
audit) behind a plain form; the session is an HttpOnly cookie scoped to /workbench."""

from __future__ import annotations

from litestar import Controller, Request, Response, get, post
from litestar.response import Redirect, Template

from accounts.errors import AccountDisabled, InvalidCredentials, LoginLocked, RoleNotAllowed
from accounts.web_session import (
    WEB_SESSION_HOURS,
    cookie_secure,
    end_web_session,
    start_web_session,
)
from api.auth import client_ip
from api.web.workbench.guard import COOKIE_PATH, SESSION_COOKIE, WORKBENCH_ROLES
from api.web.workbench.templating import chrome, page_headers
from api.web.workbench.texts import text

PUBLIC = {"public": True}
HOME = f"{COOKIE_PATH}/queue"


def _next(value: str | None) -> str:
    """Only a path of ours: never an open redirect."""
    if value and value.startswith(COOKIE_PATH + "/") and "//" not in value and "\\" not in value:
        return value
    return HOME


class SessionPages(Controller):
    path = ""

    @get("/", name="wb.home", opt={"supervisors": True})
    async def home(self) -> Redirect:
        return Redirect(HOME, status_code=303)

    @get("/signin", name="wb.signin", opt=PUBLIC)
    async def sign_in_page(self, request: Request) -> Template:
        return await self._form(request, next_=_next(request.query_params.get("next")))

    async def _form(
        self, request: Request, *, next_: str, error: str = "", username: str = "", status=200
    ) -> Template:
        context = await chrome(request, None)
        context.update(error=error, username=username, next=next_)
        return Template(
            template_name="workbench/signin.html",
            context=context,
            status_code=status,
            headers=page_headers(context["lang"]),
        )

    @post("/signin", name="wb.signin.post", opt=PUBLIC, status_code=303)
    async def sign_in(self, request: Request) -> Response:
        form = await request.form()
        username = str(form.get("username") or "")[:100]
        password = str(form.get("password") or "")[:256]
        next_ = _next(str(form.get("next") or ""))
        context = await chrome(request, None)
        lang = context["lang"]
        if not username.strip() or not password:
            return await self._form(
                request,
                next_=next_,
                error=text(lang, "signin.missing"),
                username=username,
                status=422,
            )
        try:
            token, _ = await start_web_session(
                username=username,
                password=password,
                ip=client_ip(request),
                roles=WORKBENCH_ROLES,
            )
        except (InvalidCredentials, LoginLocked, AccountDisabled, RoleNotAllowed) as exc:
            return await self._form(
                request,
                next_=next_,
                error=exc.detail(lang),
                username=username,
                status=exc.status,
            )
        response = Redirect(next_, status_code=303)
        response.set_cookie(
            key=SESSION_COOKIE,
            value=token,
            path=COOKIE_PATH,
            httponly=True,
            secure=cookie_secure(),
            samesite="lax",
            max_age=WEB_SESSION_HOURS * 3600,
        )
        return response

    @post("/signout", name="wb.signout", opt={"supervisors": True}, status_code=303)
    async def sign_out(self, request: Request) -> Response:
        token = request.cookies.get(SESSION_COOKIE, "")
        if token:
            await end_web_session(token)
        response = Redirect(f"{COOKIE_PATH}/signin", status_code=303)
        response.delete_cookie(SESSION_COOKIE, path=COOKIE_PATH)
        return response
