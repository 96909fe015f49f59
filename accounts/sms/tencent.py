"""Tencent Cloud SMS (API 3.0, SendSms 2021-01-11) through the official SDK's async client,
which signs with TC3-HMAC-SHA256 and sends with httpx (our HTTP client already).

The SDK takes its endpoint as a host plus a scheme, so ``CITYOPS_SMS_ENDPOINT`` may point it
at a loopback fake (``http://127.0.0.1:8014``); the host, port included, is then what the
signature covers, as it is for sms.tencentcloudapi.com. Its region circuit breaker (which
would switch to another region's host) stays off: we name the endpoint.

SendSms answers in two places: a request-level ``Response.Error`` (credentials, template,
signature, balance) and a per-number ``SendStatusSet[].Code`` (the number, its frequency
limits); both map to our reasons."""

from __future__ import annotations

from urllib.parse import urlsplit

import httpx
from tencentcloud.common import credential
from tencentcloud.common.exception.tencent_cloud_sdk_exception import TencentCloudSDKException
from tencentcloud.common.profile.client_profile import ClientProfile
from tencentcloud.common.profile.http_profile import HttpProfile
from tencentcloud.sms.v20210111 import models
from tencentcloud.sms.v20210111.sms_client_async import SmsClient

from accounts.sms import SmsFailure, SmsKind, SmsSender, template_code
from core.settings import Settings

DEFAULT_ENDPOINT = "https://sms.tencentcloudapi.com"
# Template variables are positional ({1}, {2}): the order each kind's template uses.
TEMPLATE_VARIABLES: dict[str, tuple[str, ...]] = {
    "login_code": ("code", "minutes"),
    "case_update": ("number", "status"),
    "urgent_case": ("number",),
}
_REASONS = {
    "InvalidParameterValue.IncorrectPhoneNumber": "invalid_phone",
    "FailedOperation.PhoneNumberParseFail": "invalid_phone",
    "FailedOperation.PhoneNumberInBlacklist": "invalid_phone",
    "FailedOperation.TemplateIncorrectOrUnapproved": "template",
    "FailedOperation.SignatureIncorrectOrUnapproved": "template",
    "FailedOperation.TemplateParamSetNotMatchApprovedTemplate": "template",
    "FailedOperation.MissingSignature": "template",
    "InvalidParameterValue.TemplateParameterFormatError": "template",
    "InvalidParameterValue.TemplateParameterLengthLimit": "template",
    "FailedOperation.InsufficientBalanceInSmsPackage": "balance",
    "InvalidParameterValue.SdkAppIdNotExist": "auth",
    "UnauthorizedOperation.SmsSdkAppIdVerifyFail": "auth",
    "UnauthorizedOperation.SdkAppIdIsDisabled": "auth",
    "ServerNetworkError": "unavailable",
}
_PREFIXES = (
    ("LimitExceeded.", "rate_limited"),
    ("RequestLimitExceeded", "rate_limited"),
    ("AuthFailure", "auth"),
    ("UnauthorizedOperation", "auth"),
    ("InternalError", "unavailable"),
)


def reason_of(code: str) -> str:
    if code in _REASONS:
        return _REASONS[code]
    for prefix, reason in _PREFIXES:
        if code.startswith(prefix):
            return reason
    return "error"


class TencentSmsSender(SmsSender):
    name = "tencent"

    def __init__(
        self,
        *,
        secret_id: str,
        secret_key: str,
        sdk_app_id: str,
        sign_name: str,
        templates: dict[str, str],
        region: str = "ap-guangzhou",
        endpoint: str = DEFAULT_ENDPOINT,
        timeout: float = 5.0,
    ) -> None:
        url = urlsplit(endpoint if "://" in endpoint else f"https://{endpoint}")
        profile = ClientProfile(
            httpProfile=HttpProfile(
                protocol=url.scheme,
                endpoint=url.netloc,
                # The SDK hands this to httpx, which takes fractions of a second too.
                reqTimeout=timeout,  # type: ignore[arg-type]
                keepAlive=True,
            ),
            disable_region_breaker=True,
        )
        self._client = SmsClient(credential.Credential(secret_id, secret_key), region, profile)
        self._sdk_app_id = sdk_app_id
        self._sign_name = sign_name
        self._templates = templates

    @property
    def http_client(self) -> httpx.AsyncClient:
        return self._client.http_client

    @classmethod
    def from_settings(cls, settings: Settings) -> TencentSmsSender:
        return cls(
            secret_id=settings.sms_access_key_id,
            secret_key=settings.sms_access_key_secret,
            sdk_app_id=settings.sms_sdk_app_id,
            sign_name=settings.sms_sign_name,
            templates={kind: template_code(settings, kind) for kind in TEMPLATE_VARIABLES},
            region=settings.sms_region or "ap-guangzhou",
            endpoint=settings.sms_endpoint or DEFAULT_ENDPOINT,
            timeout=settings.sms_timeout_seconds,
        )

    async def send(self, *, phone: str, kind: SmsKind, params: dict[str, str]) -> str:
        request = models.SendSmsRequest()
        request.PhoneNumberSet = [phone]
        request.SmsSdkAppId = self._sdk_app_id
        request.SignName = self._sign_name
        request.TemplateId = self._templates[kind]
        request.TemplateParamSet = [params.get(name, "") for name in TEMPLATE_VARIABLES[kind]]
        try:
            response = await self._client.SendSms(request)
        except TencentCloudSDKException as exc:
            code = exc.get_code() or "error"
            raise SmsFailure(reason_of(code), code, str(exc.get_message() or "")[:200]) from None
        except httpx.TimeoutException:
            raise SmsFailure("unavailable", "timeout") from None
        except (httpx.HTTPError, ValueError, KeyError) as exc:
            # Transport errors, and an answer that is not the documented JSON.
            raise SmsFailure("unavailable", type(exc).__name__) from None
        status = (response.SendStatusSet or [None])[0]
        if status is None:
            raise SmsFailure("error", "no SendStatusSet")
        if status.Code != "Ok":
            raise SmsFailure(reason_of(status.Code), status.Code, status.Message or "")
        return status.SerialNo or ""

    async def aclose(self) -> None:
        await self._client.close()
