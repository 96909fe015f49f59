"""Alibaba Cloud SMS (Dysmsapi 2017-05-25 SendSms) over httpx, signed with ACS3-HMAC-SHA256
(the V3 signature the official SDK uses).

Why not the SDK: alibabacloud-dysmsapi20170525 brings alibabacloud-tea-openapi,
darabonba-core (aiohttp, requests, websocket-client), alibabacloud-credentials (APScheduler,
aiofiles) for one signed POST; its async path runs on aiohttp beside our httpx. The request
below is the SDK's own: RPC style, parameters in the query string, an empty body.

A request: ``POST /?PhoneNumbers=..&SignName=..&TemplateCode=..&TemplateParam={json}`` with
the headers host, x-acs-action, x-acs-version, x-acs-date, x-acs-signature-nonce,
x-acs-content-sha256 and ``Authorization: ACS3-HMAC-SHA256 Credential=<AccessKeyId>,
SignedHeaders=<;-joined lower-case names>,Signature=<hex>``, where the signature is
HMAC-SHA256(secret, "ACS3-HMAC-SHA256\\n" + hex(SHA256(canonical request))) and the
canonical request is method, path, the sorted percent-encoded query, the signed headers as
``name:value\\n`` lines, their names, and the payload's SHA-256, joined by newlines.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import secrets
from urllib.parse import quote, urlsplit

import httpx
import msgspec

from accounts.sms import SmsFailure, SmsKind, SmsSender, template_code
from core.settings import Settings

ACTION, VERSION = "SendSms", "2017-05-25"
ALGORITHM = "ACS3-HMAC-SHA256"
DEFAULT_ENDPOINT = "https://dysmsapi.aliyuncs.com"
# The variables each kind's template declares (${code}, ${number}...). A verification-code
# template may declare one variable only, so login_code passes the code alone.
TEMPLATE_VARIABLES: dict[str, tuple[str, ...]] = {
    "login_code": ("code",),
    "case_update": ("number", "status"),
    "urgent_case": ("number",),
}
_REASONS = {
    "isv.MOBILE_NUMBER_ILLEGAL": "invalid_phone",
    "isv.SMS_TEMPLATE_ILLEGAL": "template",
    "isv.SMS_SIGNATURE_ILLEGAL": "template",
    "isv.SMS_SIGN_ILLEGAL": "template",
    "isv.SIGN_STATE_ILLEGAL": "template",
    "isv.SMS_SIGNATURE_SCENE_ILLEGAL": "template",
    "isv.TEMPLATE_MISSING_PARAMETERS": "template",
    "isv.TEMPLATE_PARAMS_ILLEGAL": "template",
    "isv.BUSINESS_LIMIT_CONTROL": "rate_limited",
    "isv.DAY_LIMIT_CONTROL": "rate_limited",
    "isv.MONTH_LIMIT_CONTROL": "rate_limited",
    "isv.AMOUNT_NOT_ENOUGH": "balance",
    "isv.OUT_OF_SERVICE": "balance",
    "SignatureDoesNotMatch": "auth",
    "IncompleteSignature": "auth",
    "InvalidAccessKeyId.NotFound": "auth",
    "InvalidAccessKeyId.Inactive": "auth",
    "isv.ACCOUNT_NOT_EXISTS": "auth",
    "isv.ACCOUNT_ABNORMAL": "auth",
    "isp.RAM_PERMISSION_DENY": "auth",
    "isv.PRODUCT_UN_SUBSCRIPT": "auth",
    "isp.SYSTEM_ERROR": "unavailable",
    "ServiceUnavailable": "unavailable",
    "InternalError": "unavailable",
}


class _Answer(msgspec.Struct):
    Code: str = ""
    Message: str = ""
    BizId: str = ""
    RequestId: str = ""


def _encode(text: str) -> str:
    # RFC 3986: only unreserved characters stay as they are (so "+" and "/" are encoded).
    return quote(text, safe="~")


def canonical_query(params: dict[str, str]) -> str:
    return "&".join(f"{_encode(k)}={_encode(v)}" for k, v in sorted(params.items()))


def authorization(
    *,
    method: str,
    path: str,
    query: str,
    headers: dict[str, str],
    payload_hash: str,
    key_id: str,
    secret: str,
) -> str:
    """The Authorization header over ``headers`` (lower-case names, all of them signed)."""
    names = sorted(headers)
    canonical = "\n".join(
        [
            method,
            path,
            query,
            "".join(f"{name}:{headers[name].strip()}\n" for name in names),
            ";".join(names),
            payload_hash,
        ]
    )
    to_sign = f"{ALGORITHM}\n{hashlib.sha256(canonical.encode()).hexdigest()}"
    signature = hmac.new(secret.encode(), to_sign.encode(), hashlib.sha256).hexdigest()
    return f"{ALGORITHM} Credential={key_id},SignedHeaders={';'.join(names)},Signature={signature}"


class AliyunSmsSender(SmsSender):
    name = "aliyun"

    def __init__(
        self,
        *,
        key_id: str,
        secret: str,
        sign_name: str,
        templates: dict[str, str],
        endpoint: str = DEFAULT_ENDPOINT,
        timeout: float = 5.0,
    ) -> None:
        self._key_id = key_id
        self._secret = secret
        self._sign_name = sign_name
        self._templates = templates
        self._endpoint = endpoint.rstrip("/")
        self._host = urlsplit(self._endpoint).netloc
        self.http_client = httpx.AsyncClient(timeout=timeout)

    @classmethod
    def from_settings(cls, settings: Settings) -> AliyunSmsSender:
        region = settings.sms_region or "cn-hangzhou"
        # Domestic SMS has one endpoint; other regions have their own host.
        default = (
            DEFAULT_ENDPOINT
            if region == "cn-hangzhou"
            else f"https://dysmsapi.{region}.aliyuncs.com"
        )
        return cls(
            key_id=settings.sms_access_key_id,
            secret=settings.sms_access_key_secret,
            sign_name=settings.sms_sign_name,
            templates={kind: template_code(settings, kind) for kind in TEMPLATE_VARIABLES},
            endpoint=settings.sms_endpoint or default,
            timeout=settings.sms_timeout_seconds,
        )

    def _request(self, phone: str, kind: SmsKind, params: dict[str, str]) -> tuple[str, dict]:
        variables = {name: params.get(name, "") for name in TEMPLATE_VARIABLES[kind]}
        query = canonical_query(
            {
                # Mainland numbers go without the country code, as Dysmsapi documents them.
                "PhoneNumbers": phone.removeprefix("+86"),
                "SignName": self._sign_name,
                "TemplateCode": self._templates[kind],
                "TemplateParam": msgspec.json.encode(variables).decode(),
            }
        )
        empty = hashlib.sha256(b"").hexdigest()
        headers = {
            "host": self._host,
            "x-acs-action": ACTION,
            "x-acs-version": VERSION,
            "x-acs-date": dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
            "x-acs-signature-nonce": secrets.token_hex(16),
            "x-acs-content-sha256": empty,
        }
        headers["authorization"] = authorization(
            method="POST",
            path="/",
            query=query,
            headers=headers,
            payload_hash=empty,
            key_id=self._key_id,
            secret=self._secret,
        )
        return query, headers

    async def send(self, *, phone: str, kind: SmsKind, params: dict[str, str]) -> str:
        query, headers = self._request(phone, kind, params)
        try:
            # The query is sent exactly as signed (httpx would re-encode a params dict).
            response = await self.http_client.post(f"{self._endpoint}/?{query}", headers=headers)
        except httpx.TimeoutException:
            raise SmsFailure("unavailable", "timeout") from None
        except httpx.HTTPError as exc:
            raise SmsFailure("unavailable", type(exc).__name__) from None
        try:
            answer = msgspec.json.decode(response.content, type=_Answer)
        except (msgspec.DecodeError, msgspec.ValidationError):
            reason = "unavailable" if response.status_code >= 500 else "error"
            raise SmsFailure(reason, f"HTTP {response.status_code}") from None
        if response.status_code == 200 and answer.Code == "OK":
            return answer.BizId
        reason = _REASONS.get(answer.Code)
        if reason is None:
            reason = "unavailable" if response.status_code >= 500 else "error"
            if answer.Code.startswith("Throttling"):
                reason = "rate_limited"
        raise SmsFailure(reason, answer.Code, answer.Message)

    async def aclose(self) -> None:
        await self.http_client.aclose()
