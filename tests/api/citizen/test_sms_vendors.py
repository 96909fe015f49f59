"""SMS sign-in through the real vendors' senders and their fakes: the code arrives and signs
in; a vendor failure is a clear problem for the phone, burns neither the resend interval nor
the daily caps, and leaves no usable code behind."""

from __future__ import annotations

import datetime as dt

import pytest

import accounts.sms_login
import api.citizen.auth as citizen_auth
from accounts.sms import sms_sender_from_settings
from accounts.tables import SmsChallenge
from core import clock
from tests.helpers import assert_problem
from tests.sms_support import VENDORS, delay, fail, received, reset, vendor_settings

REQUEST = "/api/citizen/auth/sms/request"
VERIFY = "/api/citizen/auth/sms/verify"


@pytest.fixture(params=VENDORS)
def vendor(request, api, monkeypatch):
    """The sign-in route sends through ``vendor``'s real sender, pointed at its fake."""
    reset()
    settings = vendor_settings(request.param, sms_daily_cap_per_phone=2)
    for module in (citizen_auth, accounts.sms_login):
        monkeypatch.setattr(module, "get_settings", lambda: settings)
    monkeypatch.setattr(
        citizen_auth, "sms_sender_from_settings", lambda _: sms_sender_from_settings(settings)
    )
    yield request.param
    reset()


def _code(vendor: str) -> str:
    params = received(vendor)[-1]["params"]
    return params["code"] if vendor == "aliyun" else params[0]


async def test_the_code_arrives_at_the_vendor_and_signs_in(api, vendor):
    response = await api.post(REQUEST, json={"phone": "138 0013 8000"})
    assert response.status_code == 202, response.text
    assert received(vendor)[-1]["phone"] == "13800138000"
    challenge = await SmsChallenge.objects().first()
    assert challenge.sent_at is not None
    signed_in = await api.post(VERIFY, json={"phone": "13800138000", "code": _code(vendor)})
    assert signed_in.status_code == 201, signed_in.text


@pytest.mark.parametrize(
    ("error", "status", "code", "retry_after"),
    [
        ("invalid_phone", 400, "sms.invalid_phone", None),
        ("template", 502, "sms.provider_failed", None),
        ("rate_limited", 429, "sms.provider_rate_limited", "60"),
        ("balance", 503, "sms.provider_unavailable", "300"),
        ("unavailable", 503, "sms.provider_unavailable", "30"),
    ],
)
async def test_a_vendor_failure_is_a_problem_and_burns_nothing(
    api, vendor, error, status, code, retry_after
):
    phone = "13800138001"
    fail(vendor, error)
    response = await api.post(REQUEST, json={"phone": phone}, headers={"Accept-Language": "en"})
    body = assert_problem(response, status, code)
    assert response.headers.get("retry-after") == retry_after
    assert body["detail"] and "Internal" not in body["title"]
    # Nothing half-done: no code that never left, no reservation counting towards caps.
    assert await SmsChallenge.count() == 0
    assert_problem(
        await api.post(VERIFY, json={"phone": phone, "code": "123456"}), 400, "sms.code_expired"
    )
    # The resend interval was not burnt: a retry goes through at once...
    assert (await api.post(REQUEST, json={"phone": phone})).status_code == 202
    assert received(vendor)[-1]["phone"] == phone


async def test_failures_do_not_count_towards_the_daily_cap(api, vendor):
    phone = "13800138002"
    for _ in range(3):
        fail(vendor, "unavailable")
        assert (await api.post(REQUEST, json={"phone": phone})).status_code == 503
    # The cap of this test is 2 a day: both still go through, then the cap holds.
    for _ in range(2):
        assert (await api.post(REQUEST, json={"phone": phone})).status_code == 202
        clock.travel(dt.timedelta(seconds=61))
    assert_problem(await api.post(REQUEST, json={"phone": phone}), 429, "sms.daily_cap")
    assert len(received(vendor)) == 2


async def test_a_vendor_that_does_not_answer_in_time_is_a_503(api, vendor):
    delay(vendor, 1.5)  # the sender's timeout in these settings is 1 s
    response = await api.post(REQUEST, json={"phone": "13800138003"})
    assert_problem(response, 503, "sms.provider_unavailable")
    assert await SmsChallenge.count() == 0


async def test_wrong_credentials_are_a_502_not_a_500(api, vendor, monkeypatch):
    settings = vendor_settings(vendor, sms_access_key_secret="wrong-secret")
    monkeypatch.setattr(
        citizen_auth, "sms_sender_from_settings", lambda _: sms_sender_from_settings(settings)
    )
    response = await api.post(REQUEST, json={"phone": "13800138004"})
    body = assert_problem(response, 502, "sms.provider_failed")
    assert "Signature" in body["detail"]
    assert await SmsChallenge.count() == 0


async def test_no_transaction_is_open_while_the_vendor_is_called(api, vendor, monkeypatch):
    """On SQLite a write transaction blocks every other writer; on PostgreSQL the phone's
    lock would be held: the vendor call must happen between transactions."""
    from core.db import in_transaction

    real = sms_sender_from_settings(vendor_settings(vendor))
    seen: list[bool] = []

    class Watching(type(real)):
        def __init__(self) -> None:
            self.__dict__.update(real.__dict__)

        async def send(self, **kwargs) -> str:
            seen.append(in_transaction())
            return await real.send(**kwargs)

    monkeypatch.setattr(citizen_auth, "sms_sender_from_settings", lambda _: Watching())
    assert (await api.post(REQUEST, json={"phone": "13800138005"})).status_code == 202
    assert seen == [False]
