from litestar import Router
from litestar.di import Provide

from api.admin.cases import AdminCaseController
from api.admin.command_centre import COMMAND_CENTRE_CONTROLLERS
from api.admin.config import AUDIT_HOOKS, CONFIG_CONTROLLERS
from api.admin.notifications import AdminNotificationController
from api.admin.patrol_duties import PatrolDutyController
from api.admin.places import AdminPlaceController, AdminPlaceKindController
from api.admin.points_review import AdminPointsHoldController, AdminPointsReviewController
from api.admin.rewards import (
    AdminPointsController,
    AdminRedemptionController,
    AdminRewardController,
)
from api.admin.signposts import AdminSignpostController
from api.auth import audience_guard, provide_actor, supervisors_read_only

admin_router = Router(
    path="/api/admin",
    guards=[
        audience_guard("staff", ("operator", "supervisor", "admin")),
        supervisors_read_only,
    ],
    dependencies={"actor": Provide(provide_actor)},
    route_handlers=[
        AdminNotificationController,
        PatrolDutyController,
        AdminPlaceController,
        AdminPlaceKindController,
        AdminSignpostController,
        AdminCaseController,
        *COMMAND_CENTRE_CONTROLLERS,
        AdminRewardController,
        AdminRedemptionController,
        AdminPointsController,
        AdminPointsHoldController,
        AdminPointsReviewController,
        *CONFIG_CONTROLLERS,
    ],
    security=[{"BearerAuth": []}],
    **AUDIT_HOOKS,
)
