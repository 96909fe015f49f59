"""Signed, short-lived photo URLs on local storage, the counterpart of S3's presigned URLs:
a WeChat ``<image src>`` (or any ``<img>``) cannot send a bearer token.

``{public_base_url}/media/signed/{media id}/{variant}?exp=<unix seconds>&sig=<base64url>``,
the signature an HMAC-SHA256 over (media id, variant, exp) under a key derived for this
purpose only (core.keys). It binds the variant, so a thumbnail's URL never opens the display
image, and the expiry, so a URL cannot be stretched. Whoever holds the URL may see the photo
until it expires: it is minted only for a caller the photo's policy admits."""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
from urllib.parse import quote

from core import clock
from core.keys import derived_key
from core.settings import get_settings
from media import errors

_PURPOSE = "cityops media url v1"
# Unix seconds stay 10 digits until 2286; anything longer is not one of ours (and a
# thousand-digit number is not worth converting).
_MAX_EXP_DIGITS = 12
_SIG_LENGTH = 43  # 32 bytes, base64url without padding
_MAX_ID_LENGTH = 64


def _mac(media_id: str, variant: str, exp: int) -> bytes:
    message = f"{media_id}\x00{variant}\x00{exp}".encode()
    return hmac.digest(derived_key(_PURPOSE), message, hashlib.sha256)


def local_url(media_id: str, variant: str, ttl: int) -> str:
    exp = int(clock.now().timestamp()) + ttl
    sig = base64.urlsafe_b64encode(_mac(media_id, variant, exp)).decode().rstrip("=")
    base = get_settings().public_base_url.rstrip("/")
    return f"{base}/media/signed/{quote(media_id, safe='')}/{variant}?exp={exp}&sig={sig}"


def check(media_id: str, variant: str, exp: str | None, sig: str | None) -> int:
    """The seconds the URL has left, or ``media.url_invalid`` / ``media.url_expired``."""
    if (
        not exp
        or not sig
        or len(exp) > _MAX_EXP_DIGITS
        or not (exp.isascii() and exp.isdigit())
        or len(sig) != _SIG_LENGTH
        or len(media_id) > _MAX_ID_LENGTH
        or not sig.isascii()
    ):
        raise errors.MediaUrlInvalid()
    try:
        given = base64.urlsafe_b64decode(sig + "=")
    except (binascii.Error, ValueError):
        raise errors.MediaUrlInvalid() from None
    if not hmac.compare_digest(given, _mac(media_id, variant, int(exp))):
        raise errors.MediaUrlInvalid()
    left = int(exp) - int(clock.now().timestamp())
    if left <= 0:
        raise errors.MediaUrlExpired()
    return left
