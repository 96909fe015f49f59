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
