from litestar import Router

from api.intake.events import IntakeEventController

intake_router = Router(path="/api/intake", route_handlers=[IntakeEventController])
