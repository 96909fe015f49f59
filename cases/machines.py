"""Machine events: AI camera detections and sensor alarms.

Each event is a ``machine_event`` row on the case it was filed or counted on. A repeat is
the same case: the same external id (a retry), or the same device and category again within
CITYOPS_INTAKE_DEDUP_MINUTES of its last event and CITYOPS_INTAKE_DEDUP_METRES of it (a
camera re-detecting one stall every minute). A detection less confident than its category's
``min_confidence`` waits for a person. A sensor's "cleared" ends a case nobody works yet, or
tells whoever works it.
"""

from __future__ import annotations

import datetime as dt
from typing import Literal

import msgspec

from cases import reporting, routing
from cases.errors import IntakeEventUnknown
from cases.tables import Case, MachineEvent
from cases.workflow import (
    ACCEPTED,
    CANCELLED,
    DISPATCHED,
    OPEN,
    REPORTED,
    RETURNED,
    SUSPENDED,
    record_event,
    transition,
)
from core import clock
from core.actors import Actor
from core.db import lock, raw
from core.settings import get_settings
from media import service as media
from org.categories import CategoryInfo, get_category
from org.geo import distance_m

ClearOutcome = Literal["ended", "handler_told", "recorded", "already_cleared"]


class Reading(msgspec.Struct, frozen=True, kw_only=True):
    value: float
    unit: str
    threshold: float | None = None


class Signal(msgspec.Struct, frozen=True, kw_only=True):
    """What a machine says beyond the report itself."""

    device_id: str | None = None
    confidence: float | None = None  # 0..1, an AI camera's detection
    snapshot_id: str | None = None  # the machine's own upload (media)
    reading: Reading | None = None


class MachineSummary(msgspec.Struct, frozen=True, kw_only=True):
    """For staff: the device, how many events the case counts, the latest reading."""

    device_id: str | None
    events: int
    first_at: dt.datetime
    last_at: dt.datetime
    confidence: float | None
    reading: Reading | None
    snapshot_ids: list[str]
    cleared_at: dt.datetime | None


def _review_reason(category: CategoryInfo, signal: Signal) -> tuple[str, dict] | None:
    if signal.confidence is None or signal.confidence >= category.min_confidence:
        return None
    note = (
        f"识别置信度 {signal.confidence:.2f} 低于该类别阈值 {category.min_confidence:.2f}，"
        f"待人工核实 (confidence below the category's threshold: held for review)"
    )
    return note, {"confidence": signal.confidence, "threshold": category.min_confidence}


async def file_machine_event(
    *,
    actor: Actor,
    source_name: str,
    source_kind: Literal["camera", "sensor"],
    trusted: bool,
    external_id: str,
    report: reporting.NewCase,
    signal: Signal,
) -> tuple[Case, bool]:
    """The case of the event, and whether it was created now (False: a repeat)."""
    external_key = f"{source_name}:{external_id}"
    # Serialise bursts: one device's events of one category (dedup), then one event id
    # (retries). Always in this order, so two requests cannot wait for each other.
    if signal.device_id is not None:
        await lock(f"intake-device:{actor.id}:{signal.device_id}:{report.category_code}")
    await lock(f"intake:{external_key}")
    existing = await _case_of_event(external_key)
    if existing is not None:
        return existing, False
    category = await get_category(code=report.category_code)
    if signal.snapshot_id is not None:
        # Refused before anything is written: another key's upload is a 404, a used one 409.
        await media.claim_media(actor=actor, media_ids=[signal.snapshot_id])
    snapshots = [signal.snapshot_id] if signal.snapshot_id else []
    repeat = await _recent_case(actor, category.code, report, signal)
    if repeat is not None:
        await reporting.attach_photos(repeat, actor, snapshots, "before")
        await _record(repeat, actor, external_key, report, signal)
        return repeat, False
    case = await reporting._file(
        report=msgspec.structs.replace(report, media_ids=snapshots),
        source=source_kind,
        actor=actor,
        trusted=trusted,
        external_key=external_key,
        review=_review_reason(category, signal),
    )
    await _record(case, actor, external_key, report, signal)
    return case, True


async def _case_of_event(external_key: str) -> Case | None:
    # One statement for the usual answer (a new event: none): the event's case, or one
    # filed before events were kept, which carries the key itself.
    rows = await raw(
        'SELECT id FROM case_file WHERE id = (SELECT "case" FROM machine_event '
        "WHERE external_key = {} LIMIT 1) OR external_key = {} LIMIT 1",
        external_key,
        external_key,
    )
    if not rows:
        return None
    return await Case.objects().where(Case.id == rows[0]["id"]).first()


async def _recent_case(
    actor: Actor, category_code: str, report: reporting.NewCase, signal: Signal
) -> Case | None:
    if signal.device_id is None:
        return None
    settings = get_settings()
    since = clock.now() - dt.timedelta(minutes=settings.intake_dedup_minutes)
    rows = (
        await MachineEvent.select(MachineEvent.case, MachineEvent.lat, MachineEvent.lon)
        .where(
            (MachineEvent.client_id == actor.id)
            & (MachineEvent.device_id == signal.device_id)
            & (MachineEvent.category_code == category_code)
            & (MachineEvent.received_at >= since)
        )
        .order_by(MachineEvent.received_at, ascending=False)
    )
    for row in rows:
        metres = distance_m(row["lat"], row["lon"], report.lat, report.lon)
        if metres > settings.intake_dedup_metres:
            continue
        case = await Case.objects().where(Case.id == row["case"]).first()
        if case is not None and case.state in OPEN:
            return case
    return None


async def _record(
    case: Case, actor: Actor, external_key: str, report: reporting.NewCase, signal: Signal
) -> None:
    reading = signal.reading
    await MachineEvent.insert(
        MachineEvent(
            case=case.id,
            client_id=actor.id,
            external_key=external_key,
            device_id=signal.device_id,
            category_code=report.category_code,
            lat=report.lat,
            lon=report.lon,
            confidence=signal.confidence,
            reading_value=reading.value if reading else None,
            reading_unit=reading.unit if reading else None,
            reading_threshold=reading.threshold if reading else None,
            snapshot_id=signal.snapshot_id,
            detected_at=report.occurred_at,
            received_at=clock.now(),
        )
    )


async def clear_machine_event(
    *, actor: Actor, source_name: str, external_id: str, note: str = ""
) -> tuple[Case, ClearOutcome]:
    """The machine says the condition behind its event is over. A case nobody works yet
    (reported, accepted) is cancelled; one being worked stays, and its handler (or the
    unit, or the command centre for a case handed back) is told; a finished case only
    records it. A second clear of one event changes nothing."""
    external_key = f"{source_name}:{external_id}"
    await lock(f"intake:{external_key}")
    event = (
        await MachineEvent.objects()
        .where((MachineEvent.external_key == external_key) & (MachineEvent.client_id == actor.id))
        .first()
    )
    if event is None:
        raise IntakeEventUnknown(externalId=external_id)
    case = await Case.objects().where(Case.id == event.case).first()
    if event.cleared_at is not None:
        return case, "already_cleared"
    await MachineEvent.update({MachineEvent.cleared_at: clock.now()}).where(
        MachineEvent.id == event.id
    )
    text = note or "设备告警已解除 (the device cleared its alarm)"
    data = {"externalId": external_id}
    if case.state in (REPORTED, ACCEPTED):
        case = await transition(
            case, CANCELLED, actor=actor, action="clear", note=text, data=data, check_role=False
        )
        return case, "ended"
    await record_event(
        case,
        action="alarm cleared",
        from_state=case.state,
        to_state=case.state,
        actor=actor,
        note=text,
        data=data,
    )
    if case.state in (DISPATCHED, SUSPENDED):
        if case.assignee_id is not None:
            await routing.notify_staff(case, "task.alarm_cleared", [case.assignee_id])
        else:
            await routing.notify_unit(case, "task.alarm_cleared", unit_id=case.unit_id)
        return case, "handler_told"
    if case.state == RETURNED:
        await routing.notify_command_centre(case, "task.alarm_cleared")
        return case, "handler_told"
    return case, "recorded"


async def machine_summary(case: Case) -> MachineSummary | None:
    """None for a case no machine filed."""
    if case.source not in ("camera", "sensor"):
        return None
    rows = (
        await MachineEvent.objects().where(MachineEvent.case == case.id).order_by(MachineEvent.id)
    )
    if not rows:
        return None
    last = rows[-1]
    with_reading = [r for r in rows if r.reading_value is not None]
    cleared = [r.cleared_at for r in rows if r.cleared_at is not None]
    latest = with_reading[-1] if with_reading else None
    return MachineSummary(
        device_id=last.device_id,
        events=len(rows),
        first_at=rows[0].received_at,
        last_at=last.received_at,
        confidence=last.confidence,
        reading=Reading(
            value=latest.reading_value,
            unit=latest.reading_unit or "",
            threshold=latest.reading_threshold,
        )
        if latest
        else None,
        snapshot_ids=[r.snapshot_id for r in rows if r.snapshot_id],
        cleared_at=max(cleared) if cleared else None,
    )
