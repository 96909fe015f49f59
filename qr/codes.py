"""Signpost codes: 10 characters of Crockford base32 (no I, L, O, U, so nothing is misread
from a weathered sticker), a 5-character random serial followed by a 5-character truncated
HMAC-SHA256 of the serial under ``qr_secret``. A made-up or altered code (a fake sticker
printed with our URL, or a typo) fails the check without a database lookup; a random guess
passes once in 33 million tries."""

from __future__ import annotations

import hashlib
import hmac
import secrets

from core.settings import get_settings
from qr.errors import CounterfeitCode, MalformedCode

ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
SERIAL_LEN = MAC_LEN = 5
CODE_LEN = SERIAL_LEN + MAC_LEN
# Crockford's decoding: what people and OCR misread as the letters we never use.
_ALIASES = str.maketrans({"O": "0", "I": "1", "L": "1"})


def _mac(serial: str) -> str:
    key = get_settings().qr_secret.encode()
    digest = hmac.new(key, f"signpost:{serial}".encode(), hashlib.sha256).digest()
    number = int.from_bytes(digest[:4], "big") >> (32 - 5 * MAC_LEN)
    return "".join(ALPHABET[(number >> (5 * i)) & 31] for i in reversed(range(MAC_LEN)))


def new_code() -> str:
    serial = "".join(secrets.choice(ALPHABET) for _ in range(SERIAL_LEN))
    return serial + _mac(serial)


def normalize(text: str) -> str:
    """Upper case, hyphens and spaces dropped, Crockford aliases resolved; raises
    MalformedCode for anything that cannot be a code."""
    code = text.strip().upper().replace("-", "").replace(" ", "").translate(_ALIASES)
    if len(code) != CODE_LEN or any(char not in ALPHABET for char in code):
        raise MalformedCode()
    return code


def verify(text: str) -> str:
    """The normalized code; raises MalformedCode or CounterfeitCode."""
    code = normalize(text)
    if not hmac.compare_digest(_mac(code[:SERIAL_LEN]), code[SERIAL_LEN:]):
        raise CounterfeitCode(code=code)
    return code


def url_of(code: str) -> str:
    return f"{get_settings().public_base_url.rstrip('/')}/q/{code}"


def normalize_or_none(text: str) -> str | None:
    try:
        return normalize(text) if text.strip() else None
    except MalformedCode:
        return None
