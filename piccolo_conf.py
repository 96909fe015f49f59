"""Piccolo reads its engine and apps from here; the engine follows CITYOPS_DATABASE_URL."""

from piccolo.conf.apps import AppRegistry

from core.db import engine

DB = engine()

APP_REGISTRY = AppRegistry(
    apps=[
        "piccolo.apps.user.piccolo_app",
        "core.piccolo_app",
        "accounts.piccolo_app",
        "notify.piccolo_app",
        "cases.piccolo_app",
        "org.piccolo_app",
        "media.piccolo_app",
        "points.piccolo_app",
        "rewards.piccolo_app",
        "patrols.piccolo_app",
        "places.piccolo_app",
        "qr.piccolo_app",
        "audit.piccolo_app",
        "piccolo_api.session_auth.piccolo_app",
    ]
)
