import os

from piccolo.conf.apps import AppConfig

from rewards.tables import Redemption, Reward

APP_CONFIG = AppConfig(
    app_name="rewards",
    migrations_folder_path=os.path.join(os.path.dirname(__file__), "piccolo_migrations"),
    table_classes=[Reward, Redemption],
    migration_dependencies=["points.piccolo_app"],
)
