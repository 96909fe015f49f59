"""Other packages hear of a citizen signing in without accounts importing them: points counts
the accounts seen from one IP range (farmers sign many accounts in from one place, then may
report from anywhere)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from core.actors import Actor

SignInListener = Callable[[Actor, str | None], Awaitable[None]]
_listeners: list[SignInListener] = []


def on_citizen_signed_in(listener: SignInListener) -> SignInListener:
    """Call ``listener(actor, client_ip)`` after every citizen sign-in, in its transaction."""
    _listeners.append(listener)
    return listener


async def announce(actor: Actor, ip: str | None) -> None:
    for listener in _listeners:
        await listener(actor, ip)
