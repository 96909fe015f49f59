"""Locale negotiation and bilingual messages. zh-CN is the default; en on request."""

from __future__ import annotations

from typing import Literal

import msgspec

Locale = Literal["zh-CN", "en"]
SUPPORTED: tuple[Locale, ...] = ("zh-CN", "en")


class Msg(msgspec.Struct, frozen=True):
    zh: str
    en: str

    def render(self, locale: str, **params: object) -> str:
        template = self.en if locale == "en" else self.zh
        try:
            return template.format(**params)
        except (KeyError, IndexError, ValueError):
            # A message must never turn a 4xx into a 500 because a parameter went missing.
            return template


def negotiate_locale(accept_language: str | None, default: Locale = "zh-CN") -> Locale:
    """Pick zh-CN or en from an Accept-Language header, honouring q-values."""
    if not accept_language:
        return default
    ranked: list[tuple[float, int, str]] = []
    for index, part in enumerate(accept_language.split(",")):
        tag, _, params = part.strip().partition(";")
        quality = 1.0
        params = params.strip()
        if params.startswith("q="):
            try:
                quality = float(params[2:])
            except ValueError:
                quality = 0.0
        ranked.append((-quality, index, tag.strip().lower()))
    for negative_quality, _, tag in sorted(ranked):
        if negative_quality >= 0:
            continue
        if tag.startswith("zh"):
            return "zh-CN"
        if tag.startswith("en"):
            return "en"
        if tag == "*":
            return default
    return default
