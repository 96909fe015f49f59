import os

from piccolo.conf.apps import AppConfig

from core.tables import IdempotencyRecord, PeriodicLease, RateBucket, VersionStamp

APP_CONFIG = AppConfig(
    app_name="core",
    migrations_folder_path=os.path.join(os.path.dirname(__file__), "piccolo_migrations"),
    table_classes=[IdempotencyRecord, RateBucket, VersionStamp, PeriodicLease],
)
