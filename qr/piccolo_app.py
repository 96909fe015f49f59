import os

from piccolo.conf.apps import AppConfig

from qr.tables import Signpost, SignpostDamage, SignpostScan

APP_CONFIG = AppConfig(
    app_name="qr",
    migrations_folder_path=os.path.join(os.path.dirname(__file__), "piccolo_migrations"),
    table_classes=[Signpost, SignpostScan, SignpostDamage],
    migration_dependencies=["core.piccolo_app"],
)
