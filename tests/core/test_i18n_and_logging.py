import json
import logging

import pytest

from core.i18n import Msg, negotiate_locale
from core.logging import JsonFormatter, _ContextFilter, request_id_var


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        (None, "zh-CN"),
        ("", "zh-CN"),
        ("en", "en"),
        ("en-US,en;q=0.9", "en"),
        ("zh-CN,zh;q=0.9,en;q=0.8", "zh-CN"),
        ("fr-FR,en;q=0.5", "en"),
        ("fr", "zh-CN"),
        ("zh;q=0.2,en;q=0.8", "en"),
        ("en;q=0", "zh-CN"),
        ("de, *;q=0.1", "zh-CN"),
    ],
)
def test_negotiate_locale(header, expected):
    assert negotiate_locale(header) == expected


def test_message_with_a_missing_parameter_still_renders():
    assert Msg(zh="还剩 {left} 次", en="{left} left").render("en") == "{left} left"


def test_json_log_lines_carry_the_request_id_and_mask_secrets():
    record = logging.LogRecord(
        "x", logging.INFO, __file__, 1, "token %s", ("s3cr3t-value-123",), None
    )
    token = request_id_var.set("req-42")
    try:
        _ContextFilter(["s3cr3t-value-123"]).filter(record)
    finally:
        request_id_var.reset(token)
    line = json.loads(JsonFormatter().format(record))
    assert line["request_id"] == "req-42"
    assert line["message"] == "token ***"
