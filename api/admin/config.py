"""The configuration, audit, statistics and evaluation controllers of the admin router."""

from api.admin.api_clients import ApiClientController
from api.admin.audit import AuditController
from api.admin.audit_hooks import AUDIT_HOOKS
from api.admin.calendar import CalendarController
from api.admin.categories import AdminCategoryController, SlaPolicyController
from api.admin.dispatch_rules import DispatchRuleController
from api.admin.evaluation import EvaluationController
from api.admin.grids import AdminGridController
from api.admin.org_units import OrgUnitController
from api.admin.staff import AdminStaffController
from api.admin.stats import AdminStatsController
from api.admin.webhooks import AdminWebhookController

CONFIG_CONTROLLERS = [
    AuditController,
    OrgUnitController,
    AdminStaffController,
    AdminGridController,
    AdminCategoryController,
    SlaPolicyController,
    DispatchRuleController,
    CalendarController,
    ApiClientController,
    AdminStatsController,
    EvaluationController,
    AdminWebhookController,
]

__all__ = ["AUDIT_HOOKS", "CONFIG_CONTROLLERS"]
