from litestar import Router

from api.intake.events import IntakeEventController
from api.intake.places import IntakePlaceController

intake_router = Router(
    path="/api/intake", route_handlers=[IntakeEventController, IntakePlaceController]
)
