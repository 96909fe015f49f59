"""Sending the SMS sign-in code: reserve, send, then keep or undo.

The vendor call may take seconds, so no transaction is open during it (on SQLite a write
transaction blocks every other writer; on PostgreSQL the phone's lock would). The caps are
exact across processes because the reservation is counted and inserted under two advisory
locks, the phone's and the client IP's, in one short transaction: a second request for the
same phone or from the same IP waits for the first to commit, then counts its row. The
vendor's failure undoes the reservation, so it burns neither the resend interval nor the
daily caps, and no code that never reached the phone stays usable.

``send_login_code`` owns its three short transactions, as the outbox worker does; the rest
run in the caller's."""

from __future__ import annotations

import datetime as dt
import hmac
import logging
import secrets

import msgspec

from accounts import errors
from accounts.phone import mask_phone, normalize_phone
from accounts.sms import SmsFailure, SmsSender
from accounts.tables import SmsChallenge
from core import clock
from core.db import lock, transaction
from core.errors import DomainError
from core.settings import get_settings

log = logging.getLogger(__name__)

# How long to tell the phone to wait after the vendor's own rate limit or an outage.
VENDOR_RATE_LIMIT_RETRY_SECONDS = 60
VENDOR_UNAVAILABLE_RETRY_SECONDS = 30
VENDOR_BALANCE_RETRY_SECONDS = 300


class SmsDelivery(msgspec.Struct, frozen=True, kw_only=True):
    challenge_id: int
    phone: str
    code: str
    ttl_minutes: int


def code_hash(phone: str, code: str) -> str:
    # Keyed, so a leaked table does not give the codes away to a 10^6 brute force.
    key = get_settings().jwt_secret.encode()
    return hmac.new(key, f"sms\x1f{phone}\x1f{code}".encode(), "sha256").hexdigest()


async def reserve_sms_code(*, phone: str, ip: str) -> SmsDelivery:
    """Check the resend interval and the daily caps and record the challenge, under the
    phone's and the IP's locks (always in that order, so two requests never deadlock)."""
    settings = get_settings()
    phone = normalize_phone(phone)
    await lock(f"sms:{phone}")
    await lock(f"sms-ip:{ip}")
    now = clock.now()
    latest = (
        await SmsChallenge.select(SmsChallenge.created_at)
        .where(SmsChallenge.phone == phone)
        .order_by(SmsChallenge.created_at, ascending=False)
        .first()
    )
    if latest is not None:
        wait = (
            settings.sms_resend_interval_seconds
            - (now - clock.as_utc(latest["created_at"])).total_seconds()
        )
        if wait > 0:
            raise errors.SmsTooSoon(retry_after=int(wait) + 1)
    day = clock.start_of_city_day(now)
    sent_to_phone = await SmsChallenge.count().where(
        (SmsChallenge.phone == phone) & (SmsChallenge.created_at >= day)
    )
    sent_from_ip = await SmsChallenge.count().where(
        (SmsChallenge.ip == ip) & (SmsChallenge.created_at >= day)
    )
    if (
        sent_to_phone >= settings.sms_daily_cap_per_phone
        or sent_from_ip >= settings.sms_daily_cap_per_ip
    ):
        raise errors.SmsDailyCap()
    code = f"{secrets.randbelow(1_000_000):06d}"
    rows = await SmsChallenge.insert(
        SmsChallenge(
            phone=phone,
            code_hash=code_hash(phone, code),
            ip=ip,
            created_at=now,
            expires_at=now + dt.timedelta(seconds=settings.sms_code_ttl_seconds),
        )
    ).returning(SmsChallenge.id)
    return SmsDelivery(
        challenge_id=rows[0]["id"],
        phone=phone,
        code=code,
        ttl_minutes=settings.sms_code_ttl_seconds // 60,
    )


async def mark_sms_sent(*, challenge_id: int) -> None:
    await SmsChallenge.update({SmsChallenge.sent_at: clock.now()}).where(
        SmsChallenge.id == challenge_id
    )


async def undo_sms_code(*, challenge_id: int) -> None:
    """The vendor did not take the text: the reservation never happened."""
    await SmsChallenge.delete().where(
        (SmsChallenge.id == challenge_id) & SmsChallenge.sent_at.is_null()
    )


def failure_problem(failure: SmsFailure) -> DomainError:
    """What the phone is told when the vendor refused or could not be reached."""
    if failure.reason == "invalid_phone":
        return errors.SmsInvalidPhone()
    if failure.reason == "rate_limited":
        return errors.SmsProviderRateLimited(retry_after=VENDOR_RATE_LIMIT_RETRY_SECONDS)
    if failure.reason == "unavailable":
        return errors.SmsProviderUnavailable(retry_after=VENDOR_UNAVAILABLE_RETRY_SECONDS)
    if failure.reason == "balance":
        return errors.SmsProviderUnavailable(retry_after=VENDOR_BALANCE_RETRY_SECONDS)
    return errors.SmsProviderFailed(vendor_code=failure.vendor_code or failure.reason)


async def send_login_code(*, phone: str, ip: str, sender: SmsSender) -> SmsDelivery:
    async with transaction():
        delivery = await reserve_sms_code(phone=phone, ip=ip)
    try:
        await sender.send_code(
            phone=delivery.phone, code=delivery.code, ttl_minutes=delivery.ttl_minutes
        )
    except Exception as exc:
        async with transaction():
            await undo_sms_code(challenge_id=delivery.challenge_id)
        if not isinstance(exc, SmsFailure):
            raise
        # Template, balance and credential problems need an operator, not the citizen.
        level = logging.INFO if exc.reason in ("invalid_phone", "rate_limited") else logging.ERROR
        log.log(level, "sign-in text to %s not sent: %s", mask_phone(delivery.phone), exc)
        raise failure_problem(exc) from None
    async with transaction():
        await mark_sms_sent(challenge_id=delivery.challenge_id)
    return delivery
