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
from cases import machines, reporting
from cases.errors import IntakeFieldsMissing, IntakeKeyInvalid, IntakeKindMismatch
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


def provide_machine_actor(request: Request) -> Actor:
    """The client behind the key, as the actor of its uploads and events."""
    client: MachineClient = request.state.machine
    return Actor(kind="machine", id=client.id, role=client.kind)


# Bounded and finite: NaN, infinities and absurd magnitudes are a 400, never stored.
Confidence = Annotated[float, msgspec.Meta(ge=0, le=1)]
Measure = Annotated[float, msgspec.Meta(ge=-1e9, le=1e9)]
MediaId = Annotated[str, msgspec.Meta(min_length=1, max_length=40)]


class ReadingIn(msgspec.Struct, frozen=True, kw_only=True, rename="camel"):
    """A sensor's measurement that raised the alarm (a water level, a gas concentration)."""

    value: Measure
    unit: Annotated[str, msgspec.Meta(min_length=1, max_length=16)]
    threshold: Measure | None = None


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
    # The camera or sensor itself (one key may front many devices): its repeats within
    # CITYOPS_INTAKE_DEDUP_MINUTES and metres of each other are one case.
    device_id: Annotated[str, msgspec.Meta(min_length=1, max_length=64)] | None = None
    # An AI camera's detection: how sure it is, and its snapshot (POST /api/intake/media).
    confidence: Confidence | None = None
    snapshot_id: MediaId | None = None
    reading: ReadingIn | None = None


class ClearIn(msgspec.Struct, frozen=True, kw_only=True, rename="camel"):
    external_id: Annotated[str, msgspec.Meta(min_length=1, max_length=120)]
    note: Annotated[str, msgspec.Meta(max_length=500)] = ""


class ClearOut(msgspec.Struct, frozen=True, rename="camel"):
    id: str
    number: str
    state: str
    # ended: cancelled before anyone worked it; handler_told: being worked, they are told;
    # recorded: already handled; already_cleared: a repeated clear.
    outcome: str


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
        description="A repeat is the same externalId, or the same deviceId and category "
        "within CITYOPS_INTAKE_DEDUP_MINUTES and CITYOPS_INTAKE_DEDUP_METRES of the device's "
        "last event on an open case. A detection whose confidence is below its category's "
        "minConfidence stays reported for a person to verify.",
        security=[{"ApiKey": []}],
        responses={
            200: ResponseSpec(
                data_container=IntakeCaseOut,
                description="A repeated externalId, or the same device and category again "
                "within the dedup window and distance: the case it joins",
            )
        },
    )
    async def create(
        self, request: Request, data: JSONBody[IntakeEventIn]
    ) -> Response[IntakeCaseOut]:
        client: MachineClient = request.state.machine
        if data.kind is not None and data.kind != client.kind:
            raise IntakeKindMismatch(key_kind=client.kind, kind=data.kind)
        if (data.confidence is not None or data.snapshot_id is not None) and not data.device_id:
            raise IntakeFieldsMissing(kind=client.kind, fields="deviceId")
        actor = provide_machine_actor(request)
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
            case, created = await machines.file_machine_event(
                actor=actor,
                source_name=client.name,
                source_kind=client.kind,
                trusted=client.trusted,
                external_id=data.external_id,
                report=report,
                signal=machines.Signal(
                    device_id=data.device_id,
                    confidence=data.confidence,
                    snapshot_id=data.snapshot_id,
                    reading=machines.Reading(**msgspec.structs.asdict(data.reading))
                    if data.reading
                    else None,
                ),
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

    @post(
        "/clear",
        summary="The machine's alarm is over: ends a case nobody works yet, else tells its handler",
        security=[{"ApiKey": []}],
        status_code=200,
    )
    async def clear(self, request: Request, data: JSONBody[ClearIn]) -> ClearOut:
        client: MachineClient = request.state.machine
        async with transaction():
            case, outcome = await machines.clear_machine_event(
                actor=provide_machine_actor(request),
                source_name=client.name,
                external_id=data.external_id,
                note=data.note,
            )
        return ClearOut(id=case.public_id, number=case.number, state=case.state, outcome=outcome)
