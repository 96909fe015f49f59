"""Sign-in for citizens (WeChat, SMS) and staff (password), sessions and refresh rotation."""

from __future__ import annotations

import datetime as dt
import hmac
import secrets

import msgspec
from piccolo.apps.user.tables import BaseUser

from accounts import errors, passwords, signins
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
from core.db import lock, raw, transaction
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
    *,
    subject_id: int,
    subject: str,
    role: str,
    audience: Audience,
    locale: str,
    family: str | None = None,
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
    # The token names its holder by public id: the sequential internal one stays inside.
    access, ttl = issue_access_token(subject=subject, role=role, audience=audience, locale=locale)
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


async def _citizen_session(citizen: Citizen, ip: str | None) -> Session:
    if citizen.disabled:
        raise errors.AccountDisabled()
    await Citizen.update({Citizen.last_seen_at: clock.now()}).where(Citizen.id == citizen.id)
    await signins.announce(Actor(kind="citizen", id=citizen.id, role="citizen"), ip)
    return await _start_session(
        subject_id=citizen.id,
        subject=citizen.public_id,
        role="citizen",
        audience="citizen",
        locale=citizen.locale,
    )


# --- citizens: WeChat -----------------------------------------------------------------------


async def sign_in_wechat(
    *, identity: WeChatIdentity, link_to: Actor | None = None, ip: str | None = None
) -> Session:
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
    return await _citizen_session(owner, ip)


# --- citizens: SMS --------------------------------------------------------------------------


async def verify_sms_code(
    *, phone: str, code: str, link_to: Actor | None = None, ip: str | None = None
) -> Session:
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
    return await _citizen_session(owner, ip)


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


# --- staff ---------------------------------------------------------------------------------

LOGIN_ATTEMPTS_PER_IP_MINUTE = 60


def normalize_username(username: str) -> str:
    """Usernames are case-insensitive: ``Admin`` and ``admin`` are one account."""
    return username.strip().lower()


async def _staff_account(username: str) -> Staff | None:
    return (
        await Staff.objects(Staff.user)
        .where(Staff.user.username == normalize_username(username))
        .first()
    )


async def _audit_sign_in(
    staff: Staff | None, username: str, ip: str, outcome: str, action: str
) -> None:
    from audit.service import record

    actor = (
        Actor(kind="staff", id=staff.id, role=staff.role)
        if staff is not None
        else Actor(kind="system", id=0, role="sign-in")
    )
    await record(
        actor=actor,
        action=action,
        target_kind="sign_in",
        target_id=normalize_username(username)[:64],
        after={"ip": ip, "outcome": outcome},
    )


async def authenticate_staff(
    *, username: str, password: str, ip: str, roles: tuple[str, ...] | None = None
) -> Staff:
    """The one staff sign-in, for the apps' API and every web page: lockout per username
    and per address, disabled accounts, roles, and an audit entry per decision.

    Attempts are counted before the password is checked, each count one atomic statement,
    so however many arrive at once (from however many processes) exactly the allowed
    number is evaluated. No transaction is open while the password is hashed: this runs
    its own short ones instead of the request's."""
    settings = get_settings()
    window = dt.timedelta(seconds=settings.login_lockout_seconds)
    await ratelimit.hit(
        f"login-ip:{ip}", limit=LOGIN_ATTEMPTS_PER_IP_MINUTE, window=dt.timedelta(minutes=1)
    )
    # Counted per username whether or not it exists, so lockout reveals nothing.
    user_bucket = f"login-fail:{normalize_username(username)}"[:200]
    ip_bucket = f"login-fail-ip:{ip}"
    failures, retry_after = await ratelimit.count(user_bucket, window=window)
    if failures > settings.login_max_failures:
        raise errors.LoginLocked(retry_after=retry_after)
    failures, retry_after = await ratelimit.count(ip_bucket, window=window)
    if failures > settings.login_max_failures_per_ip:
        await ratelimit.uncount(user_bucket)  # not evaluated, so not a failure of this user
        raise errors.LoginLocked(retry_after=retry_after)
    staff = await _staff_account(username)
    if not await passwords.password_matches(staff.user.password if staff else None, password):
        async with transaction():
            await _audit_sign_in(staff, username, ip, "wrong_password", "staff.sign_in_failed")
        raise errors.InvalidCredentials()
    await ratelimit.clear(user_bucket)
    await ratelimit.uncount(ip_bucket)
    refusal = None
    if not staff.user.active:
        refusal = errors.AccountDisabled()
    elif roles is not None and staff.role not in roles:
        refusal = errors.RoleNotAllowed()
    async with transaction():
        if refusal is not None:
            await _audit_sign_in(staff, username, ip, refusal.code, "staff.sign_in_failed")
        else:
            await _audit_sign_in(staff, username, ip, "ok", "staff.sign_in")
            # piccolo_user.last_login is a naive timestamp column; we keep it in UTC.
            await BaseUser.update({BaseUser.last_login: clock.now().replace(tzinfo=None)}).where(
                BaseUser.id == staff.user.id
            )
            await _ensure_staff_public_id(staff)
    if refusal is not None:
        raise refusal
    return staff


async def sign_in_staff(*, username: str, password: str, ip: str) -> Session:
    """Sign in to the staff apps' API (authenticate_staff manages its own transactions)."""
    staff = await authenticate_staff(username=username, password=password, ip=ip)
    async with transaction():
        return await _start_session(
            subject_id=staff.id,
            subject=staff.public_id,
            role=staff.role,
            audience="staff",
            locale=staff.locale,
        )


async def _ensure_staff_public_id(staff: Staff) -> None:
    """Accounts made before staff had public ids get one at their next sign-in."""
    if not staff.public_id:
        staff.public_id = public_id("s")
        await Staff.update({Staff.public_id: staff.public_id}).where(Staff.id == staff.id)


async def create_staff(
    *,
    username: str,
    password_hash: str,
    role: str,
    display_name: str = "",
    org_unit_id: int | None = None,
    phone: str | None = None,
) -> Staff:
    """A staff account; hash the password first (accounts.passwords.hash_new_password),
    outside the transaction."""
    if role not in STAFF_ROLES:
        raise ValueError(f"unknown role {role!r}")
    if not password_hash.startswith("pbkdf2_sha256$"):
        raise ValueError("create_staff takes the stored form of the password")
    username = normalize_username(username)
    user = BaseUser(
        username=username,
        password=password_hash,
        active=True,
        admin=role == "admin",
        # piccolo_user.email is unique and staff may have none; .invalid never resolves.
        email=f"{username}@staff.invalid",
    )
    await user.save()
    staff = Staff(
        user=user.id,
        public_id=public_id("s"),
        role=role,
        display_name=display_name or username,
        org_unit_id=org_unit_id,
        phone=normalize_phone(phone) if phone else None,
        created_at=clock.now(),
    )
    await staff.save()
    return staff


# --- sessions -------------------------------------------------------------------------------


async def _subject_still_allowed(row: RefreshToken) -> tuple[str, str, str]:
    """The current public id, locale and role of the subject, or raise if it may no longer
    sign in. The role is read again: a token refused as auth.role_changed is renewed so."""
    if row.audience == "citizen":
        citizen = await Citizen.objects().where(Citizen.id == row.subject_id).first()
        if citizen is None or citizen.disabled:
            raise errors.AccountDisabled()
        return citizen.public_id, citizen.locale, "citizen"
    staff = await Staff.objects(Staff.user).where(Staff.id == row.subject_id).first()
    if staff is None or not staff.user.active:
        raise errors.AccountDisabled()
    await _ensure_staff_public_id(staff)
    return staff.public_id, staff.locale, staff.role


async def refresh_session(*, refresh_token: str) -> Session:
    now = clock.now()
    token_hash = hash_refresh_token(refresh_token)
    row = await RefreshToken.objects().where(RefreshToken.token_hash == token_hash).first()
    if row is None or row.revoked_at is not None or clock.as_utc(row.expires_at) <= now:
        raise errors.RefreshTokenInvalid()
    if row.audience not in ("citizen", "staff"):  # a web page's cookie session opens no API
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
    subject, locale, role = await _subject_still_allowed(row)
    return await _start_session(
        subject_id=row.subject_id,
        subject=subject,
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


async def leaderboard_opt_outs() -> list[int]:
    """Citizens who asked not to appear on the leaderboard (few: an opt-out)."""
    rows = await Citizen.select(Citizen.id).where(Citizen.leaderboard_opt_out.eq(True))
    return [row["id"] for row in rows]


async def staff_profile(*, actor: Actor) -> Staff:
    staff = await Staff.objects(Staff.user).where(Staff.id == actor.id).first()
    if staff is None or not staff.user.active:
        raise errors.AccountDisabled()
    return staff


async def update_citizen_profile(
    *,
    actor: Actor,
    nickname: str | None,
    locale: str | None,
    leaderboard_opt_out: bool | None = None,
) -> Citizen:
    citizen = await citizen_profile(actor=actor)
    changes = {}
    if nickname is not None:
        changes[Citizen.nickname] = nickname.strip()
    if locale is not None:
        changes[Citizen.locale] = locale
    if leaderboard_opt_out is not None:
        changes[Citizen.leaderboard_opt_out] = leaderboard_opt_out
    if changes:
        await Citizen.update(changes).where(Citizen.id == citizen.id)
    return await citizen_profile(actor=actor)


async def staff_ids_of_unit(
    *, unit_id: int | None, roles: tuple[str, ...] | None = None
) -> list[int]:
    """The unit's staff whose accounts are active (a disabled account hears nothing); with
    ``unit_id`` None, the staff of no unit."""
    in_unit = Staff.org_unit_id.is_null() if unit_id is None else Staff.org_unit_id == unit_id
    query = Staff.select(Staff.id).where(in_unit & Staff.user.active.eq(True))
    if roles:
        query = query.where(Staff.role.is_in(list(roles)))
    return [row["id"] for row in await query]


async def staff_ids_with_role(*, roles: tuple[str, ...]) -> list[int]:
    return [row["id"] for row in await Staff.select(Staff.id).where(Staff.role.is_in(list(roles)))]


async def staff_unit_id(*, staff_id: int) -> int | None:
    row = await Staff.select(Staff.org_unit_id).where(Staff.id == staff_id).first()
    return row["org_unit_id"] if row else None


async def citizen_public_ids(*, citizen_ids: list[int]) -> dict[int, str]:
    """The ids other systems and admins see, for a page of rows that hold internal ones."""
    if not citizen_ids:
        return {}
    rows = await Citizen.select(Citizen.id, Citizen.public_id).where(
        Citizen.id.is_in(list(set(citizen_ids)))
    )
    return {row["id"]: row["public_id"] for row in rows}


async def citizen_id_of(*, public_id: str) -> int | None:
    row = await Citizen.select(Citizen.id).where(Citizen.public_id == public_id).first()
    return row["id"] if row else None


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


async def disable_citizen(*, citizen_id: int) -> None:
    """No more sign-ins or refreshes for this citizen (points.decisions: farming confirmed);
    the access tokens out there run out within their short lifetime."""
    await Citizen.update({Citizen.disabled: True}).where(Citizen.id == citizen_id)
