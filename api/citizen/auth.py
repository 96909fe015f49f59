from __future__ import annotations

from typing import Annotated

import msgspec
from litestar import Controller, Request, post
from litestar.params import JSONBody
from litestar.status_codes import HTTP_202_ACCEPTED

from accounts import service as accounts
from accounts.sms import sms_sender_from_settings
from accounts.sms_login import send_login_code
from accounts.wechat import wechat_client_from_settings
from api.auth import client_ip, optional_actor
from api.problems import problem_responses
from api.session import SessionOut
from core.db import transaction
from core.settings import get_settings

PhoneText = Annotated[str, msgspec.Meta(min_length=1, max_length=20)]


class WeChatLoginIn(msgspec.Struct, frozen=True):
    code: Annotated[str, msgspec.Meta(min_length=1, max_length=128)]


class SmsRequestIn(msgspec.Struct, frozen=True):
    phone: PhoneText


class SmsRequestOut(msgspec.Struct, frozen=True, rename="camel"):
    sent: bool
    expires_in: int
    resend_after: int


class SmsVerifyIn(msgspec.Struct, frozen=True):
    phone: PhoneText
    code: Annotated[str, msgspec.Meta(pattern=r"^\d{6}$")]


class CitizenAuthController(Controller):
    """Sign-in for citizens. Public; with a citizen's Bearer token the new identity is linked
    to that account instead (a WeChat user adding a phone number, or the reverse)."""

    path = "/auth"
    tags = ["citizen auth"]
    # Sign-in attempts, codes sent and WeChat calls are rate limited (429 in the document).
    opt = {"public": True, "rate_limited": True}

    @post("/wechat", summary="Sign in with a mini-program wx.login code")
    async def wechat(self, request: Request, data: JSONBody[WeChatLoginIn]) -> SessionOut:
        # The WeChat call happens before the transaction: no lock is held while we wait.
        client = wechat_client_from_settings(get_settings())
        identity = await client.code_to_session(data.code)
        async with transaction():
            session = await accounts.sign_in_wechat(
                identity=identity, link_to=optional_actor(request), ip=client_ip(request)
            )
        return SessionOut.of(session)

    @post(
        "/sms/request",
        status_code=HTTP_202_ACCEPTED,
        summary="Send a 6-digit code by SMS",
        # The SMS vendor's error (sms.provider_failed); 503 and 429 are documented for all.
        responses=problem_responses(502),
    )
    async def sms_request(self, request: Request, data: JSONBody[SmsRequestIn]) -> SmsRequestOut:
        # Reserve, send with no transaction open, then keep or undo: see accounts.sms_login.
        settings = get_settings()
        await send_login_code(
            phone=data.phone, ip=client_ip(request), sender=sms_sender_from_settings(settings)
        )
        return SmsRequestOut(
            sent=True,
            expires_in=settings.sms_code_ttl_seconds,
            resend_after=settings.sms_resend_interval_seconds,
        )

    @post("/sms/verify", summary="Sign in (or link a phone) with the SMS code")
    async def sms_verify(self, request: Request, data: JSONBody[SmsVerifyIn]) -> SessionOut:
        async with transaction():
            session = await accounts.verify_sms_code(
                phone=data.phone,
                code=data.code,
                link_to=optional_actor(request),
                ip=client_ip(request),
            )
        return SessionOut.of(session)
