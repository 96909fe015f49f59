import os

from piccolo.conf.apps import AppConfig

from places.tables import Place, PlaceKind

APP_CONFIG = AppConfig(
    app_name="places",
    migrations_folder_path=os.path.join(os.path.dirname(__file__), "piccolo_migrations"),
    table_classes=[PlaceKind, Place],
    migration_dependencies=["core.piccolo_app"],
)
