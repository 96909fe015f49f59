"""Parking systems report their free spaces live."""

from __future__ import annotations

from typing import Annotated

import msgspec
from litestar import Controller, Request, put
from litestar.params import JSONBody

from api.intake.events import api_key_guard
from api.params import IdParam
from core.db import transaction
from places import service as places

Spaces = Annotated[int, msgspec.Meta(ge=0, le=1_000_000)]


class AvailabilityIn(msgspec.Struct, frozen=True, rename="camel", forbid_unknown_fields=True):
    free_spaces: Spaces
    total_spaces: Spaces | None = None


class AvailabilityOut(msgspec.Struct, frozen=True, rename="camel"):
    id: int
    free_spaces: int
    total_spaces: int | None


class IntakePlaceController(Controller):
    path = "/places"
    tags = ["intake"]
    guards = [api_key_guard]
    opt = {"machine_kinds": ("parking",)}

    @put(
        "/{place_id:int}/availability",
        summary="Free parking spaces, now; only the key bound to the car park may set them",
        security=[{"ApiKey": []}],
    )
    async def availability(
        self, request: Request, place_id: IdParam, data: JSONBody[AvailabilityIn]
    ) -> AvailabilityOut:
        async with transaction():
            place = await places.set_availability(
                place_id=place_id,
                client_id=request.state.machine.id,
                free_spaces=data.free_spaces,
                total_spaces=data.total_spaces,
            )
        return AvailabilityOut(
            id=place.id,
            free_spaces=place.attributes["free_spaces"],
            total_spaces=place.attributes.get("total_spaces"),
        )
