import os

from piccolo.conf.apps import AppConfig

from accounts.tables import (
    ApiClient,
    Citizen,
    Device,
    LocationConsent,
    RefreshToken,
    SmsChallenge,
    Staff,
)

APP_CONFIG = AppConfig(
    app_name="accounts",
    migrations_folder_path=os.path.join(os.path.dirname(__file__), "piccolo_migrations"),
    table_classes=[Citizen, Staff, RefreshToken, SmsChallenge, Device, ApiClient, LocationConsent],
    migration_dependencies=["piccolo.apps.user.piccolo_app"],
)
