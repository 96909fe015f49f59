import os

from piccolo.conf.apps import AppConfig

from points.tables import PointsEntry, PointsHold, PointsReview, PointsSignal

APP_CONFIG = AppConfig(
    app_name="points",
    migrations_folder_path=os.path.join(os.path.dirname(__file__), "piccolo_migrations"),
    table_classes=[PointsEntry, PointsHold, PointsReview, PointsSignal],
    migration_dependencies=["core.piccolo_app"],
)
