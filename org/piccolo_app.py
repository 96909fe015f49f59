import os

from piccolo.conf.apps import AppConfig

from org.tables import (
    CalendarDay,
    CalendarYear,
    Category,
    DispatchRule,
    DutyShift,
    Grid,
    GridInspector,
    OrgUnit,
    SlaPolicy,
)

APP_CONFIG = AppConfig(
    app_name="org",
    migrations_folder_path=os.path.join(os.path.dirname(__file__), "piccolo_migrations"),
    table_classes=[
        OrgUnit,
        Grid,
        GridInspector,
        Category,
        SlaPolicy,
        CalendarDay,
        CalendarYear,
        DispatchRule,
        DutyShift,
    ],
    migration_dependencies=["core.piccolo_app"],
)
