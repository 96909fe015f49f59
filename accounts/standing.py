"""Whether a token's holder may still act: an access token outlives a disabled account or a
changed role by up to its 15 minutes, so every request checks the account (cached for
CITYOPS_CACHE_CHECK_SECONDS, so a disabled account is refused everywhere within that).

Tokens name their holder by public id; the same look-up gives the internal id services use,
so reading the account costs one query per cache period whichever way it is asked."""

from __future__ import annotations

from typing import Literal

import msgspec

from accounts.errors import AccountDisabled, RoleChanged
from accounts.tables import Citizen, Staff
from core.actors import Actor
from core.ttlcache import TtlCache


class Standing(msgspec.Struct, frozen=True):
    id: int
    active: bool
    role: str


_standing: TtlCache[Standing | None] = TtlCache()
Kind = Literal["citizen", "staff"]


async def _load(kind: Kind, column: str, value: int | str) -> Standing | None:
    if kind == "citizen":
        row = (
            await Citizen.select(Citizen.id, Citizen.disabled)
            .where(getattr(Citizen, column) == value)
            .first()
        )
        return None if row is None else Standing(row["id"], not row["disabled"], "citizen")
    row = (
        await Staff.select(Staff.id, Staff.role, Staff.user.active)
        .where(getattr(Staff, column) == value)
        .first()
    )
    return None if row is None else Standing(row["id"], bool(row["user.active"]), row["role"])


def _checked(standing: Standing | None, role: str) -> Standing:
    if standing is None or not standing.active:
        raise AccountDisabled()
    if standing.role != role:
        raise RoleChanged()
    return standing


async def actor_for_token(*, kind: Kind, subject: str, role: str, locale: str) -> Actor:
    """The actor a verified token speaks for, if the account may still act in that role."""
    standing = await _standing.get(
        (kind, "public_id", subject), lambda: _load(kind, "public_id", subject)
    )
    return Actor(kind=kind, id=_checked(standing, role).id, role=role, locale=locale)


async def check_standing(actor: Actor) -> None:
    """For sessions that already know the internal id (web pages' cookie sessions)."""
    kind: Kind = "citizen" if actor.kind == "citizen" else "staff"
    standing = await _standing.get((kind, "id", actor.id), lambda: _load(kind, "id", actor.id))
    _checked(standing, actor.role)


def forget_standing() -> None:
    """Call after disabling an account or changing a role, so this process refuses at once."""
    _standing.clear()
