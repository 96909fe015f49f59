from litestar import Router
from litestar.di import Provide

from api.auth import audience_guard, provide_actor
from api.devices import DeviceController
from api.inspector.auth import StaffAuthController
from api.inspector.cases import InspectorCaseController
from api.inspector.categories import StaffCategoryController
from api.inspector.grids import GridsController
from api.inspector.me import StaffMeController
from api.inspector.notifications import NotificationController
from api.inspector.patrols import PatrolController
from api.inspector.stats import StatsController
from api.inspector.tasks import TaskController
from api.inspector.unit_work import UnitWorkController
from api.inspector.vouchers import VoucherController
from api.media import MediaController
from core.actors import CITY_STAFF_ROLES

inspector_router = Router(
    path="/api/inspector",
    # Merchants sign in here (the public /auth routes) but work only in /api/merchant.
    guards=[audience_guard("staff", CITY_STAFF_ROLES)],
    dependencies={"actor": Provide(provide_actor)},
    route_handlers=[
        NotificationController,
        GridsController,
        TaskController,
        InspectorCaseController,
        StaffCategoryController,
        UnitWorkController,
        PatrolController,
        StatsController,
        StaffAuthController,
        StaffMeController,
        DeviceController,
        MediaController,
        VoucherController,
    ],
    security=[{"BearerAuth": []}],
)
