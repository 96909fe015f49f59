"""Voucher codes and their QR images.

A code is 16 random Crockford base32 characters (80 bits): it cannot be guessed, so a forged
code finds nothing. Shown as XXXX-XXXX-XXXX-XXXX; staff may type it with or without dashes,
in any case, with O for 0 and I/L for 1.
"""

from __future__ import annotations

import base64
import io
import re
import secrets

ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
LENGTH = 16
_VALID = re.compile(rf"^[{ALPHABET}]{{{LENGTH}}}$")
_CONFUSABLE = str.maketrans({"O": "0", "I": "1", "L": "1"})


def new_code() -> str:
    return "".join(secrets.choice(ALPHABET) for _ in range(LENGTH))


def display(code: str) -> str:
    return "-".join(code[i : i + 4] for i in range(0, len(code), 4))


def normalize(text: str) -> str | None:
    """The stored form of what was scanned or typed, or None if it cannot be a code."""
    code = re.sub(r"[\s\-]", "", text or "").upper().translate(_CONFUSABLE)
    return code if _VALID.match(code) else None


def qr_png(code: str) -> bytes:
    """A PNG QR of the displayed code. Error correction Q: a phone screen may be cracked
    or glaring at the counter."""
    import qrcode
    from qrcode.constants import ERROR_CORRECT_Q

    qr = qrcode.QRCode(error_correction=ERROR_CORRECT_Q, box_size=8, border=2)
    qr.add_data(display(code))
    qr.make(fit=True)
    out = io.BytesIO()
    qr.make_image().save(out)
    return out.getvalue()


def qr_data_uri(code: str) -> str:
    return "data:image/png;base64," + base64.b64encode(qr_png(code)).decode()
