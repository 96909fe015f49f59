"""/api/merchant: a merchant's counter app. Merchants sign in through /api/inspector/auth
(the one staff sign-in) but no city-staff router lets them in; this one lets in only them."""

from litestar import Router
from litestar.di import Provide

from api.auth import audience_guard, provide_actor
from api.inspector.me import StaffMeController
from api.merchant.shop import MerchantShopController

merchant_router = Router(
    path="/api/merchant",
    guards=[audience_guard("staff", ("merchant",))],
    dependencies={"actor": Provide(provide_actor)},
    # /me: the staff profile and password change, which /api/inspector keeps from merchants.
    route_handlers=[MerchantShopController, StaffMeController],
    security=[{"BearerAuth": []}],
)
