from litestar import Router
from litestar.di import Provide

from api.auth import audience_guard, provide_actor
from api.citizen.auth import CitizenAuthController
from api.citizen.me import CitizenMeController
from api.devices import DeviceController

citizen_router = Router(
    path="/api/citizen",
    guards=[audience_guard("citizen", ("citizen",))],
    dependencies={"actor": Provide(provide_actor)},
    route_handlers=[CitizenAuthController, CitizenMeController, DeviceController],
    security=[{"BearerAuth": []}],
)
