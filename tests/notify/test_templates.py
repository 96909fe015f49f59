"""Texts, deep links and WeChat's 20-character ``thing`` values."""

import pytest

from core.settings import get_settings
from notify.templates import TEMPLATES, cut_thing, render

REQUIRED = [
    "watch.new_case",
    "watch.digest",
    "case.survey",
    "case.received",
    "case.accepted",
    "case.dispatched",
    "case.resolved",
    "case.closed",
    "case.reopened",
    "case.rejected",
    "points.earned",
    "redemption.ready",
    "task.new",
    "sla.yellow",
    "sla.red",
]


@pytest.mark.parametrize("template", REQUIRED)
@pytest.mark.parametrize("locale", ["zh-CN", "en"])
def test_every_event_has_a_text_in_both_languages(template, locale):
    params = {"caseId": "c_1", "number": "N1", "note": "n", "points": 5, "reward": "R"}
    text = render(template, params, locale, audience="citizen", settings=get_settings())
    assert template in TEMPLATES and text.title and text.body and "{" not in text.body
    assert text.link.startswith("cityops://")


def test_missing_params_never_leave_braces():
    text = render(
        "case.rejected", {"caseId": "c_1"}, "en", audience="citizen", settings=get_settings()
    )
    assert text.body == "was not accepted" and text.link == "cityops://cases/c_1"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("路边有一堆暴露垃圾", "路边有一堆暴露垃圾"),
        ("a" * 20, "a" * 20),
        ("a" * 21, "a" * 19 + "…"),
        ("垃圾😀" * 8, "垃圾😀" * 6 + "垃…"),
        ("👨‍👩‍👧‍👦" * 6, "👨‍👩‍👧‍👦" * 2 + "…"),  # a family emoji is 7 code points: never split
        ("🇨🇳" * 15, "🇨🇳" * 9 + "…"),
        ("x\ud83d" + "y" * 30, "x" + "y" * 18 + "…"),  # a lone surrogate is dropped
        ("  多个\n空白\t字符  ", "多个 空白 字符"),
    ],
)
def test_thing_values_are_cut_cleanly_to_20(text, expected):
    cut = cut_thing(text)
    assert cut == expected and len(cut) <= 20
    cut.encode("utf-8")  # no lone surrogates left
