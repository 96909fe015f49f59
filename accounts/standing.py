"""Whether a token's holder may still act: an access token outlives a disabled account or a
changed role by up to its 15 minutes, so every request checks the account (cached for
CITYOPS_CACHE_CHECK_SECONDS, so a disabled account is refused everywhere within that)."""

from __future__ import annotations

from accounts.errors import AccountDisabled, RoleChanged
from accounts.tables import Citizen, Staff
from core.actors import Actor
from core.ttlcache import TtlCache

_standing: TtlCache[tuple[bool, str] | None] = TtlCache()


async def _load(kind: str, subject_id: int) -> tuple[bool, str] | None:
    if kind == "citizen":
        row = await Citizen.select(Citizen.disabled).where(Citizen.id == subject_id).first()
        return None if row is None else (not row["disabled"], "citizen")
    row = await Staff.select(Staff.role, Staff.user.active).where(Staff.id == subject_id).first()
    return None if row is None else (bool(row["user.active"]), row["role"])


async def check_standing(actor: Actor) -> None:
    standing = await _standing.get((actor.kind, actor.id), lambda: _load(actor.kind, actor.id))
    if standing is None or not standing[0]:
        raise AccountDisabled()
    if standing[1] != actor.role:
        raise RoleChanged()


def forget_standing() -> None:
    """Call after disabling an account or changing a role, so this process refuses at once."""
    _standing.clear()
