"""Every setting comes from a ``CITYOPS_*`` environment variable and is read once.

The Struct is frozen so no code path can change configuration at runtime; tests that need
other values clear the cache with ``reload_settings()``.
"""

from __future__ import annotations

import ipaddress
import os
import secrets
from functools import lru_cache
from pathlib import Path
from typing import Annotated, Literal

import msgspec

from core.working_hours import DEFAULT as WORKING_HOURS_DEFAULT
from core.working_hours import InvalidHours, parse_periods

PREFIX = "CITYOPS_"
SECRET_FIELDS = frozenset(
    {
        "jwt_secret",
        "wechat_secret",
        "qr_secret",
        "s3_secret_key",
        "sms_access_key_secret",
        # Android vendor push (notify/providers).
        "huawei_client_secret",
        "honor_client_secret",
        "xiaomi_app_secret",
        "oppo_master_secret",
        "vivo_app_secret",
        "jpush_master_secret",
    }
)


class Settings(msgspec.Struct, frozen=True, kw_only=True):
    env: Literal["development", "production", "test"] = "development"
    database_url: str = "sqlite:///var/cityops.db"
    db_pool_min: int = 2
    db_pool_max: int = 10
    sqlite_busy_timeout_ms: int = 30_000
    # A streaming replica of the PostgreSQL database for reads that may be a little behind
    # (statistics, evaluation, exports, public listings: core.replica). Empty: the primary.
    database_replica_url: str = ""
    database_replica_max_lag_seconds: float = 30.0
    var_dir: str = "var"

    log_format: Literal["text", "json", ""] = ""
    log_level: str = "INFO"
    default_locale: Literal["zh-CN", "en"] = "zh-CN"
    timezone: str = "Asia/Shanghai"
    # The city's working hours (SLA limits in working time count them); an org unit may set
    # its own (admin API). Periods of one day, in order, not overlapping.
    working_hours: str = WORKING_HOURS_DEFAULT
    public_base_url: str = "http://127.0.0.1:8000"
    # Open311's jurisdiction_id: when set, a request naming another jurisdiction is a 404.
    open311_jurisdiction_id: str = ""
    # Hosts webhooks may reach over http or at private addresses (comma-separated): a 12345
    # platform inside the government network. Every other subscriber URL is https to a
    # public address (notify.webhook_signing).
    webhook_allowed_hosts: str = ""
    webhook_timeout_seconds: float = 10.0
    host: str = "127.0.0.1"
    port: int = 8000
    workers: int = 1
    # Addresses or networks (comma-separated) of the reverse proxies in front of the API.
    # Only a request from one of them may name the client in X-Forwarded-For; per-address
    # limits (sign-in, SMS, nearby) count the address this yields. Empty: no proxy.
    trusted_proxies: str = ""
    # The largest request body a route takes unless it sets its own (photo uploads take
    # media_max_bytes, bulk imports import_max_bytes): a 413 beyond it.
    request_max_bytes: int = 1024 * 1024
    import_max_bytes: int = 64 * 1024 * 1024
    # Run periodic tasks (SLA checks, housekeeping) inside the API process; turn off when
    # `cityops worker` processes do it.
    worker_in_process: bool = True
    # After SIGTERM: how long requests in flight (`cityops serve`) and the periodic ticks in
    # flight (both commands) may take to finish before they are cancelled.
    shutdown_timeout_seconds: float = 7.0
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
    # Failed sign-ins from one address (any usernames) in the lockout window.
    login_max_failures_per_ip: int = 20

    wechat_appid: str = "wx-demo-appid"
    wechat_secret: str = ""
    wechat_base_url: str = "https://api.weixin.qq.com"
    wechat_timeout_seconds: float = 5.0

    # console prints codes (development only); aliyun and tencent are the real vendors.
    sms_sender: Literal["console", "aliyun", "tencent"] = "console"
    sms_code_ttl_seconds: int = 300
    sms_max_attempts: int = 5
    sms_resend_interval_seconds: int = 60
    sms_daily_cap_per_phone: int = 10
    sms_daily_cap_per_ip: int = 50
    # The vendor account: Aliyun AccessKey id/secret, or Tencent SecretId/SecretKey.
    sms_access_key_id: str = ""
    sms_access_key_secret: str = ""
    sms_sdk_app_id: str = ""  # Tencent only: the SMS application's SdkAppId
    sms_sign_name: str = ""  # the approved signature (短信签名), e.g. 城市运行服务
    # Approved template per message kind: Aliyun SMS_123456789, Tencent a numeric id.
    sms_template_login_code: str = ""
    sms_template_case_update: str = ""
    sms_template_urgent_case: str = ""
    sms_region: str = ""  # default cn-hangzhou (Aliyun) or ap-guangzhou (Tencent)
    # Overrides the vendor's endpoint, e.g. http://127.0.0.1:8013 for the loopback fakes.
    sms_endpoint: str = ""
    sms_timeout_seconds: float = 5.0
    # SMS as a notification channel (add "sms" to CITYOPS_NOTIFY_CHANNELS): at most this
    # many notification texts per person and city day, none to citizens in quiet hours.
    sms_daily_limit_per_person: int = 5
    sms_quiet_hours: str = "22:00-07:00"
    # An urgent case nobody of the unit acknowledged is paged again this often, this often.
    # An urgent case (priority 1) must be acknowledged (签收) within this many minutes of
    # dispatch unless its category sets its own limit; then it is paged again and alerted.
    urgent_ack_minutes: int = 15
    sms_repage_minutes: int = 10
    sms_repage_max: int = 2

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
    # Citizen "similar reports" lookups per citizen and minute (each answer maps cases).
    similar_rate_limit: int = 30
    # The public map of cases (GET /api/public/cases): requests per client IP and minute,
    # the zoom below which cases come as clusters (counts per grid cell), and the most
    # features one answer carries (the rest is cut, with "truncated": true).
    public_map_rate_limit: int = 60
    public_map_cluster_below_zoom: int = 15
    public_map_max_features: int = 500
    # Watch areas: how many a citizen keeps, how large each may be, and the city-time hour
    # at which the daily digest goes out to those who chose it.
    watch_areas_max: int = 5
    watch_area_max_km2: float = 50.0
    watch_digest_hour: int = 19
    # How often a process asks the database whether places changed elsewhere; edits made in
    # the process itself are visible at once.
    places_index_check_seconds: float = 2.0
    places_import_max_rows: int = 100_000
    # Signpost scans are counted in memory and written in batches this often: a process
    # killed without a clean stop (SIGKILL, power loss) loses at most this many seconds of
    # scan counts; a clean stop writes them.
    scan_flush_seconds: float = 2.0

    # Photos. media_dir defaults to {var_dir}/media (var/media), so one CITYOPS_VAR_DIR moves
    # everything the installation writes.
    media_dir: str = ""
    media_storage: Literal["local", "s3"] = "local"
    media_max_bytes: int = 15 * 1024 * 1024
    media_max_pixels: int = 50_000_000
    media_url_ttl_seconds: int = 300
    # Uploads per account: a burst, refilled over ten minutes, and a daily count; an upload
    # that no report or record takes within the TTL is deleted.
    media_upload_burst: int = 20
    media_daily_uploads_citizen: int = 100
    media_daily_uploads_staff: int = 1000
    media_unattached_ttl_hours: int = 24
    # Personal information kept no longer than needed (PIPL art. 19), removed by the daily
    # retention task of `cityops worker` (privacy.retention).
    retention_scan_days: int = 365
    retention_gps_days: int = 180
    retention_rejected_photo_days: int = 90
    retention_inbox_days: int = 365
    # Data exports per citizen a day: each one reads every photo of the account.
    privacy_exports_per_day: int = 3
    # The domain gauges of /metrics are read from the database at most this often per
    # process (a scrape in between gets the last figures).
    metrics_cache_seconds: float = 15.0
    s3_endpoint_url: str = ""
    s3_bucket: str = ""
    s3_access_key: str = ""
    s3_secret_key: str = ""
    s3_region: str = "us-east-1"
    # "virtual" (bucket.host) for AWS, Aliyun OSS and Tencent COS; "path" for MinIO and moto.
    s3_addressing_style: Literal["path", "virtual"] = "path"

    # Base map tiles of the workbench (/workbench/map). Empty: no tiles, grids and points on a
    # plain background (intranets, tests). The coordinate system is the tiles' own: AMap and
    # Tencent tiles are GCJ-02, so points are shifted on the server before they are drawn.
    # Subdomains as Leaflet takes them: each character ("abc"), or a comma-separated list.
    map_tile_url: str = ""
    map_tile_coord_sys: Literal["wgs84", "gcj02"] = "wgs84"
    map_tile_subdomains: str = "abc"
    map_tile_attribution: str = ""

    # Machine intake: events of one device and category within this many minutes of its
    # last event and this many metres of it are one case (a camera re-detecting a stall).
    intake_dedup_minutes: int = 30
    intake_dedup_metres: float = 30.0

    # Notifications: the outbox worker.
    # Push providers in use (the inbox is always on).
    notify_channels: str = "apns,fcm,wechat,huawei,harmony,honor,xiaomi,oppo,vivo,jpush"
    notify_interval_seconds: float = 1.0
    # How often SLA lights, escalations and expiries are checked (once per period city-wide).
    sla_check_seconds: Annotated[float, msgspec.Meta(gt=0)] = 60.0
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
    # A long-term subscribe template (长期订阅), for mini-programs in public-service
    # categories WeChat entitles to them: one "allow" covers every later message. Empty: the
    # one-time template above, one message per grant.
    wechat_long_term_template_id: str = ""
    # The mini-program page the signpost's "report here" button opens through a URL Link
    # (wxa/generate_urllink); empty keeps the app's own link (report_app_link).
    wechat_report_page: str = "pages/report/new"
    wechat_urllink_days: int = 30  # WeChat's maximum
    # 扫普通链接二维码打开小程序: WeChat fetches https://<domain>/<file>.txt to verify the
    # domain of the QR prefix rule (https://<domain>/q/); the name and content it asks for.
    wechat_verify_file: str = ""
    wechat_verify_content: str = ""
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

    # Android vendor push in mainland China and HarmonyOS NEXT (notify/providers). Outside
    # production the demo credentials below are what the loopback fakes accept.
    android_package: str = "cn.gov.cityops"
    huawei_client_id: str = "100000001"  # OAuth 2.0 client ID (v1 URLs carry it)
    huawei_client_secret: str = "demo-huawei-secret"
    huawei_project_id: str = "99536292102530000"  # v2 and v3 (HarmonyOS) URLs carry it
    huawei_api: Literal["v1", "v2"] = "v2"
    huawei_oauth_url: str = "https://oauth-login.cloud.huawei.com/oauth2/v3/token"
    huawei_push_base_url: str = "https://push-api.cloud.huawei.com"
    # HarmonyOS NEXT signs a JWT with a service account key (Push Kit v3); outside production
    # one is generated under {var_dir}/secrets.
    harmony_service_account_file: str = ""
    honor_app_id: str = "104400000"
    honor_client_id: str = "demo-honor-client"
    honor_client_secret: str = "demo-honor-secret"
    honor_auth_url: str = (
        "https://iam.developer.hihonor.com/auth/realms/developer/protocol/openid-connect/token"
    )
    honor_push_base_url: str = "https://push-api.cloud.hihonor.com"
    xiaomi_app_secret: str = "demo-xiaomi-secret"
    xiaomi_base_url: str = "https://api.xmpush.xiaomi.com"
    # The 私信 (private message) channel registered in the Xiaomi console; "" = default channel.
    xiaomi_channel_id: str = ""
    oppo_app_key: str = "demo-oppo-key"
    oppo_master_secret: str = "demo-oppo-master-secret"
    oppo_base_url: str = "https://api.push.oppomobile.com"
    # The 私信 channel registered in the OPPO console (通讯与服务); "" = public channel.
    oppo_channel_id: str = ""
    vivo_app_id: str = "105000000"
    vivo_app_key: str = "demo-vivo-key"
    vivo_app_secret: str = "demo-vivo-secret"
    vivo_base_url: str = "https://api-push.vivo.com.cn"
    vivo_push_mode: Literal[0, 1] = 0  # 1 = test messages (no quota, test devices only)
    jpush_app_key: str = "demo-jpush-app-key"
    jpush_master_secret: str = "demo-jpush-master-secret"
    jpush_base_url: str = "https://api.jpush.cn"

    # Reward points (有奖举报). Per-category points for accept and close are columns of the
    # category; rating earns the same everywhere, so it is a setting.
    points_on_rating: int = 2
    # To the first reporter of a problem when a later report of it is merged into theirs.
    points_first_found_bonus: int = 5
    points_daily_cap: int = 100  # per citizen per city day, all earning kinds together
    # Points expire at the end of the N-th year after the year they were earned (city time).
    points_expire: bool = True
    points_expiry_years: int = 1
    points_expiring_soon_days: int = 60
    # A photo this close (dHash bits) to a photo of another case within the window earns
    # nothing and flags the case.
    points_duplicate_window_days: int = 30
    points_duplicate_max_distance: int = 6
    # The same for turned, mirrored and cropped copies: bits of the 128-bit crop hash
    # (media.transforms); up to 15 the look-alikes come from indexes.
    points_duplicate_turned_max_distance: int = 8
    # Farming (points.review): this many accounts on one device token, or on one public IP
    # range (carrier NAT shares addresses: higher), within a week, or this many of one
    # citizen's reports in a day all rejected, flag the accounts for review.
    points_review_accounts_per_device: int = 3
    points_review_accounts_per_ip_range: int = 20
    points_review_rejected_burst: int = 5

    def __repr__(self) -> str:
        shown = {
            name: ("***" if name in SECRET_FIELDS and getattr(self, name) else getattr(self, name))
            for name in self.__struct_fields__
        }
        return f"Settings({shown})"

    __str__ = __repr__

    @property
    def trusted_proxy_list(self) -> list[str]:
        return [item.strip() for item in self.trusted_proxies.split(",") if item.strip()]

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
    from core.private_files import read_private, write_private

    path = Path(var_dir) / "secrets" / name
    if not path.exists():
        # Not replacing: two workers starting together must not each write their own secret.
        write_private(path, secrets.token_urlsafe(48).encode(), replace=False)
    return read_private(path).decode().strip()


def _check_trusted_proxies(settings: Settings) -> None:
    """A typo here would silently trust nobody (or, with "*", everybody): refuse to start."""
    for item in settings.trusted_proxy_list:
        try:
            ipaddress.ip_network(item, strict=False)
        except ValueError:
            raise SystemExit(
                f"invalid configuration: {PREFIX}TRUSTED_PROXIES: {item!r} is not an IP "
                "address or network (e.g. 10.0.0.5 or 172.16.0.0/12)"
            ) from None


def load_settings(environ: dict[str, str] | None = None) -> Settings:
    values = _from_environment(dict(os.environ if environ is None else environ))
    try:
        settings = msgspec.convert(values, Settings, strict=False)
    except msgspec.ValidationError as exc:
        raise SystemExit(f"invalid configuration: {exc}") from None
    _check_trusted_proxies(settings)
    _check_replica(settings)
    missing = {}
    for name in ("jwt_secret", "wechat_secret", "qr_secret"):
        if not getattr(settings, name):
            if settings.env == "production" and name != "wechat_secret":
                raise SystemExit(f"invalid configuration: {PREFIX}{name.upper()} is required")
            missing[name] = _local_secret(settings.var_dir, name)
    _check_sms(settings)
    _check_working_hours(settings)
    _check_map_tiles(settings)
    return msgspec.structs.replace(settings, **missing) if missing else settings


def _check_map_tiles(settings: Settings) -> None:
    """The tile hosts go into the workbench's Content-Security-Policy: refuse what is not a
    plain http(s) URL rather than send a policy that blocks every tile."""
    from core.map_tiles import tile_hosts

    try:
        tile_hosts(settings)
    except ValueError as exc:
        raise SystemExit(f"invalid configuration: {PREFIX}MAP_TILE_URL: {exc}") from None


def _check_sms(settings: Settings) -> None:
    """Refuse to start rather than fail inside a request: production cannot sign anyone in
    with the console sender, and a vendor without its account or templates sends nothing."""
    if settings.sms_sender == "console":
        if settings.env == "production":
            raise SystemExit(
                f"invalid configuration: {PREFIX}SMS_SENDER=console only prints codes "
                "(development); set it to aliyun or tencent with the vendor's account"
            )
    else:
        required = ["sms_access_key_id", "sms_access_key_secret", "sms_sign_name"]
        required.append("sms_template_login_code")
        if settings.sms_sender == "tencent":
            required.append("sms_sdk_app_id")
        if "sms" in {c.strip() for c in settings.notify_channels.split(",")}:
            required += ["sms_template_case_update", "sms_template_urgent_case"]
        missing = [f"{PREFIX}{name.upper()}" for name in required if not getattr(settings, name)]
        if missing:
            raise SystemExit(
                f"invalid configuration: {PREFIX}SMS_SENDER={settings.sms_sender} needs "
                + ", ".join(missing)
            )
    try:
        quiet_hours(settings)
    except ValueError:
        raise SystemExit(
            f"invalid configuration: {PREFIX}SMS_QUIET_HOURS must look like 22:00-07:00"
        ) from None


def _check_replica(settings: Settings) -> None:
    url = settings.database_replica_url
    if url and (settings.is_sqlite or not url.startswith(("postgres://", "postgresql://"))):
        raise SystemExit(
            f"invalid configuration: {PREFIX}DATABASE_REPLICA_URL must be a postgresql:// URL "
            "of a streaming replica of the PostgreSQL database in CITYOPS_DATABASE_URL"
        )


def _check_working_hours(settings: Settings) -> None:
    try:
        parse_periods(settings.working_hours)
    except InvalidHours as exc:
        raise SystemExit(
            f"invalid configuration: {PREFIX}WORKING_HOURS must look like "
            f"08:30-12:00,13:30-17:30 ({exc})"
        ) from None


def quiet_hours(settings: Settings) -> tuple[str, str] | None:
    """CITYOPS_SMS_QUIET_HOURS as (start, end) "HH:MM" strings; None when empty."""
    text = settings.sms_quiet_hours.strip()
    if not text:
        return None
    start, _, end = text.partition("-")
    start, end = start.strip(), end.strip()
    for part in (start, end):
        if len(part) != 5 or part[2] != ":":
            raise ValueError(text)
        hour, minute = int(part[:2]), int(part[3:])
        if not (0 <= hour < 24 and 0 <= minute < 60):
            raise ValueError(text)
    if start == end:
        raise ValueError(text)
    return start, end


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return load_settings()


def reload_settings() -> Settings:
    get_settings.cache_clear()
    return get_settings()
