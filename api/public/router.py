from litestar import Router

from api.public.cases import PublicCaseController

# No audience guard: the public map answers anyone, and no token changes what it shows.
public_router = Router(path="/api/public", route_handlers=[PublicCaseController])
