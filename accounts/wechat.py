"""WeChat mini-program login (jscode2session). No maintained SDK exists; httpx is enough."""

from __future__ import annotations

import abc
import logging

import httpx
import msgspec

from accounts.errors import (
    WeChatBusy,
    WeChatCodeInvalid,
    WeChatCodeUsed,
    WeChatError,
    WeChatRateLimited,
    WeChatUnavailable,
)
from core.errors import DomainError
from core.settings import Settings

log = logging.getLogger(__name__)

# WeChat answers HTTP 200 with an errcode; these are the ones a user can cause or wait out.
_ERRORS: dict[int, type[DomainError]] = {
    40029: WeChatCodeInvalid,
    40163: WeChatCodeUsed,
    45011: WeChatRateLimited,
    -1: WeChatBusy,
}


class WeChatIdentity(msgspec.Struct, frozen=True):
    openid: str
    session_key: str
    unionid: str | None = None


class WeChatClient(abc.ABC):
    @abc.abstractmethod
    async def code_to_session(self, js_code: str) -> WeChatIdentity: ...


class _Session(msgspec.Struct):
    openid: str | None = None
    session_key: str | None = None
    unionid: str | None = None
    errcode: int = 0
    errmsg: str = ""


class HttpWeChatClient(WeChatClient):
    def __init__(self, *, base_url: str, appid: str, secret: str, timeout: float) -> None:
        self._base_url = base_url.rstrip("/")
        self._appid = appid
        self._secret = secret
        self._timeout = timeout

    async def code_to_session(self, js_code: str) -> WeChatIdentity:
        params = {
            "appid": self._appid,
            "secret": self._secret,
            "js_code": js_code,
            "grant_type": "authorization_code",
        }
        try:
            async with httpx.AsyncClient(timeout=self._timeout) as client:
                response = await client.get(f"{self._base_url}/sns/jscode2session", params=params)
        except httpx.HTTPError as exc:
            # Never log the request: its URL carries the app secret.
            log.warning("wechat jscode2session unreachable: %s", type(exc).__name__)
            raise WeChatUnavailable() from None
        if response.status_code >= 500:
            raise WeChatUnavailable()
        try:
            body = msgspec.json.decode(response.content, type=_Session)
        except msgspec.DecodeError:
            raise WeChatError(errcode=f"HTTP {response.status_code}") from None
        if body.errcode:
            log.info("wechat jscode2session errcode=%s", body.errcode)
            raise _ERRORS.get(body.errcode, WeChatError)(errcode=body.errcode)
        if not body.openid or not body.session_key:
            raise WeChatError(errcode="missing openid")
        return WeChatIdentity(
            openid=body.openid, session_key=body.session_key, unionid=body.unionid
        )


def wechat_client_from_settings(settings: Settings) -> WeChatClient:
    return HttpWeChatClient(
        base_url=settings.wechat_base_url,
        appid=settings.wechat_appid,
        secret=settings.wechat_secret,
        timeout=settings.wechat_timeout_seconds,
    )
