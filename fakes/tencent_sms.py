"""A loopback fake of Tencent Cloud SMS (API 3.0, ``SendSms`` 2021-01-11, TC3-HMAC-SHA256),
so the official SDK's client runs against it in tests and in the demo.

It verifies what it received as the API gateway does: the ``Authorization`` header
(``TC3-HMAC-SHA256 Credential=SecretId/Date/sms/tc3_request, SignedHeaders=...,
Signature=...``), the canonical request rebuilt from method, path, query, the signed headers
(names and values lower-cased) and the SHA-256 of the body actually sent, the signing key
derived from ``"TC3" + SecretKey`` over date, service and ``tc3_request``, the date of
``X-TC-Timestamp`` and its skew (5 minutes). Errors come back as the API does, HTTP 200 and
``{"Response": {"Error": {"Code", "Message"}, "RequestId"}}``: a wrong secret or a changed
request is ``AuthFailure.SignatureFailure``. Numbers are answered one by one in
``SendStatusSet`` (``Ok``, or e.g. ``InvalidParameterValue.IncorrectPhoneNumber``).

Control routes: see ``fakes.sms_control``.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
import re
import secrets
import time
import uuid

from litestar import Litestar, Request, Response, post

from fakes.sms_control import SmsAccount, SmsFakeState, fake_app

_AUTH = re.compile(
    r"^TC3-HMAC-SHA256 Credential=(?P<id>[^/]+)/(?P<date>\d{4}-\d{2}-\d{2})/(?P<service>[^/]+)"
    r"/tc3_request, SignedHeaders=(?P<signed>[^,]+), Signature=(?P<signature>[0-9a-f]{64})$"
)
_MOBILE = re.compile(r"^(?:\+86|0086|86)?(1[3-9]\d{9})$")

DEMO_TEMPLATES = {"100001": ("1", "2"), "100002": ("1", "2"), "100003": ("1",)}

# Request-level errors and per-number codes the fake can be told to answer with.
_FORCED_ERROR = {
    "template": (
        "FailedOperation.TemplateIncorrectOrUnapproved",
        "template is not approved or request content does not match the approved template content",
    ),
    "balance": (
        "FailedOperation.InsufficientBalanceInSmsPackage",
        "insufficient balance in SMS package",
    ),
    "unavailable": ("InternalError.Timeout", "request timed out"),
}
_FORCED_STATUS = {
    "invalid_phone": ("InvalidParameterValue.IncorrectPhoneNumber", "incorrect phone number"),
    "rate_limited": (
        "LimitExceeded.PhoneNumberThirtySecondLimit",
        "the number of sms messages sent from a single mobile number within 30 seconds "
        "exceeds the upper limit",
    ),
}


def _answer(payload: dict) -> Response:
    # The SDK reads the body only when the content type is exactly application/json.
    return Response(
        {"Response": {**payload, "RequestId": str(uuid.uuid4())}}, media_type="application/json"
    )


def _error(code: str, message: str) -> Response:
    return _answer({"Error": {"Code": code, "Message": message}})


def _hmac(key: bytes, text: str) -> bytes:
    return hmac.new(key, text.encode(), hashlib.sha256).digest()


def _verify(state: SmsFakeState, request: Request, body: bytes) -> Response | None:
    headers = {k.lower(): v for k, v in request.headers.items()}
    match = _AUTH.match(headers.get("authorization", ""))
    if match is None:
        return _error("AuthFailure.InvalidAuthorization", "Authorization is not valid")
    if match["id"] != state.account.key_id:
        return _error("AuthFailure.SecretIdNotFound", "The SecretId is not found")
    try:
        timestamp = int(headers.get("x-tc-timestamp", ""))
    except ValueError:
        return _error("MissingParameter", "The request is missing a required parameter `Timestamp`")
    if abs(time.time() - timestamp) > 300:
        return _error("AuthFailure.SignatureExpire", "Signature expired")
    date = dt.datetime.fromtimestamp(timestamp, dt.UTC).strftime("%Y-%m-%d")
    signed = match["signed"].split(";")
    if not {"content-type", "host"} <= set(signed) or not set(signed) <= set(headers):
        return _error("AuthFailure.InvalidAuthorization", "Authorization is not valid")
    canonical = "\n".join(
        [
            request.method,
            request.url.path or "/",
            request.scope["query_string"].decode(),
            "".join(f"{n}:{headers[n].strip().lower()}\n" for n in sorted(signed)),
            ";".join(sorted(signed)),
            hashlib.sha256(body).hexdigest(),
        ]
    )
    scope = f"{match['date']}/{match['service']}/tc3_request"
    to_sign = "\n".join(
        [
            "TC3-HMAC-SHA256",
            str(timestamp),
            scope,
            hashlib.sha256(canonical.encode()).hexdigest(),
        ]
    )
    key = _hmac(("TC3" + state.account.secret).encode(), match["date"])
    key = _hmac(_hmac(key, match["service"]), "tc3_request")
    expected = hmac.new(key, to_sign.encode(), hashlib.sha256).hexdigest()
    if (
        match["date"] != date
        or match["service"] != "sms"
        or not hmac.compare_digest(expected, match["signature"])
    ):
        return _error(
            "AuthFailure.SignatureFailure",
            "The provided credentials could not be validated. "
            "Please check your signature is correct.",
        )
    return None


def create_tencent_sms_fake(account: SmsAccount | None = None) -> Litestar:
    state = SmsFakeState(account=account or SmsAccount(templates=dict(DEMO_TEMPLATES)))

    @post("/", status_code=200)
    async def api(request: Request) -> Response:
        body, refused = await state.admit(request, _verify)
        if refused is not None:
            return refused
        action, version = request.headers.get("x-tc-action"), request.headers.get("x-tc-version")
        if (action, version) != ("SendSms", "2021-01-11"):
            return _error("InvalidAction", f"The action {action} {version} is not found")
        try:
            data = json.loads(body)
        except ValueError:
            return _error("FailedOperation.JsonParseFail", "failed to parse the request body")
        forced = state.next_failure()
        if forced in _FORCED_ERROR:
            return _error(*_FORCED_ERROR[forced])
        return _send(state, data, _FORCED_STATUS.get(forced))

    return fake_app(api, state)


def _send(state: SmsFakeState, data: dict, forced: tuple[str, str] | None) -> Response:
    account = state.account
    if data.get("SmsSdkAppId") != account.app_id:
        return _error("InvalidParameterValue.SdkAppIdNotExist", "SdkAppId does not exist")
    if data.get("SignName") != account.sign_name:
        return _error("FailedOperation.SignatureIncorrectOrUnapproved", "signature is not approved")
    variables = account.templates.get(str(data.get("TemplateId")))
    if variables is None:
        return _error(*_FORCED_ERROR["template"])
    params = data.get("TemplateParamSet") or []
    if len(params) != len(variables) or not all(isinstance(p, str) and p for p in params):
        return _error(
            "FailedOperation.TemplateParamSetNotMatchApprovedTemplate",
            "request content does not match the approved template content",
        )
    statuses = []
    for number in data.get("PhoneNumberSet") or []:
        phone = _MOBILE.match(str(number))
        code, message = forced or (
            ("Ok", "send success")
            if phone
            else ("InvalidParameterValue.IncorrectPhoneNumber", "incorrect phone number")
        )
        serial = f"{secrets.randbelow(10**10):010d}:{uuid.uuid4().hex}" if code == "Ok" else ""
        if code == "Ok":
            state.received.append(
                {
                    "phone": phone.group(1),
                    "signName": data["SignName"],
                    "templateCode": str(data["TemplateId"]),
                    "params": params,
                    "serialNo": serial,
                }
            )
        statuses.append(
            {
                "SerialNo": serial,
                "PhoneNumber": str(number),
                "Fee": 1 if code == "Ok" else 0,
                "SessionContext": str(data.get("SessionContext") or ""),
                "Code": code,
                "Message": message,
                "IsoCode": "CN",
            }
        )
    return _answer({"SendStatusSet": statuses})
