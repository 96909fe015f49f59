"""WeChat mini-program subscribe messages (``subscribeMessage.send``).

The access token comes from ``/cgi-bin/stable_token`` and is kept in the database so every
API and worker process uses one token: WeChat allows few token calls a day, and the plain
``/cgi-bin/token`` would invalidate the token other processes hold. stable_token in normal
mode returns the same token until its last 5 minutes, so two processes refreshing at once
still agree; we refresh 10 minutes before expiry.
"""

from __future__ import annotations

import datetime as dt
import logging

import httpx
import msgspec

from core import clock
from core.db import raw
from core.settings import Settings
from notify.providers import SENT, PushMessage, PushProvider, PushResult

log = logging.getLogger(__name__)

TOKEN_NAME = "wechat:stable_token"
REFRESH_BEFORE = dt.timedelta(minutes=10)
_TOKEN_INVALID = {40001, 40014, 42001}  # invalid, malformed, expired access_token
_RETRY = {-1, 45009, 45011}  # busy, rate limited
_SPENT = 43101  # the user refused, or the one-time grant was used


class _TokenAnswer(msgspec.Struct):
    access_token: str = ""
    expires_in: int = 0
    errcode: int = 0
    errmsg: str = ""


class _SendAnswer(msgspec.Struct):
    errcode: int = 0
    errmsg: str = ""


class TokenUnavailable(Exception):
    pass


class WeChatSubscribeProvider(PushProvider):
    channel = "wechat"

    def __init__(
        self,
        *,
        base_url: str,
        appid: str,
        secret: str,
        timeout: float,
        miniprogram_state: str = "formal",
    ) -> None:
        self._appid = appid
        self._secret = secret
        self._state = miniprogram_state
        self._client = httpx.AsyncClient(base_url=base_url.rstrip("/"), timeout=timeout)

    @property
    def client(self) -> httpx.AsyncClient:
        """For other WeChat server calls made with the same shared token (URL Links)."""
        return self._client

    async def access_token(self, *, force: bool = False) -> str:
        """The shared token from the database; fetched again when it is close to expiry.
        Runs outside the worker's transactions, on the pool (autocommit)."""
        if not force:
            rows = await raw(
                "SELECT token, expires_at FROM provider_token WHERE name = {}", TOKEN_NAME
            )
            expires = _as_datetime(rows[0]["expires_at"]) if rows else None
            if expires and clock.as_utc(expires) - REFRESH_BEFORE > clock.now():
                return rows[0]["token"]
        try:
            response = await self._client.post(
                "/cgi-bin/stable_token",
                json={
                    "grant_type": "client_credential",
                    "appid": self._appid,
                    "secret": self._secret,
                    "force_refresh": force,
                },
            )
        except httpx.HTTPError as exc:
            # Never log the request: it carries the app secret.
            raise TokenUnavailable(f"stable_token {type(exc).__name__}") from None
        if response.status_code != 200:
            raise TokenUnavailable(f"stable_token HTTP {response.status_code}")
        try:
            answer = msgspec.json.decode(response.content, type=_TokenAnswer)
        except (msgspec.DecodeError, msgspec.ValidationError):
            raise TokenUnavailable("stable_token unreadable") from None
        if answer.errcode or not answer.access_token:
            raise TokenUnavailable(f"stable_token errcode {answer.errcode}")
        now = clock.now()
        expires = now + dt.timedelta(seconds=answer.expires_in)
        await raw(
            "INSERT INTO provider_token (name, token, expires_at, updated_at) "
            "VALUES ({}, {}, {}, {}) ON CONFLICT (name) DO UPDATE SET token = excluded.token, "
            "expires_at = excluded.expires_at, updated_at = excluded.updated_at",
            TOKEN_NAME,
            answer.access_token,
            expires,
            now,
        )
        return answer.access_token

    async def send(self, messages: list[PushMessage]) -> list[PushResult]:
        try:
            token = await self.access_token()
        except TokenUnavailable as exc:
            log.warning("wechat access token unavailable: %s", exc)
            return [PushResult("retry", str(exc))] * len(messages)
        results = []
        refreshed = False
        for message in messages:
            result, token_bad = await self._send_one(token, message)
            if token_bad and not refreshed:
                # Someone reset the app secret or forced a refresh elsewhere: one forced
                # refresh per batch, then this message is tried again with the new token.
                refreshed = True
                try:
                    token = await self.access_token(force=True)
                except TokenUnavailable as exc:
                    results.append(PushResult("retry", str(exc)))
                    continue
                result, _ = await self._send_one(token, message)
            results.append(result)
        return results

    async def _send_one(self, token: str, message: PushMessage) -> tuple[PushResult, bool]:
        body = {
            "touser": message.target,
            "template_id": message.template_id,
            "page": message.page,
            "data": {key: {"value": value} for key, value in message.fields.items()},
            "miniprogram_state": self._state,
            "lang": message.lang,
        }
        try:
            response = await self._client.post(
                "/cgi-bin/message/subscribe/send", params={"access_token": token}, json=body
            )
        except httpx.TimeoutException:
            return PushResult("retry", "timeout"), False
        except httpx.HTTPError as exc:
            return PushResult("retry", f"network: {type(exc).__name__}"), False
        if response.status_code >= 500:
            return PushResult("retry", f"wechat HTTP {response.status_code}"), False
        try:
            answer = msgspec.json.decode(response.content, type=_SendAnswer)
        except (msgspec.DecodeError, msgspec.ValidationError):
            return PushResult("retry", f"wechat HTTP {response.status_code} unreadable"), False
        error = f"wechat errcode {answer.errcode} {answer.errmsg}"[:500]
        if answer.errcode == 0:
            return SENT, False
        if answer.errcode in _TOKEN_INVALID:
            return PushResult("retry", error), True
        if answer.errcode == _SPENT:
            return PushResult("refused", error), False
        if answer.errcode in _RETRY:
            return PushResult("retry", error), False
        return PushResult("failed", error), False

    async def aclose(self) -> None:
        await self._client.aclose()


def _as_datetime(value) -> dt.datetime:
    return dt.datetime.fromisoformat(value) if isinstance(value, str) else value


def wechat_from_settings(settings: Settings) -> WeChatSubscribeProvider:
    return WeChatSubscribeProvider(
        base_url=settings.wechat_base_url,
        appid=settings.wechat_appid,
        secret=settings.wechat_secret,
        timeout=settings.notify_send_timeout_seconds,
        miniprogram_state=settings.wechat_miniprogram_state,
    )
