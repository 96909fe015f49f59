from litestar import Router
from litestar.di import Provide

from api.auth import audience_guard, provide_actor
from api.citizen.auth import CitizenAuthController
from api.citizen.categories import CategoryController
from api.citizen.me import CitizenMeController
from api.citizen.notifications import NotificationController, WeChatSubscriptionController
from api.citizen.places import CitizenPlaceController
from api.citizen.points import CitizenPointsController
from api.citizen.privacy import CitizenPrivacyController
from api.citizen.reports import CitizenReportController
from api.citizen.rewards import CitizenRedemptionController, CitizenRewardController
from api.citizen.signposts import CitizenSignpostController
from api.citizen.survey import CitizenSurveyController
from api.citizen.watch_areas import WatchAreaController
from api.devices import DeviceController
from api.media import MediaController

citizen_router = Router(
    path="/api/citizen",
    guards=[audience_guard("citizen", ("citizen",))],
    dependencies={"actor": Provide(provide_actor)},
    route_handlers=[
        NotificationController,
        WeChatSubscriptionController,
        CitizenAuthController,
        CitizenMeController,
        CitizenPrivacyController,
        DeviceController,
        CitizenReportController,
        MediaController,
        CategoryController,
        CitizenPointsController,
        CitizenRewardController,
        CitizenRedemptionController,
        WatchAreaController,
        CitizenSurveyController,
    ],
    security=[{"BearerAuth": []}],
)

# Toilets, parks and parking, and what a signpost tells, are public data that no one's token
# changes, so their routes skip the audience guard (Litestar copies the route handler for
# each guard it runs; on the nearby search that was a tenth of the request, on a scan 6 %).
citizen_places_router = Router(
    path="/api/citizen", route_handlers=[CitizenPlaceController, CitizenSignpostController]
)
