"""Keys derived from the installation's secret, one per purpose: a value signed for one use
(a pagination cursor) can never pass as another (a photo URL), and the JWT secret itself
never signs anything but tokens."""

from __future__ import annotations

import hashlib
import hmac
from functools import lru_cache

from core.settings import get_settings


@lru_cache(maxsize=16)
def _derive(secret: str, purpose: str) -> bytes:
    return hmac.digest(secret.encode(), purpose.encode(), hashlib.sha256)


def derived_key(purpose: str) -> bytes:
    """HMAC-SHA256 of the purpose label under the JWT secret (read per call: tests and
    deployments change settings)."""
    return _derive(get_settings().jwt_secret, purpose)
