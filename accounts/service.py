"""Sign-in for citizens (WeChat, SMS) and staff (password), sessions and refresh rotation."""

from __future__ import annotations

import datetime as dt
import hmac
import secrets

import anyio
import msgspec
from piccolo.apps.user.tables import BaseUser

from accounts import errors
from accounts.phone import normalize_phone
from accounts.sms_login import code_hash
from accounts.tables import Citizen, RefreshToken, SmsChallenge, Staff
from accounts.tokens import (
    Audience,
    hash_refresh_token,
    issue_access_token,
    new_refresh_token,
)
from accounts.wechat import WeChatIdentity
from core import clock, ratelimit
from core.actors import STAFF_ROLES, Actor
from core.db import lock, raw
from core.ids import public_id
from core.settings import get_settings


class Session(msgspec.Struct, frozen=True, kw_only=True):
    access_token: str
    refresh_token: str
    expires_in: int
    audience: str
    role: str
    subject_id: int


async def _start_session(
    *, subject_id: int, role: str, audience: Audience, locale: str, family: str | None = None
) -> Session:
    settings = get_settings()
    token, token_hash = new_refresh_token()
    await RefreshToken.insert(
        RefreshToken(
            token_hash=token_hash,
            family=family or secrets.token_hex(16),
            audience=audience,
            subject_id=subject_id,
            role=role,
            created_at=clock.now(),
            expires_at=clock.now() + dt.timedelta(days=settings.refresh_token_ttl_days),
        )
    )
    access, ttl = issue_access_token(
        subject_id=subject_id, role=role, audience=audience, locale=locale
    )
    return Session(
        access_token=access,
        refresh_token=token,
        expires_in=ttl,
        audience=audience,
        role=role,
        subject_id=subject_id,
    )


async def _new_citizen(**fields: object) -> Citizen:
    citizen = Citizen(
        public_id=public_id("c"), created_at=clock.now(), last_seen_at=clock.now(), **fields
    )
    await citizen.save()
    return citizen


async def _citizen_session(citizen: Citizen) -> Session:
    if citizen.disabled:
        raise errors.AccountDisabled()
    await Citizen.update({Citizen.last_seen_at: clock.now()}).where(Citizen.id == citizen.id)
    return await _start_session(
        subject_id=citizen.id, role="citizen", audience="citizen", locale=citizen.locale
    )


# --- citizens: WeChat -----------------------------------------------------------------------


async def sign_in_wechat(*, identity: WeChatIdentity, link_to: Actor | None = None) -> Session:
    """Find or create the citizen of a WeChat openid; with ``link_to`` attach it to that
    citizen instead, so an SMS account and a WeChat account become one."""
    await lock(f"wechat:{identity.openid}")
    owner = await Citizen.objects().where(Citizen.wechat_openid == identity.openid).first()
    if link_to is not None:
        if owner is not None and owner.id != link_to.id:
            raise errors.WeChatTaken()
        owner = await Citizen.objects().where(Citizen.id == link_to.id).first()
        if owner is None:
            raise errors.InvalidToken()
    if owner is None:
        owner = await _new_citizen(
            wechat_openid=identity.openid,
            wechat_unionid=identity.unionid,
            wechat_session_key=identity.session_key,
        )
    else:
        await Citizen.update(
            {
                Citizen.wechat_openid: identity.openid,
                Citizen.wechat_unionid: identity.unionid or owner.wechat_unionid,
                Citizen.wechat_session_key: identity.session_key,
            }
        ).where(Citizen.id == owner.id)
    return await _citizen_session(owner)


# --- citizens: SMS --------------------------------------------------------------------------


async def verify_sms_code(*, phone: str, code: str, link_to: Actor | None = None) -> Session:
    settings = get_settings()
    phone = normalize_phone(phone)
    await lock(f"sms:{phone}")
    now = clock.now()
    challenge = (
        await SmsChallenge.objects()
        .where((SmsChallenge.phone == phone) & SmsChallenge.consumed_at.is_null())
        .order_by(SmsChallenge.created_at, ascending=False)
        .first()
    )
    if challenge is None or clock.as_utc(challenge.expires_at) <= now:
        raise errors.SmsCodeExpired()
    if challenge.attempts >= settings.sms_max_attempts:
        raise errors.SmsLocked()
    if not hmac.compare_digest(challenge.code_hash, code_hash(phone, code)):
        # Conditional, as well as under the phone's lock: a wrong guess is counted once and
        # never past the maximum, however many arrive together.
        counted = await raw(
            "UPDATE sms_challenge SET attempts = attempts + 1 WHERE id = {} AND attempts < {} "
            "RETURNING attempts",
            challenge.id,
            settings.sms_max_attempts,
        )
        if not counted:
            raise errors.SmsLocked()
        raise errors.SmsCodeInvalid(left=settings.sms_max_attempts - counted[0]["attempts"])
    await SmsChallenge.update({SmsChallenge.consumed_at: now}).where(
        SmsChallenge.id == challenge.id
    )
    owner = await Citizen.objects().where(Citizen.phone == phone).first()
    if link_to is not None:
        if owner is not None and owner.id != link_to.id:
            raise errors.PhoneTaken()
        owner = await Citizen.objects().where(Citizen.id == link_to.id).first()
        if owner is None:
            raise errors.InvalidToken()
        await Citizen.update({Citizen.phone: phone}).where(Citizen.id == owner.id)
    elif owner is None:
        owner = await _new_citizen(phone=phone)
    return await _citizen_session(owner)


async def citizen_for_phone(*, phone: str) -> int:
    """The citizen with this phone, created (phone only, no app) when there is none: how a
    hotline caller follows their case by SMS. Under the same lock as an SMS sign-in of that
    phone, so the two cannot create two accounts."""
    phone = normalize_phone(phone)
    await lock(f"sms:{phone}")
    owner = await Citizen.select(Citizen.id).where(Citizen.phone == phone).first()
    if owner is not None:
        return owner["id"]
    return (await _new_citizen(phone=phone)).id


# --- staff ----------------------------------------------------------------------------------


async def _password_matches(stored: str | None, password: str) -> bool:
    """PBKDF2 runs in a thread: 600k iterations would stall every other request."""
    if len(password) > BaseUser._max_password_length:
        return False
    if stored is None:
        # Hash anyway so an unknown username costs as long as a wrong password.
        await anyio.to_thread.run_sync(BaseUser.hash_password, password)
        return False
    _, iterations, salt, _ = BaseUser.split_stored_password(stored)
    candidate = await anyio.to_thread.run_sync(
        BaseUser.hash_password, password, salt, int(iterations)
    )
    return hmac.compare_digest(candidate, stored)


async def sign_in_staff(*, username: str, password: str, ip: str) -> Session:
    settings = get_settings()
    window = dt.timedelta(seconds=settings.login_lockout_seconds)
    # Counted per username whether or not it exists, so lockout reveals nothing.
    bucket = f"login-fail:{username.strip().lower()}"
    failures, retry_after = await ratelimit.peek(bucket, window=window)
    if failures >= settings.login_max_failures:
        raise errors.LoginLocked(retry_after=retry_after)
    await ratelimit.hit(f"login-ip:{ip}", limit=60, window=dt.timedelta(minutes=1))
    user = await BaseUser.objects().where(BaseUser.username == username.strip()).first()
    staff = await Staff.objects().where(Staff.user == user.id).first() if user else None
    if not await _password_matches(user.password if user and staff else None, password):
        await ratelimit.hit(bucket, limit=10**9, window=window)
        raise errors.InvalidCredentials()
    if not user.active:
        raise errors.AccountDisabled()
    await ratelimit.clear(bucket, window=window)
    # piccolo_user.last_login is a naive timestamp column; we keep it in UTC.
    await BaseUser.update({BaseUser.last_login: clock.now().replace(tzinfo=None)}).where(
        BaseUser.id == user.id
    )
    return await _start_session(
        subject_id=staff.id, role=staff.role, audience="staff", locale=staff.locale
    )


async def create_staff(
    *,
    username: str,
    password: str,
    role: str,
    display_name: str = "",
    org_unit_id: int | None = None,
    phone: str | None = None,
) -> Staff:
    if role not in STAFF_ROLES:
        raise ValueError(f"unknown role {role!r}")
    user = await BaseUser.create_user(
        username=username,
        password=password,
        active=True,
        admin=role == "admin",
        # piccolo_user.email is unique and staff may have none; .invalid never resolves.
        email=f"{username}@staff.invalid",
    )
    staff = Staff(
        user=user.id,
        role=role,
        display_name=display_name or username,
        org_unit_id=org_unit_id,
        phone=normalize_phone(phone) if phone else None,
        created_at=clock.now(),
    )
    await staff.save()
    return staff


# --- sessions -------------------------------------------------------------------------------


async def _subject_still_allowed(row: RefreshToken) -> tuple[str, str]:
    """The current locale and role of the subject, or raise if it may no longer sign in.
    The role is read again: a token refused as auth.role_changed is renewed this way."""
    if row.audience == "citizen":
        citizen = await Citizen.objects().where(Citizen.id == row.subject_id).first()
        if citizen is None or citizen.disabled:
            raise errors.AccountDisabled()
        return citizen.locale, "citizen"
    staff = await Staff.objects(Staff.user).where(Staff.id == row.subject_id).first()
    if staff is None or not staff.user.active:
        raise errors.AccountDisabled()
    return staff.locale, staff.role


async def refresh_session(*, refresh_token: str) -> Session:
    now = clock.now()
    token_hash = hash_refresh_token(refresh_token)
    row = await RefreshToken.objects().where(RefreshToken.token_hash == token_hash).first()
    if row is None or row.revoked_at is not None or clock.as_utc(row.expires_at) <= now:
        raise errors.RefreshTokenInvalid()
    # Claim the token with a conditional UPDATE so two refreshes racing on one token
    # cannot both succeed: the loser is treated as reuse.
    claimed = (
        await RefreshToken.update({RefreshToken.used_at: now})
        .where((RefreshToken.id == row.id) & RefreshToken.used_at.is_null())
        .returning(RefreshToken.id)
    )
    if not claimed:
        await RefreshToken.update({RefreshToken.revoked_at: now}).where(
            (RefreshToken.family == row.family) & RefreshToken.revoked_at.is_null()
        )
        raise errors.RefreshTokenReused()
    locale, role = await _subject_still_allowed(row)
    return await _start_session(
        subject_id=row.subject_id,
        role=role,
        audience=row.audience,  # type: ignore[arg-type]
        locale=locale,
        family=row.family,
    )


async def sign_out(*, refresh_token: str) -> None:
    """Holding the refresh token is proof enough to end its family (as in RFC 7009)."""
    row = (
        await RefreshToken.objects()
        .where(RefreshToken.token_hash == hash_refresh_token(refresh_token))
        .first()
    )
    if row is None:
        raise errors.RefreshTokenInvalid()
    await RefreshToken.update({RefreshToken.revoked_at: clock.now()}).where(
        (RefreshToken.family == row.family) & RefreshToken.revoked_at.is_null()
    )


async def citizen_profile(*, actor: Actor) -> Citizen:
    citizen = await Citizen.objects().where(Citizen.id == actor.id).first()
    if citizen is None or citizen.disabled:
        raise errors.AccountDisabled()
    return citizen


async def staff_profile(*, actor: Actor) -> Staff:
    staff = await Staff.objects(Staff.user).where(Staff.id == actor.id).first()
    if staff is None or not staff.user.active:
        raise errors.AccountDisabled()
    return staff


async def update_citizen_profile(
    *, actor: Actor, nickname: str | None, locale: str | None
) -> Citizen:
    citizen = await citizen_profile(actor=actor)
    changes = {}
    if nickname is not None:
        changes[Citizen.nickname] = nickname.strip()
    if locale is not None:
        changes[Citizen.locale] = locale
    if changes:
        await Citizen.update(changes).where(Citizen.id == citizen.id)
    return await citizen_profile(actor=actor)


async def staff_ids_of_unit(*, unit_id: int, roles: tuple[str, ...] | None = None) -> list[int]:
    query = Staff.select(Staff.id).where(Staff.org_unit_id == unit_id)
    if roles:
        query = query.where(Staff.role.is_in(list(roles)))
    return [row["id"] for row in await query]


async def staff_ids_with_role(*, roles: tuple[str, ...]) -> list[int]:
    return [row["id"] for row in await Staff.select(Staff.id).where(Staff.role.is_in(list(roles)))]


async def staff_unit_id(*, staff_id: int) -> int | None:
    row = await Staff.select(Staff.org_unit_id).where(Staff.id == staff_id).first()
    return row["org_unit_id"] if row else None


async def masked_citizen_phone(*, citizen_id: int) -> str | None:
    return (await masked_citizen_phones(citizen_ids=[citizen_id])).get(citizen_id)


async def masked_citizen_phones(*, citizen_ids: list[int]) -> dict[int, str | None]:
    """One query for a page of cases, not one per case."""
    from accounts.phone import mask_phone

    if not citizen_ids:
        return {}
    rows = await Citizen.select(Citizen.id, Citizen.phone).where(
        Citizen.id.is_in(list(set(citizen_ids)))
    )
    return {row["id"]: mask_phone(row["phone"]) for row in rows}
