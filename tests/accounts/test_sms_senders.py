"""The real SMS senders against loopback fakes that check their signatures as the vendors
do: what is signed right arrives, a wrong secret or a request changed after signing is
refused, and every vendor answer maps to our reason."""

from __future__ import annotations

import httpx
import pytest

from accounts.sms import SmsFailure, sms_sender_from_settings
from tests.sms_support import TEMPLATES, VENDORS, fail, received, reset, vendor_settings


@pytest.fixture
def vendor_reset():
    reset()
    yield
    reset()


def _sender(vendor: str, **changes):
    return sms_sender_from_settings(vendor_settings(vendor, **changes))


@pytest.mark.parametrize("vendor", VENDORS)
async def test_each_kind_arrives_with_its_template_and_parameters(vendor_reset, vendor):
    sender = _sender(vendor)
    params = {"code": "424242", "minutes": "5", "number": "20261204-00001", "status": "已受理"}
    for kind in ("login_code", "case_update", "urgent_case"):
        assert await sender.send(phone="+8613800138000", kind=kind, params=params)
    texts = received(vendor)
    assert [t["templateCode"] for t in texts] == [code for code, _ in TEMPLATES[vendor].values()]
    assert {t["phone"] for t in texts} == {"13800138000"}
    if vendor == "aliyun":
        assert texts[0]["params"] == {"code": "424242"}
        assert texts[1]["params"] == {"number": "20261204-00001", "status": "已受理"}
    else:
        assert texts[0]["params"] == ["424242", "5"]
        assert texts[2]["params"] == ["20261204-00001"]
    assert {t["signName"] for t in texts} == {"城市运行服务"}


@pytest.mark.parametrize("vendor", VENDORS)
async def test_a_wrong_secret_is_refused_by_the_signature_check(vendor_reset, vendor):
    sender = _sender(vendor, sms_access_key_secret="not-the-secret")
    with pytest.raises(SmsFailure) as failure:
        await sender.send_code(phone="+8613800138000", code="111111", ttl_minutes=5)
    assert failure.value.reason == "auth"
    expected = {"aliyun": "SignatureDoesNotMatch", "tencent": "AuthFailure.SignatureFailure"}
    assert failure.value.vendor_code == expected[vendor]
    assert received(vendor) == []


@pytest.mark.parametrize("vendor", VENDORS)
async def test_an_unknown_key_id_is_refused(vendor_reset, vendor):
    sender = _sender(vendor, sms_access_key_id="someone-else")
    with pytest.raises(SmsFailure) as failure:
        await sender.send_code(phone="+8613800138000", code="111111", ttl_minutes=5)
    assert failure.value.reason == "auth"
    assert received(vendor) == []


async def _signed_request(vendor: str) -> httpx.Request:
    """The request the sender signed and sent (it was accepted)."""
    sender = _sender(vendor)
    seen: list[httpx.Request] = []

    async def capture(request: httpx.Request) -> None:
        seen.append(request)

    sender.http_client.event_hooks["request"] = [capture]
    try:
        await sender.send_code(phone="+8613800138000", code="222222", ttl_minutes=5)
    finally:
        sender.http_client.event_hooks["request"] = []
    return seen[-1]


async def test_aliyun_refuses_a_request_changed_after_signing_and_a_replay(vendor_reset):
    signed = await _signed_request("aliyun")
    other = str(signed.url).replace("PhoneNumbers=13800138000", "PhoneNumbers=13900139000")
    headers = dict(signed.headers)
    async with httpx.AsyncClient() as client:
        changed = await client.post(other, headers=headers)
        replayed = await client.post(str(signed.url), headers=headers)
    assert changed.status_code == 400 and changed.json()["Code"] == "SignatureDoesNotMatch"
    assert replayed.status_code == 400 and replayed.json()["Code"] == "SignatureNonceUsed"
    assert [t["phone"] for t in received("aliyun")] == ["13800138000"]


async def test_tencent_refuses_a_body_changed_after_signing(vendor_reset):
    signed = await _signed_request("tencent")
    body = signed.content.replace(b"+8613800138000", b"+8613900139000")
    headers = {k: v for k, v in signed.headers.items() if k.lower() != "content-length"}
    async with httpx.AsyncClient() as client:
        changed = await client.post(str(signed.url), headers=headers, content=body)
        again = await client.post(str(signed.url), headers=headers, content=signed.content)
    assert changed.json()["Response"]["Error"]["Code"] == "AuthFailure.SignatureFailure"
    assert "SendStatusSet" in again.json()["Response"]  # the untouched request still holds
    assert [t["phone"] for t in received("tencent")] == ["13800138000"] * 2


@pytest.mark.parametrize("vendor", VENDORS)
@pytest.mark.parametrize(
    ("error", "codes"),
    [
        (
            "invalid_phone",
            ("isv.MOBILE_NUMBER_ILLEGAL", "InvalidParameterValue.IncorrectPhoneNumber"),
        ),
        ("template", ("isv.SMS_TEMPLATE_ILLEGAL", "FailedOperation.TemplateIncorrectOrUnapproved")),
        (
            "rate_limited",
            ("isv.BUSINESS_LIMIT_CONTROL", "LimitExceeded.PhoneNumberThirtySecondLimit"),
        ),
        ("balance", ("isv.AMOUNT_NOT_ENOUGH", "FailedOperation.InsufficientBalanceInSmsPackage")),
        ("unavailable", ("ServiceUnavailable", "InternalError.Timeout")),
    ],
)
async def test_vendor_errors_map_to_reasons(vendor_reset, vendor, error, codes):
    fail(vendor, error)
    with pytest.raises(SmsFailure) as failure:
        await _sender(vendor).send_code(phone="+8613800138000", code="333333", ttl_minutes=5)
    assert failure.value.reason == error
    assert failure.value.vendor_code == codes[VENDORS.index(vendor)]


@pytest.mark.parametrize("vendor", VENDORS)
async def test_the_fake_judges_numbers_and_templates_itself(vendor_reset, vendor):
    sender = _sender(vendor, sms_template_case_update="not-approved")
    with pytest.raises(SmsFailure) as bad_number:
        await sender.send_code(phone="+8612345", code="444444", ttl_minutes=5)
    with pytest.raises(SmsFailure) as bad_template:
        await sender.send(phone="+8613800138000", kind="case_update", params={"number": "1"})
    assert bad_number.value.reason == "invalid_phone"
    assert bad_template.value.reason == "template"


@pytest.mark.parametrize("vendor", VENDORS)
async def test_an_unreachable_vendor_is_unavailable(vendor_reset, vendor):
    sender = _sender(vendor, sms_endpoint="http://127.0.0.1:9")
    with pytest.raises(SmsFailure) as failure:
        await sender.send_code(phone="+8613800138000", code="555555", ttl_minutes=5)
    assert failure.value.reason == "unavailable"
