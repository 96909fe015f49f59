"""Machines report: AI camera detections and IoT alarms become cases."""

from __future__ import annotations

from typing import Annotated, Literal

import msgspec
from litestar import Controller, Request, Response, post
from litestar.connection import ASGIConnection
from litestar.handlers.base import BaseRouteHandler
from litestar.openapi import ResponseSpec
from litestar.params import JSONBody

from accounts.api_keys import MachineClient, authenticate_api_key
from accounts.errors import RoleNotAllowed
from api.geo import Location
from api.types import UtcDateTime
from cases import reporting
from cases.errors import IntakeKeyInvalid, IntakeKindMismatch
from core.actors import Actor
from core.db import transaction

# Alarm level 1 is the most severe (一级告警), matching priority 1 (特急).
LEVEL_TO_PRIORITY = {1: 1, 2: 2, 3: 3}


async def api_key_guard(connection: ASGIConnection, handler: BaseRouteHandler) -> None:
    key = connection.headers.get("x-api-key", "")
    client = await authenticate_api_key(key) if 10 <= len(key) <= 200 else None
    if client is None:
        raise IntakeKeyInvalid()
    # A key is issued for one kind of machine: a camera's key must not set a car park's
    # free spaces, nor a car park's key file detections.
    if client.kind not in handler.opt.get("machine_kinds", ()):
        raise RoleNotAllowed()
    connection.state.machine = client


class IntakeEventIn(msgspec.Struct, frozen=True, kw_only=True, rename="camel"):
    external_id: Annotated[str, msgspec.Meta(min_length=1, max_length=120)]
    # The key says what the machine is; a kind sent here must agree with it.
    kind: Literal["camera", "sensor"] | None = None
    category: Annotated[str, msgspec.Meta(min_length=3, max_length=8)]
    location: Location
    level: Literal[1, 2, 3] = 3
    description: Annotated[str, msgspec.Meta(max_length=1000)] = ""
    address: Annotated[str, msgspec.Meta(max_length=200)] = ""
    detected_at: UtcDateTime | None = None


class IntakeCaseOut(msgspec.Struct, frozen=True, rename="camel"):
    id: str
    number: str
    state: str
    priority: int
    unit_id: int | None
    duplicate: bool


class IntakeEventController(Controller):
    path = "/events"
    tags = ["intake"]
    guards = [api_key_guard]
    opt = {"machine_kinds": ("camera", "sensor")}

    @post(
        "/",
        summary="An AI camera detection or a sensor alarm; repeats return the same case",
        security=[{"ApiKey": []}],
        responses={
            200: ResponseSpec(
                data_container=IntakeCaseOut, description="A repeated externalId: the first case"
            )
        },
    )
    async def create(
        self, request: Request, data: JSONBody[IntakeEventIn]
    ) -> Response[IntakeCaseOut]:
        client: MachineClient = request.state.machine
        if data.kind is not None and data.kind != client.kind:
            raise IntakeKindMismatch(key_kind=client.kind, kind=data.kind)
        actor = Actor(kind="machine", id=client.id, role=client.kind)
        lat, lon = data.location.wgs84()
        report = reporting.NewCase(
            category_code=data.category,
            lat=lat,
            lon=lon,
            description=data.description,
            address=data.address,
            occurred_at=data.detected_at,
            priority=LEVEL_TO_PRIORITY[data.level],
        )
        async with transaction():
            case, created = await reporting.file_machine_event(
                actor=actor,
                source_name=client.name,
                source_kind=client.kind,
                trusted=client.trusted,
                external_id=data.external_id,
                report=report,
            )
        body = IntakeCaseOut(
            id=case.public_id,
            number=case.number,
            state=case.state,
            priority=case.priority,
            unit_id=case.unit_id,
            duplicate=not created,
        )
        return Response(body, status_code=201 if created else 200)
