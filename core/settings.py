"""Every setting comes from a ``CITYOPS_*`` environment variable and is read once.

The Struct is frozen so no code path can change configuration at runtime; tests that need
other values clear the cache with ``reload_settings()``.
"""

from __future__ import annotations

import os
import secrets
from functools import lru_cache
from pathlib import Path
from typing import Literal

import msgspec

PREFIX = "CITYOPS_"
SECRET_FIELDS = frozenset({"jwt_secret", "wechat_secret", "qr_secret", "s3_secret_key"})


class Settings(msgspec.Struct, frozen=True, kw_only=True):
    env: Literal["development", "production", "test"] = "development"
    database_url: str = "sqlite:///var/cityops.db"
    db_pool_min: int = 2
    db_pool_max: int = 10
    sqlite_busy_timeout_ms: int = 30_000
    var_dir: str = "var"

    log_format: Literal["text", "json", ""] = ""
    log_level: str = "INFO"
    default_locale: Literal["zh-CN", "en"] = "zh-CN"
    timezone: str = "Asia/Shanghai"
    public_base_url: str = "http://127.0.0.1:8000"
    host: str = "127.0.0.1"
    port: int = 8000
    workers: int = 1
    # The largest request body a route takes unless it sets its own (photo uploads take
    # media_max_bytes, bulk imports import_max_bytes): a 413 beyond it.
    request_max_bytes: int = 1024 * 1024
    import_max_bytes: int = 64 * 1024 * 1024
    # Run periodic tasks (SLA checks, housekeeping) inside the API process; turn off when
    # `cityops worker` processes do it.
    worker_in_process: bool = True
    # How stale a process-local cache of rarely changed data (grids, categories) may be
    # before it asks the database's version stamp again; 0 checks on every use.
    cache_check_seconds: float = 1.0

    jwt_algorithm: Literal["HS256", "ES256"] = "HS256"
    jwt_secret: str = ""
    jwt_private_key_file: str = ""
    jwt_public_key_file: str = ""
    jwt_issuer: str = "cityops"
    access_token_ttl_seconds: int = 900
    refresh_token_ttl_days: int = 30

    password_iterations: int = 600_000
    login_max_failures: int = 5
    login_lockout_seconds: int = 900

    wechat_appid: str = "wx-demo-appid"
    wechat_secret: str = ""
    wechat_base_url: str = "https://api.weixin.qq.com"
    wechat_timeout_seconds: float = 5.0

    sms_sender: Literal["console"] = "console"
    sms_code_ttl_seconds: int = 300
    sms_max_attempts: int = 5
    sms_resend_interval_seconds: int = 60
    sms_daily_cap_per_phone: int = 10
    sms_daily_cap_per_ip: int = 50

    qr_secret: str = ""
    # Signposts and places (issue 5).
    # Noto Sans CJK (Debian fonts-noto-cjk); face 2 of the collection is Simplified Chinese.
    qr_font_path: str = "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc"
    qr_font_index: int = 2
    qr_font_family: str = "Noto Sans CJK SC, Source Han Sans SC, sans-serif"
    # The app's deep link for "report a problem here"; {code} {lat} {lon} {grid} are filled in.
    report_app_link: str = "cityops://report?signpost={code}&lat={lat}&lon={lon}&grid={grid}"
    report_app_name: str = "城市运行服务"
    map_referer: str = "cityops"
    places_nearby_rate_limit: int = 120  # per client IP and minute, shared by all processes
    signpost_rate_limit: int = 60
    # How often a process asks the database whether places changed elsewhere; edits made in
    # the process itself are visible at once.
    places_index_check_seconds: float = 2.0
    places_import_max_rows: int = 100_000

    # Photos. media_dir defaults to {var_dir}/media (var/media), so one CITYOPS_VAR_DIR moves
    # everything the installation writes.
    media_dir: str = ""
    media_storage: Literal["local", "s3"] = "local"
    media_max_bytes: int = 15 * 1024 * 1024
    media_max_pixels: int = 50_000_000
    media_url_ttl_seconds: int = 300
    s3_endpoint_url: str = ""
    s3_bucket: str = ""
    s3_access_key: str = ""
    s3_secret_key: str = ""
    s3_region: str = "us-east-1"
    # "virtual" (bucket.host) for AWS, Aliyun OSS and Tencent COS; "path" for MinIO and moto.
    s3_addressing_style: Literal["path", "virtual"] = "path"

    # Notifications: the outbox worker.
    notify_channels: str = "apns,fcm,wechat"  # push providers in use (the inbox is always on)
    notify_interval_seconds: float = 1.0
    notify_batch_size: int = 100
    # A claimed delivery that is neither sent nor failed after this long (its worker died) is
    # claimed again; one crash can therefore send one duplicate, never lose a notification.
    notify_lease_seconds: int = 60
    notify_max_attempts: int = 8
    notify_retry_base_seconds: float = 10.0
    notify_retry_max_seconds: float = 3600.0
    notify_send_timeout_seconds: float = 10.0
    notify_app_link: str = "cityops://cases/{caseId}"
    notify_staff_link: str = "cityops-staff://cases/{caseId}"
    wechat_case_page: str = "pages/case/detail?id={caseId}"
    # The subscribe message template (案件进度通知) configured in the mini-program's console.
    wechat_case_template_id: str = "case-progress-demo"
    wechat_miniprogram_state: Literal["formal", "trial", "developer"] = "formal"
    apns_base_url: str = "https://api.push.apple.com"
    apns_topic: str = "cn.gov.cityops"
    apns_team_id: str = "TEAM000000"
    apns_key_id: str = "KEY0000000"
    # The .p8 signing key; outside production one is generated under {var_dir}/secrets.
    apns_key_file: str = ""
    apns_token_ttl_seconds: int = 45 * 60
    fcm_base_url: str = "https://fcm.googleapis.com"
    # A service-account JSON; outside production a fake one is generated under {var_dir}.
    fcm_credentials_file: str = ""
    fcm_project_id: str = ""
    # Overrides the service account's token_uri (the loopback fake of Google OAuth).
    fcm_token_url: str = ""

    # Reward points (有奖举报). Per-category points for accept and close are columns of the
    # category; rating earns the same everywhere, so it is a setting.
    points_on_rating: int = 2
    points_daily_cap: int = 100  # per citizen per city day, all earning kinds together
    # Points expire at the end of the N-th year after the year they were earned (city time).
    points_expire: bool = True
    points_expiry_years: int = 1
    points_expiring_soon_days: int = 60
    # A photo this close (dHash bits) to a photo of another case within the window earns
    # nothing and flags the case.
    points_duplicate_window_days: int = 30
    points_duplicate_max_distance: int = 6

    def __repr__(self) -> str:
        shown = {
            name: ("***" if name in SECRET_FIELDS and getattr(self, name) else getattr(self, name))
            for name in self.__struct_fields__
        }
        return f"Settings({shown})"

    __str__ = __repr__

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")

    @property
    def media_path(self) -> str:
        return self.media_dir or str(Path(self.var_dir) / "media")

    @property
    def effective_log_format(self) -> str:
        return self.log_format or ("json" if self.env == "production" else "text")


def _from_environment(environ: dict[str, str]) -> dict[str, str]:
    fields = set(Settings.__struct_fields__)
    values = {}
    for key, value in environ.items():
        if key.startswith(PREFIX):
            name = key[len(PREFIX) :].lower()
            if name in fields:
                values[name] = value
    return values


def _local_secret(var_dir: str, name: str) -> str:
    """A secret generated once per installation so that `make run` needs no configuration and
    every worker process of one installation agrees on it."""
    path = Path(var_dir) / "secrets" / name
    if path.exists():
        return path.read_text().strip()
    path.parent.mkdir(parents=True, exist_ok=True)
    value = secrets.token_urlsafe(48)
    # O_EXCL: two workers starting together must not each write their own secret.
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return path.read_text().strip()
    with os.fdopen(fd, "w") as handle:
        handle.write(value)
    return value


def load_settings(environ: dict[str, str] | None = None) -> Settings:
    values = _from_environment(dict(os.environ if environ is None else environ))
    try:
        settings = msgspec.convert(values, Settings, strict=False)
    except msgspec.ValidationError as exc:
        raise SystemExit(f"invalid configuration: {exc}") from None
    missing = {}
    for name in ("jwt_secret", "wechat_secret", "qr_secret"):
        if not getattr(settings, name):
            if settings.env == "production" and name != "wechat_secret":
                raise SystemExit(f"invalid configuration: {PREFIX}{name.upper()} is required")
            missing[name] = _local_secret(settings.var_dir, name)
    return msgspec.structs.replace(settings, **missing) if missing else settings


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return load_settings()


def reload_settings() -> Settings:
    get_settings.cache_clear()
    return get_settings()
