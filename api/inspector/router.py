from litestar import Router
from litestar.di import Provide

from api.auth import audience_guard, provide_actor
from api.devices import DeviceController
from api.inspector.auth import StaffAuthController
from api.inspector.me import StaffMeController
from api.media import MediaController
from core.actors import STAFF_ROLES

inspector_router = Router(
    path="/api/inspector",
    guards=[audience_guard("staff", STAFF_ROLES)],
    dependencies={"actor": Provide(provide_actor)},
    route_handlers=[StaffAuthController, StaffMeController, DeviceController,
                    MediaController],
    security=[{"BearerAuth": []}],
)
