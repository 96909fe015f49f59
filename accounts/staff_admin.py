"""Staff administration: accounts created, changed and disabled by an admin.

Disabling or changing a role revokes the member's refresh tokens, so the change reaches
their phone at the next refresh (access tokens live at most CITYOPS_ACCESS_TOKEN_TTL_SECONDS).
"""

from __future__ import annotations

import datetime as dt
import re

import msgspec
from piccolo.apps.user.tables import BaseUser
from piccolo_api.session_auth.tables import SessionsBase

from accounts.errors import InvalidPhone, InvalidStaff, UnknownStaff, UsernameTaken
from accounts.passwords import hash_new_password
from accounts.phone import normalize_phone
from accounts.service import authenticate_staff, create_staff, normalize_username
from accounts.standing import forget_standing
from accounts.tables import RefreshToken, Staff
from core import clock
from core.actors import STAFF_ROLES, Actor
from core.db import is_unique_violation, transaction

_USERNAME = re.compile(r"^[A-Za-z0-9_.@-]{3,64}$")


class StaffInfo(msgspec.Struct, frozen=True, kw_only=True):
    id: int
    username: str
    role: str
    display_name: str
    org_unit_id: int | None
    phone: str | None
    active: bool
    created_at: dt.datetime


def _info(row: dict) -> StaffInfo:
    return StaffInfo(
        id=row["id"],
        username=row["user.username"],
        role=row["role"],
        display_name=row["display_name"],
        org_unit_id=row["org_unit_id"],
        phone=row["phone"],
        active=bool(row["user.active"]),
        created_at=clock.as_utc(row["created_at"]),
    )


def _columns():
    return (
        Staff.id,
        Staff.user.username,
        Staff.user.active,
        Staff.role,
        Staff.display_name,
        Staff.org_unit_id,
        Staff.phone,
        Staff.created_at,
    )


async def staff_info(*, staff_id: int) -> StaffInfo:
    row = await Staff.select(*_columns()).where(Staff.id == staff_id).first()
    if row is None:
        raise UnknownStaff(staff_id=staff_id)
    return _info(row)


async def list_staff(
    *,
    role: str | None = None,
    unit_id: int | None = None,
    active: bool | None = None,
    after_id: int | None = None,
    limit: int = 100,
) -> list[StaffInfo]:
    """In id order; ``after_id`` is the keyset (the last id of the previous page)."""
    query = Staff.select(*_columns()).order_by(Staff.id).limit(limit)
    if role:
        query = query.where(Staff.role == role)
    if unit_id is not None:
        query = query.where(Staff.org_unit_id == unit_id)
    if active is not None:
        query = query.where(Staff.user.active == active)
    if after_id is not None:
        query = query.where(Staff.id > after_id)
    return [_info(row) for row in await query]


class StaffName(msgspec.Struct, frozen=True, kw_only=True):
    name: str  # the display name, or the username where none was given
    public_id: str | None
    role: str


async def staff_names(*, staff_ids: list[int]) -> dict[int, StaffName]:
    """How reports name staff members: by name, never by their numeric id."""
    if not staff_ids:
        return {}
    rows = await Staff.select(
        Staff.id, Staff.display_name, Staff.user.username, Staff.public_id, Staff.role
    ).where(Staff.id.is_in(sorted(set(staff_ids))))
    return {
        row["id"]: StaffName(
            name=row["display_name"] or row["user.username"],
            public_id=row["public_id"],
            role=row["role"],
        )
        for row in rows
    }


def _phone(phone: str | None) -> str | None:
    if not phone:
        return None
    try:
        return normalize_phone(phone)
    except (InvalidPhone, ValueError):
        raise InvalidStaff(reason="phone is not a mainland China mobile number") from None


async def create_staff_account(
    *,
    username: str,
    password_hash: str,
    role: str,
    display_name: str = "",
    org_unit_id: int | None = None,
    phone: str | None = None,
) -> StaffInfo:
    """Hash the password before the transaction (accounts.passwords.hash_new_password)."""
    if not _USERNAME.match(username):
        raise InvalidStaff(reason="username is 3-64 letters, digits or ._@-")
    if role not in STAFF_ROLES:
        raise InvalidStaff(reason=f"role must be one of {', '.join(STAFF_ROLES)}")
    username = normalize_username(username)
    if await BaseUser.exists().where(BaseUser.username == username):
        raise UsernameTaken(username=username)
    try:
        staff = await create_staff(
            username=username,
            password_hash=password_hash,
            role=role,
            display_name=display_name,
            org_unit_id=org_unit_id,
            phone=_phone(phone),
        )
    except Exception as exc:
        if is_unique_violation(exc):
            raise UsernameTaken(username=username) from None
        raise
    return await staff_info(staff_id=staff.id)


def check_role_unit(*, role: str, unit_kind: str | None) -> None:
    """A merchant works at one shop (an org unit of kind shop), and a shop holds only
    merchants: city staff in a shop would have a shop for an area."""
    if role == "merchant" and unit_kind != "shop":
        raise InvalidStaff(reason="a merchant needs orgUnitId of a shop")
    if role != "merchant" and unit_kind == "shop":
        raise InvalidStaff(reason="only merchants belong to a shop")


async def revoke_sessions(*, staff_id: int) -> None:
    """End every session of the account: the apps' refresh tokens and the web UI's."""
    await RefreshToken.update({RefreshToken.revoked_at: clock.now()}).where(
        (RefreshToken.audience == "staff")
        & (RefreshToken.subject_id == staff_id)
        & RefreshToken.revoked_at.is_null()
    )
    user_id = await _user_id(staff_id)
    await SessionsBase.delete().where(SessionsBase.user_id == user_id)
    # Access tokens still in hand are refused from the next request on (accounts.standing).
    forget_standing()


async def _user_id(staff_id: int) -> int:
    row = await Staff.select(Staff.user).where(Staff.id == staff_id).first()
    if row is None:
        raise UnknownStaff(staff_id=staff_id)
    return row["user"]


async def set_password(*, staff_id: int, password_hash: str) -> None:
    """Replace the password (hashed before the transaction) and end the account's sessions."""
    await BaseUser.update({BaseUser.password: password_hash}).where(
        BaseUser.id == await _user_id(staff_id)
    )
    await revoke_sessions(staff_id=staff_id)


async def change_own_password(*, actor: Actor, current: str, new: str, ip: str) -> None:
    """The current password is checked by the one sign-in (so guesses count towards the
    lockout); like it, this runs its own short transactions around the hashing."""
    username = (await staff_info(staff_id=actor.id)).username
    await authenticate_staff(username=username, password=current, ip=ip)
    password_hash = await hash_new_password(new)
    async with transaction():
        await set_password(staff_id=actor.id, password_hash=password_hash)


async def update_staff(
    *,
    staff_id: int,
    role: str | None = None,
    display_name: str | None = None,
    org_unit_id: int | None = None,
    clear_unit: bool = False,
    phone: str | None = None,
    active: bool | None = None,
) -> StaffInfo:
    before = await staff_info(staff_id=staff_id)
    changes: dict = {}
    if role is not None:
        if role not in STAFF_ROLES:
            raise InvalidStaff(reason=f"role must be one of {', '.join(STAFF_ROLES)}")
        changes[Staff.role] = role
    if display_name is not None:
        if not display_name.strip():
            raise InvalidStaff(reason="display_name cannot be blank")
        changes[Staff.display_name] = display_name.strip()
    if org_unit_id is not None:
        changes[Staff.org_unit_id] = org_unit_id
    if clear_unit:
        changes[Staff.org_unit_id] = None
    if phone is not None:
        changes[Staff.phone] = _phone(phone)
    if changes:
        await Staff.update(changes).where(Staff.id == staff_id)
    user_id = (await Staff.select(Staff.user).where(Staff.id == staff_id).first())["user"]
    user_changes: dict = {}
    if active is not None:
        user_changes[BaseUser.active] = active
    if role is not None:
        # piccolo-admin lets in BaseUser.admin accounts: keep it in step with the role.
        user_changes[BaseUser.admin] = role == "admin"
    if user_changes:
        await BaseUser.update(user_changes).where(BaseUser.id == user_id)
    if active is False or (role is not None and role != before.role):
        await revoke_sessions(staff_id=staff_id)
    return await staff_info(staff_id=staff_id)
