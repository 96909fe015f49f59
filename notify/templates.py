"""What each notification says, in zh-CN and en, and where it leads (a deep link into the app
and the mini-program page). The texts are in notify.texts; params come from the enqueuing
package (caseId, number, note...)."""

from __future__ import annotations

import string
import unicodedata
from typing import Any

import msgspec

from core.settings import Settings
from notify.texts import FALLBACK, FOLLOWER_TEMPLATES, PHRASES, TEMPLATES, Template

__all__ = ["PHRASES", "TEMPLATES", "Rendered", "cut_thing", "render", "wechat_page"]


class _Blank(dict):
    def __missing__(self, key: str) -> str:
        return ""


def _format(text: str, params: dict[str, Any]) -> str:
    try:
        return string.Formatter().vformat(text, (), _Blank(params)).strip().rstrip("：:")
    except (IndexError, ValueError):
        return text


class Rendered(msgspec.Struct, frozen=True):
    title: str
    body: str
    link: str


def render(
    template: str, params: dict[str, Any], locale: str, *, audience: str, settings: Settings
) -> Rendered:
    spec = TEMPLATES.get(template, FALLBACK)
    if params.get("follower") and template in FOLLOWER_TEMPLATES:
        spec = FOLLOWER_TEMPLATES[template]
    return Rendered(
        title=_format(spec.title.render(locale), params),
        body=_format(spec.body.en if locale == "en" else spec.body.zh, params),
        link=deep_link(spec, params, audience=audience, settings=settings),
    )


def deep_link(spec: Template, params: dict[str, Any], *, audience: str, settings: Settings) -> str:
    if spec.link == "points":
        return "cityops://points"
    if spec.link == "rewards":
        return "cityops://rewards"
    if spec.link == "watch":
        return "cityops://watch-areas"
    pattern = settings.notify_staff_link if audience == "staff" else settings.notify_app_link
    return _format(pattern, params)


def wechat_page(params: dict[str, Any], settings: Settings) -> str:
    return _format(settings.wechat_case_page, params)


_JOINERS = {"\u200d"}


def _extends_cluster(char: str) -> bool:
    """True for code points that belong to the character before them: combining marks,
    variation selectors, emoji skin tones, ZWJ, tag characters (flags of regions)."""
    code = ord(char)
    return (
        unicodedata.combining(char) != 0
        or unicodedata.category(char) in ("Mn", "Me")
        or 0xFE00 <= code <= 0xFE0F
        or 0x1F3FB <= code <= 0x1F3FF
        or 0xE0020 <= code <= 0xE007F
        or char in _JOINERS
    )


def _clusters(text: str) -> list[str]:
    """Split into user-perceived characters (close enough to UAX #29 for titles): a base
    with its marks, emoji ZWJ sequences, and regional-indicator pairs (flags)."""
    clusters: list[str] = []
    for char in text:
        if clusters and (
            _extends_cluster(char)
            or clusters[-1].endswith("\u200d")
            or (_is_regional(char) and len(clusters[-1]) == 1 and _is_regional(clusters[-1]))
        ):
            clusters[-1] += char
        else:
            clusters.append(char)
    return clusters


def _is_regional(char: str) -> bool:
    return 0x1F1E6 <= ord(char) <= 0x1F1FF


def cut_thing(text: str, limit: int = 20) -> str:
    """A WeChat ``thing`` value: at most ``limit`` code points (what WeChat counts), cut
    between whole characters so an emoji or a flag is never split, with an ellipsis when
    something was cut. Lone surrogates (from broken JSON) and control characters are dropped."""
    cleaned = "".join(
        c
        for c in " ".join(text.split())
        if not 0xD800 <= ord(c) <= 0xDFFF
        and unicodedata.category(c) not in ("Cc", "Cf")
        or c in _JOINERS
    )
    if len(cleaned) <= limit:
        return cleaned
    out = ""
    for cluster in _clusters(cleaned):
        if len(out) + len(cluster) > limit - 1:
            break
        out += cluster
    return out.rstrip() + "…"
