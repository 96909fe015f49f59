"""/api/merchant: a merchant's counter app. Merchants sign in through /api/inspector/auth
(the one staff sign-in) but no city-staff router lets them in; this one lets in only them."""

from litestar import Router
from litestar.di import Provide

from api.auth import audience_guard, provide_actor
from api.merchant.shop import MerchantShopController

merchant_router = Router(
    path="/api/merchant",
    guards=[audience_guard("staff", ("merchant",))],
    dependencies={"actor": Provide(provide_actor)},
    route_handlers=[MerchantShopController],
    security=[{"BearerAuth": []}],
)
