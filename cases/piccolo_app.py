import os

from piccolo.conf.apps import AppConfig

from cases.tables import (
    Alert,
    Case,
    CaseAssist,
    CaseDayCounter,
    CaseEvent,
    CaseFollower,
    CaseMedia,
    CaseRequest,
    CaseSurvey,
    HotlineCall,
    MachineEvent,
    SupervisionOrder,
    WatchArea,
    WatchHit,
)

APP_CONFIG = AppConfig(
    app_name="cases",
    migrations_folder_path=os.path.join(os.path.dirname(__file__), "piccolo_migrations"),
    table_classes=[
        Case,
        CaseEvent,
        CaseMedia,
        CaseFollower,
        CaseRequest,
        CaseDayCounter,
        CaseAssist,
        SupervisionOrder,
        Alert,
        MachineEvent,
        WatchArea,
        WatchHit,
        CaseSurvey,
        HotlineCall,
    ],
)
