"""A loopback fake of Alibaba Cloud SMS (Dysmsapi 2017-05-25 ``SendSms``, RPC style, V3
signature ACS3-HMAC-SHA256), so the real sender runs in tests and in the demo.

It checks requests as the gateway does, from the request it received (not by asking our
client): the Authorization header's key id and signed headers, the canonical request rebuilt
from the method, path, raw query, headers and the SHA-256 of the body actually sent, the
date (15 minutes of skew) and the nonce (used once). A request signed with another secret,
or changed after signing, gets HTTP 400 ``SignatureDoesNotMatch``. Then the SMS rules:
approved sign name and template, the template's variables, a mainland number, answered
with the documented codes (``OK`` with a BizId, or ``isv.*`` with HTTP 200).

Control routes: see ``fakes.sms_control``.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
import re
import secrets
from urllib.parse import parse_qsl, quote

from litestar import Litestar, Request, Response, post

from fakes.sms_control import SmsAccount, SmsFakeState, fake_app

ALGORITHM = "ACS3-HMAC-SHA256"
_AUTH = re.compile(
    r"^ACS3-HMAC-SHA256 Credential=(?P<key>[^,]*),SignedHeaders=(?P<signed>[^,]*),"
    r"Signature=(?P<signature>[0-9a-f]+)$"
)
_MOBILE = re.compile(r"^(?:\+86|0086|86)?(1[3-9]\d{9})$")
_SKEW = dt.timedelta(minutes=15)

DEMO_TEMPLATES = {
    "SMS_000000001": ("code",),
    "SMS_000000002": ("number", "status"),
    "SMS_000000003": ("number",),
}

_FORCED = {
    "invalid_phone": ("isv.MOBILE_NUMBER_ILLEGAL", "非法手机号"),
    "template": ("isv.SMS_TEMPLATE_ILLEGAL", "该账号下找不到对应模板"),
    "rate_limited": ("isv.BUSINESS_LIMIT_CONTROL", "触发分钟级流控Permits:1"),
    "balance": ("isv.AMOUNT_NOT_ENOUGH", "账户余额不足"),
}


def _request_id() -> str:
    return secrets.token_hex(16).upper()


def _error(status: int, code: str, message: str) -> Response:
    return Response(
        {
            "RequestId": _request_id(),
            "HostId": "dysmsapi.aliyuncs.com",
            "Code": code,
            "Message": message,
            "Recommend": f"https://api.aliyun.com/troubleshoot?q={code}&product=Dysmsapi",
        },
        status_code=status,
    )


def _business(code: str, message: str) -> Response:
    return Response({"RequestId": _request_id(), "Code": code, "Message": message})


def _pct(text: str) -> str:
    return quote(text, safe="-_.~")


def _verify(state: SmsFakeState, request: Request, body: bytes) -> Response | None:
    """None when the signature holds, else the gateway's error answer."""
    headers = {k.lower(): v for k, v in request.headers.items()}
    match = _AUTH.match(headers.get("authorization", ""))
    if match is None:
        return _error(400, "IncompleteSignature", "The request signature does not conform.")
    if match["key"] != state.account.key_id:
        return _error(404, "InvalidAccessKeyId.NotFound", "Specified access key is not found.")
    signed = match["signed"].split(";")
    # Every common header must be signed (host, x-acs-*, content-type when present).
    needed = {"host"} | {k for k in headers if k.startswith("x-acs-")}
    if "content-type" in headers:
        needed.add("content-type")
    if not needed <= set(signed) or signed != sorted(signed) or not set(signed) <= set(headers):
        return _error(400, "IncompleteSignature", "The request signature does not conform.")
    for name in ("x-acs-action", "x-acs-version", "x-acs-date", "x-acs-signature-nonce"):
        if not headers.get(name):
            return _error(400, "MissingParameter", f"The input parameter {name} is missing.")
    try:
        when = dt.datetime.strptime(headers["x-acs-date"], "%Y-%m-%dT%H:%M:%SZ")
    except ValueError:
        return _error(400, "InvalidTimeStamp.Format", "Specified time stamp is malformed.")
    if abs(dt.datetime.now(dt.UTC).replace(tzinfo=None) - when) > _SKEW:
        return _error(400, "InvalidTimeStamp.Expired", "Specified time stamp is expired.")
    pairs = parse_qsl(request.scope["query_string"].decode(), keep_blank_values=True)
    query = "&".join(f"{_pct(k)}={_pct(v)}" for k, v in sorted(pairs))
    canonical = "\n".join(
        [
            request.method,
            request.url.path or "/",
            query,
            "".join(f"{name}:{headers[name].strip()}\n" for name in signed),
            ";".join(signed),
            hashlib.sha256(body).hexdigest(),
        ]
    )
    digest = hashlib.sha256(canonical.encode()).hexdigest()
    expected = hmac.new(
        state.account.secret.encode(), f"{ALGORITHM}\n{digest}".encode(), hashlib.sha256
    ).hexdigest()
    if headers.get("x-acs-content-sha256") != hashlib.sha256(body).hexdigest() or (
        not hmac.compare_digest(expected, match["signature"])
    ):
        return _error(
            400, "SignatureDoesNotMatch", "Specified signature is not matched with our calculation."
        )
    nonce = headers["x-acs-signature-nonce"]
    if nonce in state.nonces:
        return _error(400, "SignatureNonceUsed", "Specified signature nonce was used already.")
    state.nonces.add(nonce)
    return None


def create_aliyun_sms_fake(account: SmsAccount | None = None) -> Litestar:
    state = SmsFakeState(account=account or SmsAccount(templates=dict(DEMO_TEMPLATES)))

    @post("/", status_code=200)
    async def rpc(request: Request) -> Response:
        body, refused = await state.admit(request, _verify)
        if refused is not None:
            return refused
        headers = {k.lower(): v for k, v in request.headers.items()}
        if (headers["x-acs-action"], headers["x-acs-version"]) != ("SendSms", "2017-05-25"):
            return _error(404, "InvalidAction.NotFound", "Specified api is not found.")
        forced = state.next_failure()
        if forced == "unavailable":
            return _error(
                503,
                "ServiceUnavailable",
                "The request has failed due to a temporary failure of the server.",
            )
        if forced:
            return _business(*_FORCED[forced])
        query = dict(parse_qsl(request.scope["query_string"].decode(), keep_blank_values=True))
        return _send(state, query)

    return fake_app(rpc, state)


def _send(state: SmsFakeState, query: dict[str, str]) -> Response:
    for name in ("PhoneNumbers", "SignName", "TemplateCode"):
        if not query.get(name):
            return _error(400, "MissingParameter", f"The input parameter {name} is missing.")
    phone = _MOBILE.match(query["PhoneNumbers"])
    if phone is None:
        return _business("isv.MOBILE_NUMBER_ILLEGAL", "非法手机号")
    if query["SignName"] != state.account.sign_name:
        return _business("isv.SMS_SIGNATURE_ILLEGAL", "该账号下找不到对应签名")
    variables = state.account.templates.get(query["TemplateCode"])
    if variables is None:
        return _business("isv.SMS_TEMPLATE_ILLEGAL", "该账号下找不到对应模板")
    try:
        params = json.loads(query.get("TemplateParam") or "{}")
    except ValueError:
        params = None
    if not isinstance(params, dict) or not all(isinstance(v, str) for v in params.values()):
        return _business("isv.INVALID_JSON_PARAM", "JSON参数不合法，只接受字符串值")
    if any(not params.get(name) for name in variables):
        return _business("isv.TEMPLATE_MISSING_PARAMETERS", "模板变量缺少对应参数值")
    biz_id = f"{secrets.randbelow(10**15):015d}^0"
    state.received.append(
        {
            "phone": phone.group(1),
            "signName": query["SignName"],
            "templateCode": query["TemplateCode"],
            "params": params,
            "bizId": biz_id,
        }
    )
    return Response({"RequestId": _request_id(), "Code": "OK", "Message": "OK", "BizId": biz_id})
