"""Staff passwords: PBKDF2 (Piccolo's BaseUser format), always computed in a worker thread and
never inside a database transaction.

600,000 iterations cost about a third of a second of CPU. On the event loop they stall every
other request; inside a write transaction they hold SQLite's write lock (and a PostgreSQL
connection) that long. hashlib releases the GIL while it hashes, so threads run in parallel;
the limiter keeps a burst of sign-ins from taking more threads than there are cores.
"""

from __future__ import annotations

import hmac
import os

import anyio
from piccolo.apps.user.tables import BaseUser

from accounts.errors import InvalidStaff

MIN_LENGTH = 10
_limiter: anyio.CapacityLimiter | None = None


def _threads() -> anyio.CapacityLimiter:
    global _limiter
    if _limiter is None:
        _limiter = anyio.CapacityLimiter(os.cpu_count() or 2)
    return _limiter


def check_new_password(password: str) -> None:
    if not MIN_LENGTH <= len(password) <= BaseUser._max_password_length:
        raise InvalidStaff(reason="a password has 10 to 128 characters")
    if password.startswith("pbkdf2_sha256"):
        raise InvalidStaff(reason="a password cannot look like a stored hash")


async def hash_new_password(password: str) -> str:
    """The stored form of a new password (checked first)."""
    check_new_password(password)
    return await anyio.to_thread.run_sync(BaseUser.hash_password, password, limiter=_threads())


async def password_matches(stored: str | None, password: str) -> bool:
    if len(password) > BaseUser._max_password_length:
        return False
    if stored is None:
        # Hash anyway so an unknown username costs as long as a wrong password.
        await anyio.to_thread.run_sync(BaseUser.hash_password, password, limiter=_threads())
        return False
    _, iterations, salt, _ = BaseUser.split_stored_password(stored)
    candidate = await anyio.to_thread.run_sync(
        BaseUser.hash_password, password, salt, int(iterations), limiter=_threads()
    )
    return hmac.compare_digest(candidate, stored)
