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


def test_the_app_keeps_our_log_handler(capsys):
    """Litestar configures the root logger unless told not to: the app must keep ours, with
    its JSON lines and its masking, once it is built."""
    import msgspec

    from api.app import create_app
    from core.settings import get_settings

    secret = "jwt-secret-that-must-never-be-logged-0123456789"
    settings = msgspec.structs.replace(
        get_settings(), log_format="json", jwt_secret=secret, log_level="INFO"
    )
    create_app(settings)
    logging.getLogger("cityops.test").warning("signing with %s", secret)
    lines = [json.loads(line) for line in capsys.readouterr().err.splitlines() if line]
    assert lines and lines[-1]["message"] == "signing with ***", lines
    assert secret not in json.dumps(lines)
