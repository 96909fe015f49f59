"""The admin web UI: piccolo-admin at /admin and the dashboard at /admin/dashboard."""

from api.admin_ui.dashboard import DashboardController
from api.admin_ui.login import AdminUiLoginController, AdminUiPasswordController
from api.admin_ui.mount import admin_ui

ADMIN_UI = [DashboardController, AdminUiLoginController, AdminUiPasswordController, admin_ui]
