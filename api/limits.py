"""The hot public routes' rate limits (core.throttle: shared by all processes, no database
write per request), one per kind of use, so the API and the HTML page of one thing share it."""

from __future__ import annotations

from litestar.connection import ASGIConnection

from api.auth import client_ip
from core.settings import get_settings
from core.throttle import BatchedLimiter

nearby_limiter = BatchedLimiter("places.nearby")
# A scan through the app and a scan of the sticker's page are one kind of use.
signpost_limiter = BatchedLimiter("signpost")
public_map_limiter = BatchedLimiter("public.cases")
LIMITERS = (nearby_limiter, signpost_limiter, public_map_limiter)


def limit_nearby(connection: ASGIConnection) -> None:
    nearby_limiter.hit(client_ip(connection), limit=get_settings().places_nearby_rate_limit)


def limit_scans(connection: ASGIConnection) -> None:
    signpost_limiter.hit(client_ip(connection), limit=get_settings().signpost_rate_limit)


def limit_public_map(connection: ASGIConnection) -> None:
    public_map_limiter.hit(client_ip(connection), limit=get_settings().public_map_rate_limit)


async def drain() -> None:
    for limiter in LIMITERS:
        await limiter.drain()
