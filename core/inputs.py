"""Checks on text from outside, run before it is parsed or stored.

- JSON nesting: msgspec and the standard library decode nested arrays and objects by
  recursion, and a 2 KB body nested 1,000 deep raised RecursionError (a 500) on every JSON
  route. ``check_json`` measures the depth first, in C-speed passes over the bytes.
- Unstorable characters: PostgreSQL text cannot hold NUL, and no UTF-8 text can hold a lone
  UTF-16 surrogate (both drivers fail to encode it). NUL arrives as a JSON escape
  (``\\u0000``) or a percent escape (``%00``), a lone surrogate as a JSON escape
  (``\\ud800``; msgspec refuses those itself, the standard library's decoder does not).
  Both are refused here as ``request.invalid_text`` before anything is written."""

from __future__ import annotations

import re

import numpy as np

from core.errors import DomainError
from core.i18n import Msg

# GeoJSON MultiPolygons, the deepest documents we take, nest 7 levels.
MAX_JSON_DEPTH = 32


class JsonTooDeep(DomainError):
    code = "request.too_deep"
    status = 400
    title = Msg(zh="请求内容嵌套过深", en="Request nested too deeply")
    message = Msg(
        zh="JSON 的数组和对象最多嵌套 {limit} 层",
        en="JSON arrays and objects nest at most {limit} deep",
    )

    def extra(self) -> dict:
        return {"maxDepth": self.params.get("limit")}


class UnstorableText(DomainError):
    code = "request.invalid_text"
    status = 400
    title = Msg(zh="请求内容无效", en="Invalid request")
    message = Msg(
        zh="文本中含有无法保存的字符（如 NUL 或不成对的代理字符）",
        en="The text contains a character that cannot be stored (such as NUL or a lone surrogate)",
    )


# A JSON string, escapes included. It cannot fail once it starts at a quote (an unterminated
# string runs to the end), so the scan stays linear on hostile input.
_STRING = re.compile(rb'"[^"\\]*(?:\\.[^"\\]*)*"?', re.DOTALL)
_DEPTH_STEP = bytearray(256)
_DEPTH_STEP[ord("[")] = _DEPTH_STEP[ord("{")] = 1
_DEPTH_STEP[ord("]")] = _DEPTH_STEP[ord("}")] = 0xFF  # -1 as int8
_SUSPECT_ESCAPE = re.compile(rb"\\u(?:0000|[dD][89a-fA-F])")
_ESCAPE = re.compile(rb"\\(?:u([0-9a-fA-F]{4})|.)", re.DOTALL)


def json_depth(body: bytes) -> int:
    """How deep arrays and objects nest in ``body`` (brackets inside strings do not count).
    A malformed body gets some number; the decoder refuses it afterwards."""
    openers = body.count(b"[") + body.count(b"{")
    if openers <= MAX_JSON_DEPTH:
        return openers  # an upper bound, and all that matters below the limit
    steps = np.frombuffer(_STRING.sub(b"", body).translate(_DEPTH_STEP), dtype=np.int8)
    return int(np.cumsum(steps, dtype=np.int32).max(initial=0))


def check_json(body: bytes) -> None:
    """Refuse a JSON document nested deeper than MAX_JSON_DEPTH or holding a NUL or lone
    surrogate escape, before any decoder sees it."""
    if json_depth(body) > MAX_JSON_DEPTH:
        raise JsonTooDeep(limit=MAX_JSON_DEPTH)
    if b"\\u" in body and _SUSPECT_ESCAPE.search(body) and _bad_escape(body):
        raise UnstorableText()


def _bad_escape(body: bytes) -> bool:
    """Whether an escape decodes to NUL or a surrogate that is not half of a pair. Escapes
    are read left to right, so ``\\\\u0000`` is a backslash and text, not NUL."""
    high_ends = -1  # where the last high surrogate escape ended, until its pair is seen
    for match in _ESCAPE.finditer(body):
        unit = int(match.group(1), 16) if match.group(1) else None
        if high_ends >= 0:
            if match.start() == high_ends and unit is not None and 0xDC00 <= unit <= 0xDFFF:
                high_ends = -1
                continue
            return True
        if unit is None:
            continue
        if unit == 0 or 0xDC00 <= unit <= 0xDFFF:
            return True
        if 0xD800 <= unit <= 0xDBFF:
            high_ends = match.end()
    return high_ends >= 0


_UNSTORABLE = re.compile("[\x00\ud800-\udfff]")


def check_text(value: str) -> None:
    """Refuse a decoded string holding NUL or a lone surrogate."""
    if _UNSTORABLE.search(value):
        raise UnstorableText()


def check_url_encoded(raw: bytes) -> None:
    """Refuse a path, query string or form body holding NUL, raw or as ``%00``. (Escapes that
    are not UTF-8, lone surrogates sent as ``%ED%A0%80`` among them, are read as U+FFFD by
    Litestar, which every database stores.)"""
    if b"\x00" in raw or b"%00" in raw:
        raise UnstorableText()
