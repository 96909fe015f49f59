import os

from piccolo.conf.apps import AppConfig

from patrols.tables import Patrol, PatrolDuty, PatrolFix

APP_CONFIG = AppConfig(
    app_name="patrols",
    migrations_folder_path=os.path.join(os.path.dirname(__file__), "piccolo_migrations"),
    table_classes=[PatrolDuty, Patrol, PatrolFix],
)
