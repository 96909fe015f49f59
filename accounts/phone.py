"""Mainland China mobile numbers: accepted in common spellings, stored as E.164."""

from __future__ import annotations

import re

from accounts.errors import InvalidPhone

_MAINLAND_MOBILE = re.compile(r"^1[3-9]\d{9}$")


def normalize_phone(raw: str) -> str:
    digits = re.sub(r"[\s\-()]", "", raw or "")
    for prefix in ("+86", "0086", "86"):
        if digits.startswith(prefix) and len(digits) == len(prefix) + 11:
            digits = digits[len(prefix) :]
            break
    if not _MAINLAND_MOBILE.match(digits):
        raise InvalidPhone()
    return f"+86{digits}"


def mask_phone(phone: str | None) -> str | None:
    """+8613812345678 -> 138****5678: what everyone but the owner sees."""
    if not phone:
        return None
    local = phone[3:] if phone.startswith("+86") else phone
    if len(local) < 7:
        return "*" * len(local)
    return f"{local[:3]}****{local[-4:]}"
