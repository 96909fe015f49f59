import pytest

from core.settings import load_settings


def test_reads_cityops_variables_with_types(tmp_path):
    settings = load_settings(
        {
            "CITYOPS_VAR_DIR": str(tmp_path),
            "CITYOPS_DB_POOL_MAX": "25",
            "CITYOPS_DATABASE_URL": "postgresql://postgres@127.0.0.1/test",
            "UNRELATED": "x",
            "CITYOPS_JWT_SECRET": "s" * 40,
        }
    )
    assert settings.db_pool_max == 25 and not settings.is_sqlite
    with pytest.raises(AttributeError):
        settings.db_pool_max = 3


def test_secrets_never_appear_in_repr(tmp_path):
    settings = load_settings(
        {
            "CITYOPS_VAR_DIR": str(tmp_path),
            "CITYOPS_JWT_SECRET": "super-secret-jwt-key-123456",
            "CITYOPS_WECHAT_SECRET": "wechat-secret-value",
        }
    )
    text = repr(settings) + str(settings)
    assert "super-secret" not in text and "wechat-secret-value" not in text and "***" in text


def test_invalid_value_stops_with_a_clear_message(tmp_path):
    with pytest.raises(SystemExit, match="invalid configuration"):
        load_settings({"CITYOPS_VAR_DIR": str(tmp_path), "CITYOPS_DB_POOL_MAX": "many"})
    with pytest.raises(SystemExit, match="invalid configuration"):
        load_settings({"CITYOPS_VAR_DIR": str(tmp_path), "CITYOPS_ENV": "staging"})


def test_production_requires_real_secrets(tmp_path):
    with pytest.raises(SystemExit, match="CITYOPS_JWT_SECRET"):
        load_settings({"CITYOPS_VAR_DIR": str(tmp_path), "CITYOPS_ENV": "production"})


def test_development_generates_one_stable_secret(tmp_path):
    first = load_settings({"CITYOPS_VAR_DIR": str(tmp_path)})
    second = load_settings({"CITYOPS_VAR_DIR": str(tmp_path)})
    assert len(first.jwt_secret) >= 48 and first.jwt_secret == second.jwt_secret
    assert (tmp_path / "secrets" / "jwt_secret").stat().st_mode & 0o077 == 0


def test_unsupported_database_url():
    from core.db import build_engine

    settings = load_settings(
        {
            "CITYOPS_DATABASE_URL": "mysql://x",
            "CITYOPS_JWT_SECRET": "s" * 40,
            "CITYOPS_WECHAT_SECRET": "w" * 40,
            "CITYOPS_QR_SECRET": "q" * 40,
        }
    )
    with pytest.raises(SystemExit, match="unsupported"):
        build_engine(settings)


@pytest.mark.parametrize("value", ["proxy.local", "10.0.0.300", "*", "10.0.0.0/40"])
def test_a_trusted_proxy_that_is_no_address_stops_the_start(tmp_path, value):
    with pytest.raises(SystemExit, match="CITYOPS_TRUSTED_PROXIES"):
        load_settings({"CITYOPS_VAR_DIR": str(tmp_path), "CITYOPS_TRUSTED_PROXIES": value})


def test_trusted_proxies_are_addresses_and_networks(tmp_path):
    settings = load_settings(
        {"CITYOPS_VAR_DIR": str(tmp_path), "CITYOPS_TRUSTED_PROXIES": " 10.0.0.5, 172.16.0.0/12,"}
    )
    assert settings.trusted_proxy_list == ["10.0.0.5", "172.16.0.0/12"]


def test_generated_secrets_and_keys_are_private(tmp_path):
    import stat

    from notify.providers.apns import load_or_create_key
    from notify.providers.fcm import fake_service_account

    settings = load_settings({"CITYOPS_VAR_DIR": str(tmp_path)})
    load_or_create_key(settings)
    fake_service_account(settings)
    secrets_dir = tmp_path / "secrets"
    assert stat.S_IMODE(secrets_dir.stat().st_mode) == 0o700
    files = sorted(p.name for p in secrets_dir.iterdir())
    assert files == [
        "apns.p8",
        "fcm-service-account.json",
        "jwt_secret",
        "qr_secret",
        "wechat_secret",
    ]
    for path in secrets_dir.iterdir():
        assert stat.S_IMODE(path.stat().st_mode) == 0o600, path


def test_a_secret_left_readable_by_an_older_release_is_tightened(tmp_path):
    import os
    import stat

    secrets_dir = tmp_path / "secrets"
    secrets_dir.mkdir(mode=0o755)
    old = secrets_dir / "jwt_secret"
    old.write_text("an-old-secret-that-is-long-enough-0123456789")
    os.chmod(old, 0o644)
    settings = load_settings({"CITYOPS_VAR_DIR": str(tmp_path)})
    assert settings.jwt_secret == "an-old-secret-that-is-long-enough-0123456789"
    assert stat.S_IMODE(old.stat().st_mode) == 0o600
    assert stat.S_IMODE(secrets_dir.stat().st_mode) == 0o700


def _production(tmp_path, **extra):
    return {
        "CITYOPS_VAR_DIR": str(tmp_path),
        "CITYOPS_ENV": "production",
        "CITYOPS_JWT_SECRET": "s" * 40,
        "CITYOPS_QR_SECRET": "q" * 40,
        **extra,
    }


def test_production_refuses_the_console_sms_sender(tmp_path):
    with pytest.raises(SystemExit, match="CITYOPS_SMS_SENDER"):
        load_settings(_production(tmp_path))


def test_a_real_sms_sender_needs_its_account_sign_and_templates(tmp_path):
    with pytest.raises(SystemExit) as stopped:
        load_settings(_production(tmp_path, CITYOPS_SMS_SENDER="aliyun"))
    for name in (
        "CITYOPS_SMS_ACCESS_KEY_ID",
        "CITYOPS_SMS_ACCESS_KEY_SECRET",
        "CITYOPS_SMS_SIGN_NAME",
        "CITYOPS_SMS_TEMPLATE_LOGIN_CODE",
    ):
        assert name in str(stopped.value)
    complete = {
        "CITYOPS_SMS_ACCESS_KEY_ID": "id",
        "CITYOPS_SMS_ACCESS_KEY_SECRET": "secret-value-123",
        "CITYOPS_SMS_SIGN_NAME": "城市运行服务",
        "CITYOPS_SMS_TEMPLATE_LOGIN_CODE": "SMS_1",
    }
    settings = load_settings(_production(tmp_path, CITYOPS_SMS_SENDER="aliyun", **complete))
    assert settings.sms_sender == "aliyun" and "secret-value-123" not in repr(settings)
    # Tencent also needs its SdkAppId; SMS notifications need their two templates.
    with pytest.raises(SystemExit, match="CITYOPS_SMS_SDK_APP_ID"):
        load_settings(_production(tmp_path, CITYOPS_SMS_SENDER="tencent", **complete))
    with pytest.raises(SystemExit, match="CITYOPS_SMS_TEMPLATE_URGENT_CASE"):
        load_settings(
            _production(
                tmp_path,
                CITYOPS_SMS_SENDER="aliyun",
                CITYOPS_NOTIFY_CHANNELS="apns,sms",
                **complete,
            )
        )


@pytest.mark.parametrize("hours", ["22-07", "22:00", "25:00-07:00", "07:00-07:00", "ab:cd-07:00"])
def test_malformed_quiet_hours_stop_the_start(tmp_path, hours):
    with pytest.raises(SystemExit, match="CITYOPS_SMS_QUIET_HOURS"):
        load_settings({"CITYOPS_VAR_DIR": str(tmp_path), "CITYOPS_SMS_QUIET_HOURS": hours})


@pytest.mark.parametrize(
    ("extra", "named"),
    [
        ({}, "CITYOPS_SMS_SENDER"),
        ({"CITYOPS_SMS_SENDER": "aliyun"}, "CITYOPS_SMS_ACCESS_KEY_ID"),
    ],
)
@pytest.mark.parametrize("command", ["serve", "worker"])
def test_a_production_process_refuses_to_start_naming_the_setting(tmp_path, extra, named, command):
    """`cityops serve` and `cityops worker` stop before serving anything, not inside the
    first sign-in request."""
    import os
    import subprocess
    import sys
    from pathlib import Path

    from tests.servers import free_port

    env = {k: v for k, v in os.environ.items() if not k.startswith("CITYOPS_")}
    env.update(
        _production(
            tmp_path,
            CITYOPS_DATABASE_URL=f"sqlite:///{tmp_path}/refused.db",
            CITYOPS_PORT=str(free_port()),
            **extra,
        )
    )
    done = subprocess.run(
        [sys.executable, "-m", "api.cli", command],
        cwd=Path(__file__).resolve().parents[2],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode != 0
    assert named in done.stderr, done.stderr[-2000:]
