from litestar import Router
from litestar.di import Provide

from api.admin.cases import AdminCaseController
from api.auth import audience_guard, provide_actor

admin_router = Router(
    path="/api/admin",
    guards=[audience_guard("staff", ("operator", "admin"))],
    dependencies={"actor": Provide(provide_actor)},
    route_handlers=[AdminCaseController],
    security=[{"BearerAuth": []}],
)
