from litestar import Router
from litestar.di import Provide

from api.intake.events import IntakeEventController, api_key_guard, provide_machine_actor
from api.intake.places import IntakePlaceController
from api.media import MediaController

# Cameras upload snapshots through the citizens' photo pipeline (EXIF stripped, the bytes
# decide the format), as the key's own uploads, then name them in an event.
_intake_media = Router(
    path="/",
    guards=[api_key_guard],
    opt={"machine_kinds": ("camera", "sensor")},
    dependencies={"actor": Provide(provide_machine_actor, sync_to_thread=False)},
    route_handlers=[MediaController],
    security=[{"ApiKey": []}],
)

intake_router = Router(
    path="/api/intake",
    route_handlers=[IntakeEventController, IntakePlaceController, _intake_media],
)
